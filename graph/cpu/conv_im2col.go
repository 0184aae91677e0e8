package cpu

import "unsafe"

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

// colSource is the im2col matrix of a group of images of the convolution p, never stored
// whole: row j = (c*R+r)*S+s and column q = i*OH*OW + oh*OW + ow (image i of the group)
// hold x[i, c, oh*StrideH-PadH+r, ow*StrideW-PadW+s], or 0 outside the image. It reads the
// images from src, zero-padded copies made by newColSource when p has padding, so that every
// read is in bounds and stride-1 rows are contiguous runs.
type colSource[T Float] struct {
	p      ConvParams
	src    []T // the group's images, each C planes of hp×wp
	hp, wp int
	oh, ow int
}

// newColSource returns the im2col matrix of images [n0, n1) of x, padding them into pad
// (of length at least padLen(n1-n0)) if p has padding.
func newColSource[T Float](p ConvParams, x []T, n0, n1 int, pad []T) *colSource[T] {
	cs := &colSource[T]{p: p, hp: p.H + 2*p.PadH, wp: p.W + 2*p.PadW, oh: p.OutH(), ow: p.OutW()}
	chw := p.C * p.H * p.W
	if p.PadH == 0 && p.PadW == 0 {
		cs.src = x[n0*chw : n1*chw]
		return cs
	}
	cs.src = pad[:(n1-n0)*p.C*cs.hp*cs.wp]
	// Write each padded plane once, row by row: zero rows, or zero borders around a copy.
	for i := range n1 - n0 {
		for c := range p.C {
			in := x[(n0+i)*chw+c*p.H*p.W:]
			out := cs.src[(i*p.C+c)*cs.hp*cs.wp:]
			for h := range cs.hp {
				row := out[h*cs.wp : (h+1)*cs.wp]
				ih := h - p.PadH
				if ih < 0 || ih >= p.H {
					clear(row)
					continue
				}
				clear(row[:p.PadW])
				copy(row[p.PadW:p.PadW+p.W], in[ih*p.W:(ih+1)*p.W])
				clear(row[p.PadW+p.W:])
			}
		}
	}
	return cs
}

// padLen is the length of the padded copies of g images, 0 if p has no padding.
func (p ConvParams) padLen(g int) int {
	if p.PadH == 0 && p.PadW == 0 {
		return 0
	}
	return g * p.C * (p.H + 2*p.PadH) * (p.W + 2*p.PadW)
}

// colRun is a run of columns of the im2col matrix that are one stride apart in src: n
// columns starting at src offset src (before adding the row's offset), packed from bp
// offset dst on.
type colRun struct{ dst, src, n int }

// runs appends to rs the runs of columns [q0, q0+n), split at the ends of output rows and,
// for packing, of nr-column panels of depth kc (dst = panel*kc*nr + column in panel).
func (cs *colSource[T]) runs(rs []colRun, q0, n, nr, kc int) []colRun {
	pix := cs.oh * cs.ow
	img, q := q0/pix, q0%pix
	oh, ow := q/cs.ow, q%cs.ow
	chw := cs.p.C * cs.hp * cs.wp
	for d := 0; d < n; {
		cnt := min(n-d, cs.ow-ow, nr-d%nr)
		rs = append(rs, colRun{
			dst: d/nr*kc*nr + d%nr,
			src: img*chw + oh*cs.p.StrideH*cs.wp + ow*cs.p.StrideW,
			n:   cnt,
		})
		d += cnt
		if ow += cnt; ow == cs.ow {
			ow = 0
			if oh++; oh == cs.oh {
				oh = 0
				img++
			}
		}
	}
	return rs
}

// rowOffset returns the offset in src of row j's entry in column 0.
func (cs *colSource[T]) rowOffset(j int) int {
	p := &cs.p
	c, r, s := j/(p.R*p.S), j/p.S%p.R, j%p.S
	return (c*cs.hp+r)*cs.wp + s
}

// packCols is the bPacker of the im2col matrix as B (k = C*R*S rows, n = pixel columns).
func (cs *colSource[T]) packCols(p0, j0, kc, nc, nr int, bp, _ []T) {
	rs := cs.runs(make([]colRun, 0, 64), j0, nc, nr, kc)
	sw := cs.p.StrideW
	ro := make([]int, kc)
	for p := range kc {
		ro[p] = cs.rowOffset(p0 + p)
	}
	if sw != 1 && unsafe.Sizeof(bp[0]) == 4 && nr == 32 && gatherCols32x != nil && len(cs.src) < 1<<31 {
		// Strided columns: gather each full panel, 32 pixels at a time, for all rows.
		ro32 := make([]int32, kc)
		for p, o := range ro {
			ro32[p] = int32(o)
		}
		var pix [32]int32
		full := nc / 32 * 32
		np := 0
		for _, ru := range rs {
			if ru.dst/(kc*32)*32 >= full {
				break
			}
			for t := range ru.n {
				pix[np] = int32(ru.src + t*sw)
				np++
			}
			if np == 32 {
				gatherCols32x(asF32(bp[ru.dst/(kc*32)*kc*32:]), asF32(cs.src), &pix, ro32)
				np = 0
			}
		}
		rs = cs.runs(rs[:0], j0+full, nc-full, nr, kc)
		for i := range rs {
			rs[i].dst += full * kc
		}
	}
	for _, ru := range rs {
		if sw == 1 && ru.n%4 == 0 && unsafe.Sizeof(bp[0]) == 4 && gatherRows32 != nil {
			// Fill the run's column of the panel for all rows in one call.
			src := asF32(cs.src[ru.src:])
			gatherRows32(asF32(bp[ru.dst:]), src, ro, ru.n, nr)
			continue
		}
		for p, o := range ro {
			dst := bp[ru.dst+p*nr : ru.dst+p*nr+ru.n]
			src := cs.src[o+ru.src:]
			if sw == 1 {
				copy(dst, src)
				continue
			}
			for t := range dst {
				dst[t] = src[t*sw]
			}
		}
	}
	if tail := nc % nr; tail != 0 {
		pan := bp[nc/nr*kc*nr:]
		for p := range kc {
			clear(pan[p*nr+tail : (p+1)*nr])
		}
	}
}

// packRows is the bPacker of the transposed im2col matrix as B (k = pixel rows,
// n = C*R*S columns).
func (cs *colSource[T]) packRows(p0, j0, kc, nc, nr int, bp, _ []T) {
	// Runs of pixels p0.. with panel width 1 and depth 0 number the destination rows.
	rs := cs.runs(make([]colRun, 0, 64), p0, kc, kc, 0)
	sw := cs.p.StrideW
	var pixOffs []int32
	fast := unsafe.Sizeof(bp[0]) == 4 && nr == 32 && gatherCols32x != nil && len(cs.src) < 1<<31
	if fast {
		pixOffs = make([]int32, 0, kc)
		for _, ru := range rs {
			for t := range ru.n {
				pixOffs = append(pixOffs, int32(ru.src+t*sw))
			}
		}
	}
	for jr := 0; jr < nc; jr += nr {
		pan := bp[jr*kc : (jr+nr)*kc]
		nn := min(nr, nc-jr)
		if fast && nn == 32 {
			var ro [32]int32
			for j := range ro {
				ro[j] = int32(cs.rowOffset(j0 + jr + j))
			}
			gatherCols32x(asF32(pan), asF32(cs.src), &ro, pixOffs)
			continue
		}
		for j := range nn {
			ro := cs.rowOffset(j0 + jr + j)
			for _, ru := range rs {
				src := cs.src[ro+ru.src:]
				dst := pan[ru.dst*nr+j:]
				for t := range ru.n {
					dst[t*nr] = src[t*sw]
				}
			}
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
