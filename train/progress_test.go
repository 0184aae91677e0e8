package train

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// runProgress reports an epoch of 20 steps resumed at start, one step per
// dt of a fake clock with 8 images each and a loss of 2.5, then clears.
func runProgress(term bool, start int, dt time.Duration) string {
	var b bytes.Buffer
	p := newProgress(&b, term, "epoch 1/1", 20, start)
	now := time.Unix(1e9, 0)
	p.m.Now = func() time.Time { return now }
	p.m.Start(int64(start))
	for i := start + 1; i <= 20; i++ {
		now = now.Add(dt)
		p.update(i, 8*(i-start), 2.5)
	}
	p.clear()
	return b.String()
}

// TestProgressPlain checks the plain report: one line per 10 percent with
// 8 img/s (8 images a second) and the seconds left (one per step), none
// for the tenths a resumed epoch had already passed.
func TestProgressPlain(t *testing.T) {
	for _, start := range []int{0, 10} {
		var want strings.Builder
		for step := start + 2; step < 20; step += 2 {
			fmt.Fprintf(&want, "epoch 1/1: %3d%% %d/20 steps, 8 img/s, loss 2.5000, ETA %ds\n", 5*step, step, 20-step)
		}
		fmt.Fprintf(&want, "epoch 1/1: 100%% 20/20 steps, 8 img/s, loss 2.5000, done in %ds\n", 20-start)
		if got := runProgress(false, start, time.Second); got != want.String() {
			t.Errorf("start %d:\ngot  %q\nwant %q", start, got, want.String())
		}
	}
}

// TestProgressTerminal checks the redrawn line: with steps 100 ms apart and
// 200 ms between redraws, steps 1, 3, ..., 19 and the last are drawn
// (80 img/s), then the line is erased.
func TestProgressTerminal(t *testing.T) {
	got := runProgress(true, 0, 100*time.Millisecond)
	for _, want := range []string{
		// 1 step: 30*1/20 = 1 cell, 1.9 s left.
		"\repoch 1/1 [=                             ]   5% 1/20 steps, 80 img/s, loss 2.5000, ETA 2s\x1b[K\r",
		// 19 steps: 30*19/20 = 28 cells, 0.1 s left.
		"\repoch 1/1 [============================  ]  95% 19/20 steps, 80 img/s, loss 2.5000, ETA 0s\x1b[K\r",
		"\repoch 1/1 [==============================] 100% 20/20 steps, 80 img/s, loss 2.5000, done in 2s\x1b[K\r\x1b[K",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%q", want, got)
		}
	}
	if n := strings.Count(got, "\r"); n != 12 {
		t.Errorf("%d carriage returns, want 11 redraws and 1 erase: %q", n, got)
	}
	if !strings.HasSuffix(got, "\r\x1b[K") || strings.Contains(got, "\n") {
		t.Errorf("line not erased, or a newline written: %q", got)
	}
}
