package cpu

// Conv2dForward computes y = x ⋆ w (overwrites y) for the convolution p, using up to par
// goroutines and len(work) >= p.WorkspaceLen(par) elements of scratch. Each worker takes
// groups of images and computes the GEMM Y = W·col, with W viewed as K×(C*R*S) (packed once
// for all groups) and col the im2col matrix of the group, packed for the GEMM straight from
// x.
func Conv2dForward[T Float](par int, p ConvParams, x, w, y, work []T) {
	mustConv("Conv2dForward", p, par, [3]string{"x", "w", "y"}, [3]int{len(x), len(w), len(y)}, len(work))
	conv2dForward(par, p, x, w, y, work, nil)
}

// conv2dForward is Conv2dForward without argument checks. If packW is not nil, it packs
// k-blocks [b0, b1) of the filter as prepack would pack w, which is then not used.
func conv2dForward[T Float](par int, p ConvParams, x, w, y, work []T, packW func(dst []T, b0, b1 int)) {
	pl := p.plan(par)
	lens := p.forwardLens(&pl)
	// W is packed once for all groups, after the workers' scratch.
	wp := work[pl.workers*pl.slab(lens):]
	wp = wp[:prepackLen(p.K, pl.crs)]
	nb := (pl.crs + gemmKC - 1) / gemmKC
	np := min(max(1, par), nb)
	parallel(np, func(t int) {
		b0, b1 := t*nb/np, (t+1)*nb/np
		if packW != nil {
			packW(wp, b0, b1)
			return
		}
		prepack(false, p.K, pl.crs, 1, w, pl.crs, wp, b0, b1)
	})
	groups := &counter{n: pl.groups}
	parallel(pl.workers, func(wk int) {
		tmp, pad, pack := slabOf(&pl, lens, work, wk)
		for gi, ok := groups.take(); ok; gi, ok = groups.take() {
			n0, n1 := pl.images(p, gi)
			cols := (n1 - n0) * pl.pix
			cs := newColSource(p, x, n0, n1, pad)
			if n1-n0 == 1 {
				gemmPacked(pl.inner, false, p.K, cols, pl.crs, 1, nil, 0, wp, cs.packCols,
					0, y[n0*p.K*pl.pix:], cols, pack)
				continue
			}
			gemmPacked(pl.inner, false, p.K, cols, pl.crs, 1, nil, 0, wp, cs.packCols,
				0, tmp, cols, pack)
			scatterGroup(tmp, y, n0, n1-n0, p.K, pl.pix)
		}
	})
}
