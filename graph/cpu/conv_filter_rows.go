package cpu

// Backward filter for stride-1 float32 convolutions on AVX-512, without an im2col matrix.
//
// With stride 1, row j = (c, r, s) of an image's im2col matrix, taken over the padded grid
// of pixels q = oh*Wp + ow (Wp the padded width, ow < Wp), is the contiguous run
// xpad[c*Hp*Wp + r*Wp + s + q] of the zero-padded image. So dWᵀ = col·dYᵀ ((C*R*S)×K) is a
// GEMM over the padded grid whose A rows the micro-kernel reads in place (rowsKernel32),
// with B = dYᵀ packed from dy and zero at the grid's Wp-OW extra columns per row.

// rowsKC is the depth (pixels) of one pass of the micro-kernel over a 32×kc panel of B.
const rowsKC = 256

// rowsGeom is the padded grid of a stride-1 convolution.
type rowsGeom struct {
	hp, wp int // padded image height and width
	pp     int // grid pixels (OH-1)*Wp + OW: the last row's extra columns are left out
	kr     int // K rounded up to 32
	crs    int
}

func (p ConvParams) rowsGeom() rowsGeom {
	g := rowsGeom{hp: p.H + 2*p.PadH, wp: p.W + 2*p.PadW, kr: (p.K + 31) / 32 * 32, crs: p.C * p.R * p.S}
	g.pp = (p.OutH()-1)*g.wp + p.OutW()
	return g
}

// rowsMinPix is the fewest output pixels per image for which conv2dFilterRows is used:
// with fewer, each image adds too short a sum to dWᵀ for the read and write of dWᵀ to pay,
// and Conv2dBackwardFilter's grouped GEMM is faster.
const rowsMinPix = 256

// rowsOK reports whether conv2dFilterRows handles p on this machine.
func (p ConvParams) rowsOK() bool {
	return rowsKernel32 != nil && p.StrideH == 1 && p.StrideW == 1 && p.OutH()*p.OutW() >= rowsMinPix
}

// rowsSlab is the scratch of one worker of conv2dFilterRows: the padded image, packed dYᵀ
// and the partial dWᵀ.
func (p ConvParams) rowsSlab() int {
	g := p.rowsGeom()
	return p.C*g.hp*g.wp + g.pp*g.kr + g.crs*g.kr
}

// filterRowsLen is the workspace conv2dFilterRows needs with par goroutines, 0 if it does
// not apply.
func (p ConvParams) filterRowsLen(par int) int {
	if !p.rowsOK() {
		return 0
	}
	par = max(1, par)
	return min(par, p.N)*p.rowsSlab() + par*8*32
}

// conv2dFilterRows is Conv2dBackwardFilter for float32 when p.rowsOK().
func conv2dFilterRows(par int, p ConvParams, x, dy, dw, work []float32) {
	par = max(1, par)
	g := p.rowsGeom()
	workers := min(par, p.N)
	inner := max(1, par/workers)
	slab := p.rowsSlab()
	tiles := work[workers*slab:]
	chw, pix, ow := p.C*p.H*p.W, p.OutH()*p.OutW(), p.OutW()
	part := func(w int) []float32 {
		s := work[w*slab:]
		return s[p.C*g.hp*g.wp+g.pp*g.kr : slab]
	}
	parallel(workers, func(w int) {
		s := work[w*slab : (w+1)*slab]
		xpad := s[:p.C*g.hp*g.wp]
		bt := s[len(xpad) : len(xpad)+g.pp*g.kr]
		dwt := part(w)
		clear(dwt)
		lo, hi := share(p.N, workers, w)
		for n := lo; n < hi; n++ {
			xp := x[n*chw : (n+1)*chw]
			if p.PadH > 0 || p.PadW > 0 {
				clear(xpad)
				for c := range p.C {
					for h := range p.H {
						o := (c*g.hp+h+p.PadH)*g.wp + p.PadW
						copy(xpad[o:o+p.W], x[n*chw+(c*p.H+h)*p.W:])
					}
				}
				xp = xpad
			}
			// bt holds kr/32 panels, each pp×32: bt[q*pp*32 + i*32 + kk] = dy[n, q*32+kk, pixel i].
			dyn := dy[n*p.K*pix : (n+1)*p.K*pix]
			for q := 0; q < g.kr/32; q++ {
				pan := bt[q*g.pp*32 : (q+1)*g.pp*32]
				for i := range g.pp {
					row := pan[i*32 : i*32+32]
					oh, o := i/g.wp, i%g.wp
					kn := min(32, p.K-q*32)
					if o >= ow {
						clear(row)
						continue
					}
					src := dyn[q*32*pix+oh*ow+o:]
					for kk := range kn {
						row[kk] = src[kk*pix]
					}
					clear(row[kn:])
				}
			}
			parallel(inner, func(t int) {
				filterRowsTiles(p, &g, xp, bt, dwt, tiles[(w*inner+t)*256:(w*inner+t+1)*256], t, inner)
			})
		}
	})
	// dw[k, j] = Σ_w dwtᵂ[j, k], each goroutine over its own filters k.
	parallel(min(par, p.K), func(t int) {
		k0, k1 := t*p.K/min(par, p.K), (t+1)*p.K/min(par, p.K)
		for k := k0; k < k1; k++ {
			d := dw[k*g.crs : (k+1)*g.crs]
			for j := range d {
				var v float32
				for w := range workers {
					v += part(w)[j*g.kr+k]
				}
				d[j] = v
			}
		}
	})
}

// filterRowsTiles adds one image's col·dYᵀ to dwt for the 8-row tiles t, t+inner, … of
// dwt, using tile as scratch.
func filterRowsTiles(p ConvParams, g *rowsGeom, xp, bt, dwt, tile []float32, t, inner int) {
	nt := (g.crs + 7) / 8
	t0, t1 := t*nt/inner, (t+1)*nt/inner
	var offs [8]int
	for pc := 0; pc < g.pp; pc += rowsKC {
		kc := min(rowsKC, g.pp-pc)
		for q := 0; q < g.kr/32; q++ {
			bpan := bt[(q*g.pp+pc)*32:]
			for ti := t0; ti < t1; ti++ {
				j0 := ti * 8
				mm := min(8, g.crs-j0)
				for i := range offs {
					j := j0 + min(i, mm-1)
					c, r, s := j/(p.R*p.S), j/p.S%p.R, j%p.S
					offs[i] = (c*g.hp+r)*g.wp + s + pc
				}
				if mm == 8 {
					rowsKernel32(kc, xp, &offs, bpan, dwt[j0*g.kr+q*32:], g.kr)
					continue
				}
				clear(tile)
				rowsKernel32(kc, xp, &offs, bpan, tile, 32)
				for i := range mm {
					d := dwt[(j0+i)*g.kr+q*32 : (j0+i)*g.kr+q*32+32]
					for jj, v := range tile[i*32 : i*32+32] {
						d[jj] += v
					}
				}
			}
		}
	}
}
