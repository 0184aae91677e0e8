package cpu

import (
	"sync"

	"github.com/samtrain/samtrain/graph"
)

// parallelRange runs f(w, lo, hi) over [0, n) split into at most par
// contiguous chunks, worker w getting chunk w.
func parallelRange(par, n int, f func(w, lo, hi int)) {
	par = max(1, min(par, n))
	if par <= 1 {
		if n > 0 {
			f(0, 0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + par - 1) / par
	for w := 0; w < par; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			f(w, lo, hi)
		}(w, lo, hi)
	}
	wg.Wait()
}

func toParams(p graph.ConvShape) ConvParams { return ConvParams(p) }
