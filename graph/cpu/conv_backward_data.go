package cpu

// Conv2dBackwardData computes dx = ∂L/∂x from dy = ∂L/∂y (overwrites dx) for the
// convolution p. With stride 1 it runs Conv2dForward on dy with the flipped filter (see
// ConvParams.flipped). Otherwise, per group of images, col = Wᵀ·dY with W viewed as
// K×(C*R*S), and col2im adds col back into the images of dx (the adjoint of im2col).
func Conv2dBackwardData[T Float](par int, p ConvParams, w, dy, dx, work []T) {
	mustConv("Conv2dBackwardData", p, par, [3]string{"dx", "w", "dy"}, [3]int{len(dx), len(w), len(dy)}, len(work))
	if q, ok := p.flipped(); ok {
		wf := work[:len(w)]
		rs := p.R * p.S
		for k := range p.K {
			for c := range p.C {
				src := w[(k*p.C+c)*rs : (k*p.C+c+1)*rs]
				dst := wf[(c*p.K+k)*rs : (c*p.K+k+1)*rs]
				for i, v := range src {
					dst[rs-1-i] = v
				}
			}
		}
		conv2dForward(par, q, dy, wf, dx, work[len(w):])
		return
	}
	pl := p.plan(par)
	lens := p.dataLens(&pl)
	inH := p.C * p.H * p.W
	parallel(pl.workers, func(wk int) {
		tmp, col, pack := slabOf(&pl, lens, work, wk)
		g0, g1 := pl.groupsOf(wk)
		for gi := g0; gi < g1; gi++ {
			n0, n1 := pl.images(p, gi)
			cols := (n1 - n0) * pl.pix
			b := dy[n0*p.K*pl.pix:]
			if n1-n0 > 1 {
				gatherGroup(dy, tmp, n0, n1-n0, p.K, pl.pix)
				b = tmp
			}
			gemm(pl.inner, true, false, pl.crs, cols, p.K, 1, w, pl.crs, b, cols, 0, col, cols, pack)
			for i := range n1 - n0 {
				img := dx[(n0+i)*inH : (n0+i+1)*inH]
				clear(img)
				col2im(p, col, img, cols, i*pl.pix)
			}
		}
	})
}
