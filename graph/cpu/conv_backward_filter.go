package cpu

import "unsafe"

// Conv2dBackwardFilter computes dw = ∂L/∂w from x and dy = ∂L/∂y (overwrites dw) for the
// convolution p: dW = Σ_groups dY·colᵀ with dW viewed as K×(C*R*S), colᵀ packed straight
// from x. Each worker accumulates a fixed share of the groups into its own partial (worker 0 into dw itself,
// the others into the workspace); the partials are then summed into dw. Stride-1 float32
// convolutions of large images on AVX-512 read x in place instead (see conv_filter_rows.go).
func Conv2dBackwardFilter[T Float](par int, p ConvParams, x, dy, dw, work []T) {
	mustConv("Conv2dBackwardFilter", p, par, [3]string{"x", "dw", "dy"}, [3]int{len(x), len(dw), len(dy)}, len(work))
	if unsafe.Sizeof(dw[0]) == 4 && p.rowsOK() {
		conv2dFilterRows(par, p, asF32(x), asF32(dy), asF32(dw), asF32(work))
		return
	}
	pl := p.plan(par)
	lens := p.filterLens(&pl)
	wl := p.K * pl.crs
	partial := func(wk int) []T {
		if wk == 0 {
			return dw[:wl]
		}
		o := pl.workers*pl.slab(lens) + (wk-1)*wl
		return work[o : o+wl]
	}
	wrote := make([]bool, pl.workers) // whether worker wk has written its partial
	parallel(pl.workers, func(wk int) {
		tmp, pad, pack := slabOf(&pl, lens, work, wk)
		dst := partial(wk)
		lo, hi := share(pl.groups, pl.workers, wk)
		for gi := lo; gi < hi; gi++ {
			n0, n1 := pl.images(p, gi)
			cols := (n1 - n0) * pl.pix
			cs := newColSource(p, x, n0, n1, pad)
			a := dy[n0*p.K*pl.pix:]
			if n1-n0 > 1 {
				gatherGroup(dy, tmp, n0, n1-n0, p.K, pl.pix)
				a = tmp
			}
			var beta T // 0 for the first GEMM of the worker, then 1
			if wrote[wk] {
				beta = 1
			}
			gemmPacked(pl.inner, false, p.K, pl.crs, cols, 1, a, cols, nil, cs.packRows,
				beta, dst, pl.crs, pack)
			wrote[wk] = true
		}
	})
	if !wrote[0] {
		clear(dw[:wl])
	}
	if pl.workers == 1 {
		return
	}
	// Sum the partials into dw, each goroutine over its own range of dw.
	parallel(pl.workers, func(wk int) {
		lo, hi := wk*wl/pl.workers, (wk+1)*wl/pl.workers
		d := dw[lo:hi]
		for i := 1; i < pl.workers; i++ {
			if !wrote[i] {
				continue
			}
			for j, v := range partial(i)[lo:hi] {
				d[j] += v
			}
		}
	})
}
