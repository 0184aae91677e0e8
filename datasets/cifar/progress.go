package cifar

import (
	"fmt"
	"io"
	"time"

	"github.com/samtrain/samtrain/internal/progress"
)

// newProgress returns the started report of a download of name, total
// bytes (-1 if unknown), to w: on a terminal one line redrawn at most every
// 100 ms (bar, percent, bytes, rate, ETA), otherwise one plain line per 10
// percent (per 16 MB if the size is unknown). now is the clock; nil means
// time.Now.
func newProgress(w io.Writer, term bool, name string, total int64, now func() time.Time) *progress.Meter {
	m := &progress.Meter{
		W: w, Terminal: term, Label: name, Total: total,
		Redraw: 100 * time.Millisecond,
		Step:   16 << 20,
		Now:    now,
		Detail: func(done int64, el time.Duration) string {
			rate := 0.0
			if el > 0 {
				rate = float64(done) / el.Seconds()
			}
			if total > 0 {
				return fmt.Sprintf("%s/%s, %s/s", mb(done), mb(total), mb(int64(rate)))
			}
			return fmt.Sprintf("%s, %s/s", mb(done), mb(int64(rate)))
		},
	}
	m.Start(0)
	return m
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
