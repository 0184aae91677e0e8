package cpu

// Conv2dForward computes y = x ⋆ w (overwrites y) for the convolution p, using up to par
// goroutines and len(work) >= p.WorkspaceLen(par) elements of scratch. Each worker takes
// groups of images; per group it builds the im2col matrix col ((C*R*S)×(g*OH*OW)) in its
// scratch and computes the GEMM Y = W·col with W viewed as K×(C*R*S). A 1×1 convolution
// with stride 1 and no padding multiplies W by x directly.
func Conv2dForward[T Float](par int, p ConvParams, x, w, y, work []T) {
	mustConv("Conv2dForward", p, par, [3]string{"x", "w", "y"}, [3]int{len(x), len(w), len(y)}, len(work))
	pl := p.plan(par)
	inH, pix, crs := p.C*p.H*p.W, pl.p, pl.crs
	parallel(pl.workers, func(wk int) {
		sc := workerScratch(&pl, work, wk)
		for gi := wk * pl.groups / pl.workers; gi < (wk+1)*pl.groups/pl.workers; gi++ {
			n0, n1 := groupRange(p, &pl, gi)
			g := n1 - n0
			switch {
			case pl.direct:
				for n := n0; n < n1; n++ {
					gemm(pl.inner, false, false, p.K, pix, p.C, 1, w, p.C,
						x[n*inH:], pix, 0, y[n*p.K*pix:], pix, sc.pack)
				}
			case g == 1:
				im2col(p, x[n0*inH:], sc.col, pix, 0)
				gemm(pl.inner, false, false, p.K, pix, crs, 1, w, crs,
					sc.col, pix, 0, y[n0*p.K*pix:], pix, sc.pack)
			default:
				cols := g * pix
				for i := range g {
					im2col(p, x[(n0+i)*inH:], sc.col, cols, i*pix)
				}
				gemm(pl.inner, false, false, p.K, cols, crs, 1, w, crs,
					sc.col, cols, 0, sc.tmp, cols, sc.pack)
				scatterGroup(sc.tmp, y, n0, g, p.K, pix)
			}
		}
	})
}
