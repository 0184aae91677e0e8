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

// colSource is the im2col matrix of the images x[n0:n0+g] of the convolution p, never
// stored whole: row j = (c*R+r)*S+s and column q = i*OH*OW + oh*OW + ow (image n0+i) hold
// x[n0+i, c, oh*StrideH-PadH+r, ow*StrideW-PadW+s], or 0 outside the image.
type colSource[T Float] struct {
	p      ConvParams
	x      []T
	n0     int
	oh, ow int
}

func newColSource[T Float](p ConvParams, x []T, n0 int) *colSource[T] {
	return &colSource[T]{p: p, x: x, n0: n0, oh: p.OutH(), ow: p.OutW()}
}

// validSpan returns the run positions [lo, hi) of n outputs, starting at input coordinate
// i0 and stepping by stride, that fall inside [0, size).
func validSpan(i0, stride, size, n int) (lo, hi int) {
	if i0 < 0 {
		lo = min(n, (-i0+stride-1)/stride)
	}
	if i0 <= size-1 {
		hi = min(n, (size-1-i0)/stride+1)
	}
	return lo, max(lo, hi)
}

// row writes the n entries of row j from column q0 on to dst[0], dst[ds], dst[2*ds], ….
func (cs *colSource[T]) row(j, q0, n int, dst []T, ds int) {
	p := &cs.p
	c, r, s := j/(p.R*p.S), j/p.S%p.R, j%p.S
	pix := cs.oh * cs.ow
	img, q := q0/pix, q0%pix
	oh, ow := q/cs.ow, q%cs.ow
	chw := p.C * p.H * p.W
	plane := (cs.n0+img)*chw + c*p.H*p.W
	for d := 0; d < n; {
		cnt := min(n-d, cs.ow-ow)
		out := dst[d*ds:]
		lo, hi := 0, 0
		if ih := oh*p.StrideH - p.PadH + r; ih >= 0 && ih < p.H {
			src := cs.x[plane+ih*p.W : plane+(ih+1)*p.W]
			iw := ow*p.StrideW - p.PadW + s
			lo, hi = validSpan(iw, p.StrideW, p.W, cnt)
			iw += lo * p.StrideW
			switch {
			case ds == 1 && p.StrideW == 1:
				copy(out[lo:hi], src[iw:])
			case ds == 1:
				for t := lo; t < hi; t++ {
					out[t] = src[iw]
					iw += p.StrideW
				}
			default:
				for t := lo; t < hi; t++ {
					out[t*ds] = src[iw]
					iw += p.StrideW
				}
			}
		}
		if ds == 1 {
			clear(out[:lo])
			clear(out[hi:cnt])
		} else {
			for t := range lo {
				out[t*ds] = 0
			}
			for t := hi; t < cnt; t++ {
				out[t*ds] = 0
			}
		}
		d += cnt
		if ow += cnt; ow == cs.ow {
			ow = 0
			if oh++; oh == cs.oh {
				oh = 0
				plane += chw
			}
		}
	}
}

// packCols is the bPacker of the im2col matrix as B (k = C*R*S rows, n = pixel columns).
func (cs *colSource[T]) packCols(p0, j0, kc, nc, nr int, bp, line []T) {
	line = line[:nc]
	for p := range kc {
		cs.row(p0+p, j0, nc, line, 1)
		for jr := 0; jr < nc; jr += nr {
			nn := min(nr, nc-jr)
			dst := bp[jr*kc+p*nr : jr*kc+(p+1)*nr]
			copy(dst, line[jr:jr+nn])
			clear(dst[nn:])
		}
	}
}

// packRows is the bPacker of the transposed im2col matrix as B (k = pixel rows,
// n = C*R*S columns).
func (cs *colSource[T]) packRows(p0, j0, kc, nc, nr int, bp, _ []T) {
	for jr := 0; jr < nc; jr += nr {
		pan := bp[jr*kc : (jr+nr)*kc]
		nn := min(nr, nc-jr)
		for j := range nn {
			cs.row(j0+jr+j, p0, kc, pan[j:], nr)
		}
		if nn < nr {
			for p := range kc {
				clear(pan[p*nr+nn : (p+1)*nr])
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
