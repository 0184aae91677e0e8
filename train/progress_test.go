package train

import (
	"bytes"
	"strings"
	"testing"
)

// TestProgress checks both forms of the progress report: a line redrawn
// with a bar and an ETA on a terminal, a plain line per 10 percent
// otherwise.
func TestProgress(t *testing.T) {
	for _, tc := range []struct {
		term       bool
		start      int // steps already done (a resumed epoch)
		lines      int // plain lines printed for the 20 steps
		mustHave   []string
		mustNotHas string
	}{
		{false, 0, 10, []string{"10% 2/20 steps", "100% 20/20 steps", "left"}, "\r"},
		{false, 10, 5, []string{"60% 12/20 steps", "100% 20/20"}, "50%"},
		{true, 0, 0, []string{"\r", "[==============================] 100% 20/20", "ETA"}, "\n"},
	} {
		var b bytes.Buffer
		p := newProgress(&b, tc.term, "epoch 1/1", 20, tc.start)
		for i := tc.start + 1; i <= 20; i++ {
			p.update(i, 8*(i-tc.start), 2.5)
		}
		out := b.String()
		if n := strings.Count(out, "\n"); n != tc.lines {
			t.Errorf("term %v start %d: %d lines, want %d: %q", tc.term, tc.start, n, tc.lines, out)
		}
		for _, w := range tc.mustHave {
			if !strings.Contains(out, w) {
				t.Errorf("term %v start %d: output lacks %q: %q", tc.term, tc.start, w, out)
			}
		}
		if strings.Contains(out, tc.mustNotHas) {
			t.Errorf("term %v start %d: output has %q: %q", tc.term, tc.start, tc.mustNotHas, out)
		}
	}
}
