package train

import (
	"fmt"
	"io"
	"time"

	"github.com/samtrain/samtrain/internal/progress"
)

// epochProgress reports the steps of an epoch: on a terminal one line redrawn
// in place at most every 200 ms (a bar, percent, images/s, running loss and
// the time left), otherwise one plain line per 10 percent.
type epochProgress struct {
	m      progress.Meter
	images int     // images since the start of this process's part of the epoch
	loss   float64 // running mean loss
}

// newProgress returns the started report of an epoch of total steps, done
// of them already finished (a resumed epoch).
func newProgress(w io.Writer, term bool, label string, total, done int) *epochProgress {
	if total <= 0 {
		w = nil // an empty epoch has nothing to report
	}
	p := &epochProgress{}
	p.m = progress.Meter{
		W: w, Terminal: term, Label: label, Total: int64(total),
		Redraw: 200 * time.Millisecond,
		Detail: func(done int64, el time.Duration) string {
			rate := 0.0
			if el > 0 {
				rate = float64(p.images) / el.Seconds()
			}
			return fmt.Sprintf("%d/%d steps, %.0f img/s, loss %.4f", done, total, rate, p.loss)
		},
	}
	p.m.Start(int64(done))
	return p
}

// update reports that done of total steps are finished, images of them
// since the start of this process's part of the epoch, with the running
// mean loss.
func (p *epochProgress) update(done, images int, loss float64) {
	p.images, p.loss = images, loss
	p.m.Update(int64(done))
}

// clear erases a redrawn line so that the next output starts on a clean line.
func (p *epochProgress) clear() { p.m.Clear() }
