package train

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress reports the steps of an epoch: on a terminal one line redrawn
// in place at most every 200 ms (a bar, percent, images/s, running loss and
// the time left), otherwise one plain line per 10 percent.
type progress struct {
	w     io.Writer
	term  bool
	label string
	total int // steps in the epoch
	start time.Time
	done0 int // steps already done when the epoch (re)started
	last  time.Time
	tenth int
	drawn bool
}

func newProgress(w io.Writer, term bool, label string, total, done int) *progress {
	now := time.Now()
	return &progress{w: w, term: term, label: label, total: total, start: now, done0: done, tenth: done * 10 / max(total, 1)}
}

// update reports that done of total steps are finished, images of them
// since the start of this process's part of the epoch, with the running
// mean loss.
func (p *progress) update(done, images int, loss float64) {
	if p.w == nil || p.total == 0 {
		return
	}
	now := time.Now()
	el := now.Sub(p.start).Seconds()
	rate := float64(images) / max(el, 1e-9)
	left := time.Duration(0)
	if d := done - p.done0; d > 0 {
		left = time.Duration(el / float64(d) * float64(p.total-done) * float64(time.Second)).Round(time.Second)
	}
	if p.term {
		if now.Sub(p.last) < 200*time.Millisecond && done < p.total {
			return
		}
		p.last = now
		const width = 30
		fill := width * done / p.total
		bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
		fmt.Fprintf(p.w, "\r%s [%s] %3d%% %d/%d  %.0f img/s  loss %.4f  ETA %v \x1b[K", p.label, bar, 100*done/p.total, done, p.total, rate, loss, left)
		p.drawn = true
		return
	}
	if t := done * 10 / p.total; t > p.tenth {
		p.tenth = t
		fmt.Fprintf(p.w, "%s %3d%% %d/%d steps, %.0f img/s, loss %.4f, %v left\n", p.label, 100*done/p.total, done, p.total, rate, loss, left)
	}
}

// clear ends a redrawn line so that the next output starts on a clean line.
func (p *progress) clear() {
	if p.w != nil && p.term && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
