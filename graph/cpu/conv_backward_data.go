package cpu

// Conv2dBackwardData computes dx = ∂L/∂x from dy = ∂L/∂y (overwrites dx) for the
// convolution p. With stride 1 it runs Conv2dForward on dy with the flipped filter (see
// ConvParams.flipped). Otherwise, per group of images, col = Wᵀ·dY with W viewed as
// K×(C*R*S), and col2im adds col back into the images of dx (the adjoint of im2col).
func Conv2dBackwardData[T Float](par int, p ConvParams, w, dy, dx, work []T) {
	mustConv("Conv2dBackwardData", p, par, [3]string{"dx", "w", "dy"}, [3]int{len(dx), len(w), len(dy)}, len(work))
	if q, ok := p.flipped(); ok {
		conv2dForward(par, q, dy, nil, dx, work, func(dst []T, b0, b1 int) { prepackFlipped(p, w, dst, b0, b1) })
		return
	}
	pl := p.plan(par)
	lens := p.dataLens(&pl)
	inH := p.C * p.H * p.W
	groups := &counter{n: pl.groups}
	parallel(pl.workers, func(wk int) {
		tmp, col, pack := slabOf(&pl, lens, work, wk)
		for gi, ok := groups.take(); ok; gi, ok = groups.take() {
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

// prepackFlipped packs the k-blocks [b0, b1) of the filter of p.flipped() (C×(K*R*S),
// w'[c,k,r,s] = w[k,c,R-1-r,S-1-s]) into dst as prepack does, without storing w'.
func prepackFlipped[T Float](p ConvParams, w, dst []T, b0, b1 int) {
	mr := kernelMR[T]()
	rs := p.R * p.S
	m, k := p.C, p.K*rs
	mRound := (m + mr - 1) / mr * mr
	for pc := b0 * gemmKC; pc < min(k, b1*gemmKC); pc += gemmKC {
		kc := min(gemmKC, k-pc)
		blk := dst[pc*mRound : pc*mRound+mRound*kc]
		for ir := 0; ir < m; ir += mr {
			pan := blk[ir*kc : (ir+mr)*kc]
			mm := min(mr, m-ir)
			for pp := range kc {
				col := pc + pp
				kk, t := col/rs, col%rs
				src := w[(kk*p.C+ir)*rs+rs-1-t:]
				d := pan[pp*mr : (pp+1)*mr]
				for i := range mm {
					d[i] = src[i*rs]
				}
				clear(d[mm:])
			}
		}
	}
}
