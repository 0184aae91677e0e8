package cpu

// validRange returns the output positions [lo, hi) whose input coordinate o*stride-pad+r
// lies in [0, size).
func validRange(out, size, stride, pad, r int) (lo, hi int) {
	// o*stride >= pad-r  <=>  o >= ceil((pad-r)/stride)
	if d := pad - r; d > 0 {
		lo = (d + stride - 1) / stride
	}
	// o*stride <= size-1+pad-r  <=>  o <= floor((size-1+pad-r)/stride)
	if d := size - 1 + pad - r; d >= 0 {
		hi = min(out, d/stride+1)
	}
	return lo, max(lo, hi)
}

// im2col writes the im2col matrix of one image x (C×H×W) into columns [off, off+OH*OW) of
// col, a (C*R*S)×ld matrix: col[(c*R+r)*S+s, off+oh*OW+ow] = x[c, oh*sh-ph+r, ow*sw-pw+s],
// or 0 outside the image.
func im2col[T Float](p ConvParams, x, col []T, ld, off int) {
	oh, ow := p.OutH(), p.OutW()
	for c := range p.C {
		img := x[c*p.H*p.W : (c+1)*p.H*p.W]
		for r := range p.R {
			h0, h1 := validRange(oh, p.H, p.StrideH, p.PadH, r)
			for s := range p.S {
				w0, w1 := validRange(ow, p.W, p.StrideW, p.PadW, s)
				row := col[((c*p.R+r)*p.S+s)*ld+off:]
				row = row[:oh*ow]
				clear(row[:h0*ow])
				clear(row[h1*ow:])
				for y := h0; y < h1; y++ {
					dst := row[y*ow : (y+1)*ow]
					src := img[(y*p.StrideH-p.PadH+r)*p.W:]
					clear(dst[:w0])
					clear(dst[w1:])
					ix := w0*p.StrideW - p.PadW + s
					if p.StrideW == 1 {
						copy(dst[w0:w1], src[ix:ix+w1-w0])
						continue
					}
					for x := w0; x < w1; x++ {
						dst[x] = src[ix]
						ix += p.StrideW
					}
				}
			}
		}
	}
}

// col2im adds the im2col matrix in columns [off, off+OH*OW) of col (C*R*S)×ld back into
// one image dx (C×H×W): the adjoint of im2col.
func col2im[T Float](p ConvParams, col, dx []T, ld, off int) {
	oh, ow := p.OutH(), p.OutW()
	for c := range p.C {
		img := dx[c*p.H*p.W : (c+1)*p.H*p.W]
		for r := range p.R {
			h0, h1 := validRange(oh, p.H, p.StrideH, p.PadH, r)
			for s := range p.S {
				w0, w1 := validRange(ow, p.W, p.StrideW, p.PadW, s)
				row := col[((c*p.R+r)*p.S+s)*ld+off:]
				for y := h0; y < h1; y++ {
					src := row[y*ow+w0 : y*ow+w1]
					dst := img[(y*p.StrideH-p.PadH+r)*p.W:]
					ix := w0*p.StrideW - p.PadW + s
					if p.StrideW == 1 {
						dst = dst[ix : ix+len(src)]
						for i, v := range src {
							dst[i] += v
						}
						continue
					}
					for _, v := range src {
						dst[ix] += v
						ix += p.StrideW
					}
				}
			}
		}
	}
}

// gatherGroup copies the per-image matrices (rows×P, image i at src[(n0+i)*rows*P:]) of g
// images side by side into dst, a rows×(g*P) matrix.
func gatherGroup[T Float](src, dst []T, n0, g, rows, pix int) {
	for i := range g {
		img := src[(n0+i)*rows*pix:]
		for k := range rows {
			copy(dst[k*g*pix+i*pix:k*g*pix+(i+1)*pix], img[k*pix:(k+1)*pix])
		}
	}
}

// scatterGroup is the inverse of gatherGroup.
func scatterGroup[T Float](src, dst []T, n0, g, rows, pix int) {
	for i := range g {
		img := dst[(n0+i)*rows*pix:]
		for k := range rows {
			copy(img[k*pix:(k+1)*pix], src[k*g*pix+i*pix:k*g*pix+(i+1)*pix])
		}
	}
}
