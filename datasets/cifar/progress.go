package cifar

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress reports a download's progress to w: on a terminal one line
// redrawn at most every 100 ms ("\r" bar, percent, bytes, rate, ETA),
// otherwise one plain line per 10 percent (per 16 MB if the size is
// unknown).
type progress struct {
	w           io.Writer
	term        bool
	name        string
	total       int64 // -1 if unknown
	start, last time.Time
	step        int64 // last plain-line step printed
	now         func() time.Time
}

func newProgress(w io.Writer, term bool, name string, total int64) *progress {
	p := &progress{w: w, term: term, name: name, total: total, now: time.Now}
	p.start = p.now()
	return p
}

func (p *progress) update(done int64) {
	if p.w == nil {
		return
	}
	now := p.now()
	if p.term {
		if now.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last = now
		fmt.Fprint(p.w, "\r"+p.line(done, now, true))
		return
	}
	var step int64
	if p.total > 0 {
		step = done * 10 / p.total
	} else {
		step = done / (16 << 20)
	}
	if step > p.step {
		p.step = step
		fmt.Fprintln(p.w, p.line(done, now, false))
	}
}

// finish prints the final state: a last redraw and a newline on a
// terminal, a summary line otherwise.
func (p *progress) finish(done int64) {
	if p.w == nil {
		return
	}
	now := p.now()
	if p.term {
		fmt.Fprint(p.w, "\r"+p.line(done, now, true)+"\n")
		return
	}
	if p.total <= 0 || done*10/p.total > p.step {
		fmt.Fprintln(p.w, p.line(done, now, false))
	}
}

// fail ends a terminal line so that the error starts on its own line.
func (p *progress) fail() {
	if p.w != nil && p.term && !p.last.IsZero() {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) line(done int64, now time.Time, bar bool) string {
	el := now.Sub(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(done) / el
	}
	var b strings.Builder
	b.WriteString(p.name)
	if p.total > 0 {
		frac := float64(done) / float64(p.total)
		if bar {
			const width = 30
			n := min(int(frac*width), width)
			fmt.Fprintf(&b, " [%s%s]", strings.Repeat("=", n), strings.Repeat(" ", width-n))
		} else {
			b.WriteString(":")
		}
		fmt.Fprintf(&b, " %3.0f%% %s/%s %s/s", 100*frac, mb(done), mb(p.total), mb(int64(rate)))
		if rate > 0 && done < p.total {
			eta := time.Duration(float64(p.total-done) / rate * float64(time.Second))
			fmt.Fprintf(&b, " ETA %s", eta.Round(time.Second))
		} else if done >= p.total {
			fmt.Fprintf(&b, " in %s", now.Sub(p.start).Round(100*time.Millisecond))
		}
	} else {
		fmt.Fprintf(&b, ": %s %s/s", mb(done), mb(int64(rate)))
	}
	return b.String()
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
