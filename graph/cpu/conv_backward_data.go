package cpu

// Conv2dBackwardData computes dx = ∂L/∂x from dy = ∂L/∂y (overwrites dx) for the
// convolution p: per group of images, col = Wᵀ·dY with W viewed as K×(C*R*S), then col2im
// adds col back into the images of dx (the adjoint of Conv2dForward's im2col).
func Conv2dBackwardData[T Float](par int, p ConvParams, w, dy, dx, work []T) {
	mustConv("Conv2dBackwardData", p, par, [3]string{"dx", "w", "dy"}, [3]int{len(dx), len(w), len(dy)}, len(work))
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
					gemm(pl.inner, true, false, p.C, pix, p.K, 1, w, p.C,
						dy[n*p.K*pix:], pix, 0, dx[n*inH:], pix, sc.pack)
				}
			case g == 1:
				gemm(pl.inner, true, false, crs, pix, p.K, 1, w, crs,
					dy[n0*p.K*pix:], pix, 0, sc.col, pix, sc.pack)
				img := dx[n0*inH : (n0+1)*inH]
				clear(img)
				col2im(p, sc.col, img, pix, 0)
			default:
				cols := g * pix
				gatherGroup(dy, sc.tmp, n0, g, p.K, pix)
				gemm(pl.inner, true, false, crs, cols, p.K, 1, w, crs,
					sc.tmp, cols, 0, sc.col, cols, sc.pack)
				for i := range g {
					img := dx[(n0+i)*inH : (n0+i+1)*inH]
					clear(img)
					col2im(p, sc.col, img, cols, i*pix)
				}
			}
		}
	})
}
