package progress_test

import (
	"fmt"
	"os"
	"time"

	"github.com/samtrain/samtrain/internal/progress"
)

func ExampleMeter() {
	// A fake clock: each step takes one second.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := &progress.Meter{
		W:     os.Stdout,
		Label: "epoch 1/1",
		Total: 40,
		Detail: func(done int64, el time.Duration) string {
			return fmt.Sprintf("%d/40 steps, %.0f img/s", done, 128*float64(done)/el.Seconds())
		},
		Now: func() time.Time { return now },
	}
	m.Start(0)
	for step := int64(1); step <= 40; step++ {
		now = now.Add(time.Second)
		if step%10 == 0 { // log only every tenth step here, to keep the output short
			m.Update(step)
		}
	}
	m.Finish(40)
	// Output:
	// epoch 1/1:  25% 10/40 steps, 128 img/s, ETA 30s
	// epoch 1/1:  50% 20/40 steps, 128 img/s, ETA 20s
	// epoch 1/1:  75% 30/40 steps, 128 img/s, ETA 10s
	// epoch 1/1: 100% 40/40 steps, 128 img/s, done in 40s
}
