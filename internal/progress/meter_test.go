package progress

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// event is one call on a Meter after the clock moved by dt.
type event struct {
	dt   time.Duration
	op   byte // 'u' Update, 'f' Finish, 'c' Clear
	done int64
}

// steps returns Update events for done = from..to, dt apart.
func steps(from, to int64, dt time.Duration) []event {
	var ev []event
	for d := from; d <= to; d++ {
		ev = append(ev, event{dt, 'u', d})
	}
	return ev
}

// bar is the terminal bar with n of 30 cells filled, written out by hand.
func bar(n int) string {
	return "[" + strings.Repeat("=", n) + strings.Repeat(" ", 30-n) + "]"
}

func units(done int64, _ time.Duration) string { return fmt.Sprintf("%d u", done) }

func TestMeter(t *testing.T) {
	// plain10 is the plain report of 20 units, one per second: a line at
	// each tenth (every 2 units), the ETA being the 20-done seconds left.
	var plain10 strings.Builder
	for k := 1; k <= 9; k++ {
		fmt.Fprintf(&plain10, "x: %3d%% %d u, ETA %ds\n", 10*k, 2*k, 20-2*k)
	}
	plain10.WriteString("x: 100% 20 u, done in 20s\n")

	for _, tc := range []struct {
		name   string
		m      Meter
		start  int64 // argument of Start; -1: Start is not called
		events []event
		want   string
	}{
		{
			// 10 units 100 ms apart with 200 ms between redraws: drawn
			// at 1 (first), 3, 5, 7, 9 and 10 (the end is always drawn).
			// ETA at k: 100 ms * (10-k) rounded to the second.
			name:   "terminal throttle",
			m:      Meter{Terminal: true, Label: "x", Total: 10, Redraw: 200 * time.Millisecond},
			events: append(steps(1, 10, 100*time.Millisecond), event{0, 'c', 0}, event{0, 'c', 0}),
			want: "\rx " + bar(3) + "  10% ETA 1s\x1b[K" +
				"\rx " + bar(9) + "  30% ETA 1s\x1b[K" +
				"\rx " + bar(15) + "  50% ETA 1s\x1b[K" + // 0.5 s rounds up
				"\rx " + bar(21) + "  70% ETA 0s\x1b[K" +
				"\rx " + bar(27) + "  90% ETA 0s\x1b[K" +
				"\rx " + bar(30) + " 100% done in 1s\x1b[K" +
				"\r\x1b[K", // the second Clear has no line to erase
		},
		{
			// Redraw zero means DefaultRedraw (100 ms): 50 ms apart, every
			// other update is drawn.
			name:   "terminal default redraw",
			m:      Meter{Terminal: true, Label: "x", Total: 10, Detail: units},
			events: steps(1, 4, 50*time.Millisecond),
			want: "\rx " + bar(3) + "  10% 1 u, ETA 0s\x1b[K" +
				"\rx " + bar(9) + "  30% 3 u, ETA 0s\x1b[K", // 150 ms / 3 * 7 = 350 ms
		},
		{
			name:   "plain tenths",
			m:      Meter{Label: "x", Total: 20, Detail: units},
			events: append(steps(1, 20, time.Second), event{0, 'f', 20}, event{0, 'c', 0}),
			want:   plain10.String(), // Finish and Clear add nothing
		},
		{
			// Without Start the first Update starts the clock.
			name:   "plain tenths, no Start",
			m:      Meter{Label: "x", Total: 20, Detail: units},
			start:  -1,
			events: append([]event{{0, 'u', 0}}, steps(1, 20, time.Second)...),
			want:   plain10.String(),
		},
		{
			// Two tenths passed in one update give one line; at 4 after
			// 3 s, 6 left take 4.5 s, rounded up.
			name:   "plain jump",
			m:      Meter{Label: "x", Total: 10},
			events: []event{{time.Second, 'u', 1}, {time.Second, 'u', 2}, {time.Second, 'u', 4}, {time.Second, 'u', 10}},
			want:   "x:  10% ETA 9s\nx:  20% ETA 8s\nx:  40% ETA 5s\nx: 100% done in 4s\n",
		},
		{
			// Unknown total: a line per Step (3) units, no percentage or
			// ETA; Finish prints the final count with the time taken.
			name:   "plain unknown total",
			m:      Meter{Label: "x", Step: 3, Detail: units},
			events: append(steps(1, 7, time.Second), event{0, 'f', 7}),
			want:   "x: 3 u\nx: 6 u\nx: 7 u, done in 7s\n",
		},
		{
			name:   "plain unknown total, no Step",
			m:      Meter{Label: "x", Total: -1, Detail: units},
			events: append(steps(1, 7, time.Second), event{0, 'f', 7}),
			want:   "x: 7 u, done in 7s\n",
		},
		{
			name:   "terminal unknown total",
			m:      Meter{Terminal: true, Label: "x", Detail: units},
			events: append(steps(1, 2, time.Second), event{500 * time.Millisecond, 'f', 2}),
			want:   "\rx: 1 u\x1b[K\rx: 2 u\x1b[K\rx: 2 u, done in 2.5s\x1b[K\n",
		},
		{
			// Resumed at 4 of 10: no line for the tenths already passed;
			// the ETA and Detail's elapsed time count from Start.
			name:   "plain resume",
			m:      Meter{Label: "x", Total: 10, Detail: func(d int64, el time.Duration) string { return fmt.Sprintf("%d after %v", d, el) }},
			start:  4,
			events: steps(5, 10, time.Second),
			want: "x:  50% 5 after 1s, ETA 5s\n" +
				"x:  60% 6 after 2s, ETA 4s\n" +
				"x:  70% 7 after 3s, ETA 3s\n" +
				"x:  80% 8 after 4s, ETA 2s\n" +
				"x:  90% 9 after 5s, ETA 1s\n" +
				"x: 100% 10 after 6s, done in 6s\n",
		},
		{
			name:   "terminal resume",
			m:      Meter{Terminal: true, Label: "x", Total: 10},
			start:  4,
			events: []event{{time.Second, 'u', 5}, {2 * time.Second, 'u', 6}},
			want:   "\rx " + bar(15) + "  50% ETA 5s\x1b[K\rx " + bar(18) + "  60% ETA 6s\x1b[K",
		},
		{
			// Finish at the total after the total was drawn only ends the
			// line; a Clear after Finish erases nothing.
			name:   "terminal finish after end",
			m:      Meter{Terminal: true, Label: "x", Total: 2},
			events: []event{{time.Second, 'u', 2}, {time.Second, 'f', 2}, {0, 'c', 0}},
			want:   "\rx " + bar(30) + " 100% done in 1s\x1b[K\n",
		},
		{
			// Finish short of the total redraws with the time taken.
			name:   "terminal finish early",
			m:      Meter{Terminal: true, Label: "x", Total: 4},
			events: []event{{time.Second, 'u', 1}, {time.Second, 'f', 2}},
			want:   "\rx " + bar(7) + "  25% ETA 3s\x1b[K\rx " + bar(15) + "  50% done in 2s\x1b[K\n",
		},
		{
			name:   "plain finish early",
			m:      Meter{Label: "x", Total: 4},
			events: []event{{time.Second, 'u', 1}, {time.Second, 'f', 2}},
			want:   "x:  25% ETA 3s\nx:  50% done in 2s\n",
		},
		{
			name:   "clear before any draw",
			m:      Meter{Terminal: true, Label: "x", Total: 4},
			events: []event{{0, 'c', 0}},
			want:   "",
		},
		{
			// Counts beyond the total are drawn as a full bar at 100 %.
			name:   "beyond total",
			m:      Meter{Terminal: true, Label: "x", Total: 4},
			events: []event{{time.Second, 'u', 6}},
			want:   "\rx " + bar(30) + " 100% done in 1s\x1b[K",
		},
		{
			name:   "minutes rounded to the second",
			m:      Meter{Label: "x", Total: 1},
			events: []event{{90*time.Second + 400*time.Millisecond, 'u', 1}},
			want:   "x: 100% done in 1m30s\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			now := time.Unix(1e9, 0)
			m := tc.m
			m.W = &buf
			m.Now = func() time.Time { return now }
			if tc.start >= 0 {
				m.Start(tc.start)
			}
			for _, e := range tc.events {
				now = now.Add(e.dt)
				switch e.op {
				case 'u':
					m.Update(e.done)
				case 'f':
					m.Finish(e.done)
				case 'c':
					m.Clear()
				}
			}
			if got := buf.String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestMeterNilWriter checks that a Meter without a writer reports nothing
// and does not panic.
func TestMeterNilWriter(t *testing.T) {
	m := Meter{Terminal: true, Total: 3}
	m.Start(0)
	m.Update(1)
	m.Finish(3)
	m.Clear()
	if m.drawn {
		t.Error("a Meter with a nil writer recorded a draw")
	}
}
