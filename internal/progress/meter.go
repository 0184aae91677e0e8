package progress

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// DefaultRedraw is the least time between two terminal redraws when
// Meter.Redraw is zero.
const DefaultRedraw = 100 * time.Millisecond

// barWidth is the number of characters between the brackets of the bar.
const barWidth = 30

// Meter reports the progress of a task of Total units to W. Set its fields,
// call Start once, then Update as units are done and Finish or Clear at the
// end. A Meter is not safe for concurrent use.
type Meter struct {
	// W receives the report; nil reports nothing.
	W io.Writer
	// Terminal redraws one line in place; false writes plain lines.
	Terminal bool
	// Label starts every line, e.g. a file name or "epoch 3/200".
	Label string
	// Total is the number of units of the task; zero or negative means
	// unknown: no bar, percentage or ETA is shown.
	Total int64
	// Redraw is the least time between two terminal redraws; zero means
	// DefaultRedraw. The state at Total is always drawn.
	Redraw time.Duration
	// Step is, with an unknown Total, the number of units between two
	// plain lines; zero prints no plain line before Finish.
	Step int64
	// Detail, if not nil, returns the caller's words for done units after
	// elapsed time since Start (e.g. "12.0 MB/170.5 MB, 3.1 MB/s").
	Detail func(done int64, elapsed time.Duration) string
	// Now returns the current time; nil means time.Now. Tests inject a
	// clock here.
	Now func() time.Time

	started bool
	start   time.Time
	done0   int64     // units already done at Start
	last    time.Time // time of the last terminal redraw
	step    int64     // last plain-line step printed (or passed at Start)
	lastOut int64     // units at the last line written
	open    bool      // a terminal line is drawn and not ended
	drawn   bool      // a line has been written since Start
}

func (m *Meter) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Start starts the clock with done units already finished (non-zero when
// a task resumes half-way): the ETA then counts only the units done since
// Start, and no plain line is printed for the steps already passed. Update
// and Finish call Start(0) if it was not called.
func (m *Meter) Start(done int64) {
	m.started, m.start, m.done0 = true, m.now(), done
	m.last, m.step, m.lastOut, m.open, m.drawn = time.Time{}, m.stepOf(done), done, false, false
}

// stepOf is the plain-line step that done units fall in: tenths of Total,
// or multiples of Step for an unknown Total (-1 when there is no Step, so
// that no plain line is due).
func (m *Meter) stepOf(done int64) int64 {
	switch {
	case m.Total > 0:
		return min(done, m.Total) * 10 / m.Total
	case m.Step > 0:
		return done / m.Step
	}
	return -1
}

// Update reports that done units are finished. On a terminal it redraws
// the line unless the last redraw is more recent than Redraw (the line at
// Total is always drawn); otherwise it prints a plain line when done
// reaches the next tenth of Total (the next Step for an unknown Total).
func (m *Meter) Update(done int64) {
	if m.W == nil {
		return
	}
	if !m.started {
		m.Start(0)
	}
	now := m.now()
	if m.Terminal {
		redraw := m.Redraw
		if redraw == 0 {
			redraw = DefaultRedraw
		}
		if m.drawn && now.Sub(m.last) < redraw && (m.Total <= 0 || done < m.Total) {
			return
		}
		m.last = now
		m.write("\r"+m.line(done, now, false)+"\x1b[K", done)
		m.open = true
		return
	}
	if s := m.stepOf(done); s > m.step {
		m.step = s
		m.write(m.line(done, now, false)+"\n", done)
	}
}

// Finish reports the final state, done units, with the time taken: on a
// terminal it redraws the line (unless the line at done is already there)
// and ends it; otherwise it prints a last plain line unless the one for
// done is already printed.
func (m *Meter) Finish(done int64) {
	if m.W == nil {
		return
	}
	if !m.started {
		m.Start(0)
	}
	now := m.now()
	if m.Terminal {
		if m.open && m.lastOut == done && m.Total > 0 && done >= m.Total {
			m.write("\n", done)
		} else {
			m.write("\r"+m.line(done, now, true)+"\x1b[K\n", done)
		}
		m.open = false
		return
	}
	if m.drawn && m.lastOut == done && m.Total > 0 && done >= m.Total {
		return
	}
	m.step = m.stepOf(done)
	m.write(m.line(done, now, true)+"\n", done)
}

// Clear erases a terminal line that is drawn and not ended, so that the
// next output starts on a clean line. It does nothing in plain mode.
func (m *Meter) Clear() {
	if m.W != nil && m.open {
		m.write("\r\x1b[K", m.lastOut)
		m.open = false
	}
}

func (m *Meter) write(s string, done int64) {
	io.WriteString(m.W, s) // errors ignored: see the package's error policy
	m.lastOut = done
	m.drawn = true
}

// line is the report for done units at now, without "\r" or newline;
// final asks for the time taken instead of the ETA.
func (m *Meter) line(done int64, now time.Time, final bool) string {
	el := now.Sub(m.start)
	var b strings.Builder
	b.WriteString(m.Label)
	var tail []string
	if m.Detail != nil {
		if d := m.Detail(done, el); d != "" {
			tail = append(tail, d)
		}
	}
	if m.Total > 0 {
		d := min(max(done, 0), m.Total)
		if m.Terminal {
			n := int(barWidth * d / m.Total)
			fmt.Fprintf(&b, " [%s%s]", strings.Repeat("=", n), strings.Repeat(" ", barWidth-n))
		} else {
			b.WriteString(":")
		}
		fmt.Fprintf(&b, " %3d%%", 100*d/m.Total)
		switch {
		case final || done >= m.Total:
			final = true
		case done > m.done0 && el > 0:
			eta := time.Duration(float64(el) / float64(done-m.done0) * float64(m.Total-done))
			tail = append(tail, "ETA "+eta.Round(time.Second).String())
		}
	} else {
		b.WriteString(":")
	}
	if final {
		tail = append(tail, "done in "+roundElapsed(el).String())
	}
	if len(tail) > 0 {
		b.WriteString(" " + strings.Join(tail, ", "))
	}
	return b.String()
}

// roundElapsed rounds d to a tenth of a second under a minute and to the
// second above, enough for a human reading a log.
func roundElapsed(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
