package cpu

import "sync"

// This file holds the plain fallback GEMM and convolution used until the
// optimised kernels of gemm*.go and conv*.go replace them. They are also the
// loops those kernels must match.

// parallel runs f(lo, hi) over [0, n) split into at most par chunks.
func parallel(par, n int, f func(w, lo, hi int)) {
	if par < 1 {
		par = 1
	}
	if par > n {
		par = n
	}
	if par <= 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + par - 1) / par
	for w := 0; w < par; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			f(w, lo, hi)
		}(w, lo, hi)
	}
	wg.Wait()
}

// naiveGemm computes C = alpha*op(A)*op(B) + beta*C, rows of C split over
// par goroutines.
func naiveGemm[T Float](par int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	parallel(par, m, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			ci := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(ci)
			} else if beta != 1 {
				for j := range ci {
					ci[j] *= beta
				}
			}
			switch {
			case !transB:
				for p := 0; p < k; p++ {
					var av T
					if transA {
						av = a[p*lda+i]
					} else {
						av = a[i*lda+p]
					}
					av *= alpha
					if av == 0 {
						continue
					}
					bp := b[p*ldb : p*ldb+n]
					for j, bv := range bp {
						ci[j] += av * bv
					}
				}
			default:
				for j := 0; j < n; j++ {
					bj := b[j*ldb : j*ldb+k]
					var s T
					if transA {
						for p, bv := range bj {
							s += a[p*lda+i] * bv
						}
					} else {
						ai := a[i*lda : i*lda+k]
						for p, bv := range bj {
							s += ai[p] * bv
						}
					}
					ci[j] += alpha * s
				}
			}
		}
	})
}

// im2col writes the (C·R·S)×(OH·OW) column matrix of one image x (C×H×W).
func im2col[T Float](p shape, x, col []T) {
	oh, ow := p.outH(), p.outW()
	i := 0
	for c := 0; c < p.C; c++ {
		xc := x[c*p.H*p.W:]
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				for y := 0; y < oh; y++ {
					iy := y*p.StrideH - p.PadH + r
					row := col[i : i+ow]
					i += ow
					if iy < 0 || iy >= p.H {
						clear(row)
						continue
					}
					xr := xc[iy*p.W : iy*p.W+p.W]
					for xo := range row {
						ix := xo*p.StrideW - p.PadW + s
						if ix < 0 || ix >= p.W {
							row[xo] = 0
						} else {
							row[xo] = xr[ix]
						}
					}
				}
			}
		}
	}
}

// col2im adds the column matrix col back into the image dx (C×H×W), which
// it first clears.
func col2im[T Float](p shape, col, dx []T) {
	clear(dx)
	oh, ow := p.outH(), p.outW()
	i := 0
	for c := 0; c < p.C; c++ {
		dc := dx[c*p.H*p.W:]
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				for y := 0; y < oh; y++ {
					iy := y*p.StrideH - p.PadH + r
					row := col[i : i+ow]
					i += ow
					if iy < 0 || iy >= p.H {
						continue
					}
					dr := dc[iy*p.W : iy*p.W+p.W]
					for xo, v := range row {
						ix := xo*p.StrideW - p.PadW + s
						if ix >= 0 && ix < p.W {
							dr[ix] += v
						}
					}
				}
			}
		}
	}
}

// shape mirrors graph.ConvShape without importing graph.
type shape struct {
	N, C, H, W       int
	K, R, S          int
	StrideH, StrideW int
	PadH, PadW       int
}

func (p shape) outH() int { return (p.H+2*p.PadH-p.R)/p.StrideH + 1 }
func (p shape) outW() int { return (p.W+2*p.PadW-p.S)/p.StrideW + 1 }
func (p shape) colLen() int {
	return p.C * p.R * p.S * p.outH() * p.outW()
}

// naiveWorkspaceLen is the scratch the naive convolutions need with par
// workers: one column matrix and one filter accumulator per worker.
func naiveWorkspaceLen(p shape, par int) int {
	par = max(1, min(par, p.N))
	return par * (p.colLen() + p.K*p.C*p.R*p.S)
}

func naiveConvForward[T Float](par int, p shape, x, w, y, work []T) {
	crs, ohw := p.C*p.R*p.S, p.outH()*p.outW()
	parallel(par, p.N, func(wk, lo, hi int) {
		col := work[wk*p.colLen() : (wk+1)*p.colLen()]
		for n := lo; n < hi; n++ {
			im2col(p, x[n*p.C*p.H*p.W:(n+1)*p.C*p.H*p.W], col)
			naiveGemm(1, false, false, p.K, ohw, crs, 1, w, crs, col, ohw, 0, y[n*p.K*ohw:], ohw)
		}
	})
}

func naiveConvBackwardData[T Float](par int, p shape, w, dy, dx, work []T) {
	crs, ohw := p.C*p.R*p.S, p.outH()*p.outW()
	parallel(par, p.N, func(wk, lo, hi int) {
		col := work[wk*p.colLen() : (wk+1)*p.colLen()]
		for n := lo; n < hi; n++ {
			naiveGemm(1, true, false, crs, ohw, p.K, 1, w, crs, dy[n*p.K*ohw:], ohw, 0, col, ohw)
			col2im(p, col, dx[n*p.C*p.H*p.W:(n+1)*p.C*p.H*p.W])
		}
	})
}

func naiveConvBackwardFilter[T Float](par int, p shape, x, dy, dw, work []T) {
	crs, ohw := p.C*p.R*p.S, p.outH()*p.outW()
	par = max(1, min(par, p.N))
	colBase := par * p.colLen()
	parallel(par, p.N, func(wk, lo, hi int) {
		col := work[wk*p.colLen() : (wk+1)*p.colLen()]
		acc := work[colBase+wk*p.K*crs : colBase+(wk+1)*p.K*crs]
		clear(acc)
		for n := lo; n < hi; n++ {
			im2col(p, x[n*p.C*p.H*p.W:(n+1)*p.C*p.H*p.W], col)
			naiveGemm(1, false, true, p.K, crs, ohw, 1, dy[n*p.K*ohw:], ohw, col, ohw, 1, acc, crs)
		}
	})
	copy(dw, work[colBase:colBase+p.K*crs])
	chunk := (p.N + par - 1) / par
	for wk := 1; wk < par; wk++ {
		if wk*chunk >= p.N {
			break
		}
		acc := work[colBase+wk*p.K*crs : colBase+(wk+1)*p.K*crs]
		for i, v := range acc {
			dw[i] += v
		}
	}
}
