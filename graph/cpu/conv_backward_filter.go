package cpu

// Conv2dBackwardFilter computes dw = ∂L/∂w from x and dy = ∂L/∂y (overwrites dw) for the
// convolution p: dW = Σ_groups dY·colᵀ with dW viewed as K×(C*R*S). Each worker
// accumulates its groups into its own partial (worker 0 into dw itself, the others into the
// workspace); the partials are then summed into dw.
func Conv2dBackwardFilter[T Float](par int, p ConvParams, x, dy, dw, work []T) {
	mustConv("Conv2dBackwardFilter", p, par, [3]string{"x", "dw", "dy"}, [3]int{len(x), len(dw), len(dy)}, len(work))
	pl := p.plan(par)
	inH, pix, crs := p.C*p.H*p.W, pl.p, pl.crs
	wl := p.K * crs
	partial := func(wk int) []T {
		if wk == 0 {
			return dw[:wl]
		}
		o := pl.workers*pl.slab + (wk-1)*wl
		return work[o : o+wl]
	}
	parallel(pl.workers, func(wk int) {
		sc := workerScratch(&pl, work, wk)
		dst := partial(wk)
		var beta T // 0 for the first GEMM of the worker, then 1
		for gi := wk * pl.groups / pl.workers; gi < (wk+1)*pl.groups/pl.workers; gi++ {
			n0, n1 := groupRange(p, &pl, gi)
			g := n1 - n0
			switch {
			case pl.direct:
				for n := n0; n < n1; n++ {
					gemm(pl.inner, false, true, p.K, p.C, pix, 1, dy[n*p.K*pix:], pix,
						x[n*inH:], pix, beta, dst, crs, sc.pack)
					beta = 1
				}
			case g == 1:
				im2col(p, x[n0*inH:], sc.col, pix, 0)
				gemm(pl.inner, false, true, p.K, crs, pix, 1, dy[n0*p.K*pix:], pix,
					sc.col, pix, beta, dst, crs, sc.pack)
			default:
				cols := g * pix
				for i := range g {
					im2col(p, x[(n0+i)*inH:], sc.col, cols, i*pix)
				}
				gatherGroup(dy, sc.tmp, n0, g, p.K, pix)
				gemm(pl.inner, false, true, p.K, crs, cols, 1, sc.tmp, cols,
					sc.col, cols, beta, dst, crs, sc.pack)
			}
			beta = 1
		}
	})
	if pl.workers == 1 {
		return
	}
	// Sum the partials into dw, each goroutine over its own range of dw.
	parallel(pl.workers, func(wk int) {
		lo, hi := wk*wl/pl.workers, (wk+1)*wl/pl.workers
		d := dw[lo:hi]
		for i := 1; i < pl.workers; i++ {
			for j, v := range partial(i)[lo:hi] {
				d[j] += v
			}
		}
	})
}
