package cpu

import "unsafe"

// The blocked GEMM follows Goto and van de Geijn, "Anatomy of high-performance matrix
// multiplication" (ACM TOMS 34(3), 2008) and the BLIS loop structure (Van Zee and van de
// Geijn, ACM TOMS 41(3), 2015). C is row-major, so a micro-kernel loads rows of packed B as
// vectors and broadcasts elements of packed A: in BLIS's column-major terms our B is BLIS's
// A and the other way round. Loops, outermost first:
//
//	jc over n in blocks of gemmNC   (B block, kc×nc, packed once per jc and pc)
//	pc over k in blocks of gemmKC
//	ic over m in blocks of gemmMC   (A block, mc×kc, kept in L2)
//	jr over nc in steps of nr       (B micro-panel, kc×nr, kept in L1)
//	ir over mc in steps of mr       (A micro-panel streamed from L2; micro-kernel on mr×nr of C)
//
// alpha is folded into packed A; beta is 0 (first pc block overwrites C), 1 (accumulate) or
// applied to C beforehand.

// Block sizes. gemmMC is a multiple of every kernel's mr and gemmNC of every nr.
const (
	gemmKC = 128
	gemmMC = 960
	gemmNC = 1024

	maxMR = 16 // upper bound of the mr of all kernels
	maxNR = 32 // upper bound of the nr of all kernels
)

// kernel is a micro-kernel computing an mr×nr tile of C from packed panels:
// c[i*ldc+j] (+)= Σ_p ap[p*mr+i]*bp[p*nr+j] for p < kc, adding to c when acc is true and
// overwriting it otherwise.
type kernel[T float32 | float64] struct {
	name   string
	mr, nr int
	tile   func(kc int, ap, bp, c []T, ldc int, acc bool)
}

// bPacker packs op(B)[p0:p0+kc, j0:j0+nc] into bp as nr-column panels: panel q starts at
// q*nr*kc and holds element (p, q*nr+j) at p*nr+j; columns past nc are zero. line is
// scratch of gemmNC elements. Packers let convolutions pack im2col matrices straight from
// the images, never storing them whole.
type bPacker[T float32 | float64] func(p0, j0, kc, nc, nr int, bp, line []T)

// matrixB returns the packer of the stored matrix b (k×n, or n×k when transB).
func matrixB[T float32 | float64](transB bool, b []T, ldb int) bPacker[T] {
	return func(p0, j0, kc, nc, nr int, bp, _ []T) {
		packB(transB, b, ldb, p0, j0, kc, nc, nr, bp)
	}
}

// packLen is the scratch length one goroutine of gemm needs for an m×n×k product with any
// of the package's kernels.
func packLen(m, n, k int) int {
	kc := min(k, gemmKC)
	return (min(m, gemmMC)+maxMR)*kc + kc*(min(n, gemmNC)+maxNR) + maxMR*maxNR + gemmNC
}

// prepackLen is the length of A (m×k) packed whole by prepackWith for any kernel.
func prepackLen(m, k int) int { return (m + maxMR) * k }

// prepackWith packs alpha*op(A) (m×k) whole for kn into dst: the block of depth kc at pc
// starts at pc*roundUp(m, mr), laid out as packA lays out a block. A GEMM can then reuse it
// across calls instead of packing A each time. It packs only the k-blocks [b0, b1) (block i
// starts at pc = i*gemmKC), so that goroutines can share the work.
func prepackWith[T float32 | float64](kn *kernel[T], transA bool, m, k int, alpha T, a []T, lda int, dst []T, b0, b1 int) {
	mRound := (m + kn.mr - 1) / kn.mr * kn.mr
	for pc := b0 * gemmKC; pc < min(k, b1*gemmKC); pc += gemmKC {
		kc := min(gemmKC, k-pc)
		packA(transA, a, lda, 0, pc, m, kc, alpha, kn.mr, dst[pc*mRound:pc*mRound+mRound*kc])
	}
}

// gemmWith is gemm for a given micro-kernel and B packer. If apre is not nil, it holds
// alpha*op(A) packed by prepackWith, and a, lda and alpha are not used.
func gemmWith[T float32 | float64](kn *kernel[T], par int, transA bool, m, n, k int,
	alpha T, a []T, lda int, apre []T, pb bPacker[T], beta T, c []T, ldc int, pack []T) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || (alpha == 0 && apre == nil) {
		scaleC(m, n, beta, c, ldc)
		return
	}
	acc := true
	switch beta {
	case 0:
		acc = false
	case 1:
	default:
		scaleC(m, n, beta, c, ldc)
	}
	// Split C into parts, by columns when there are enough micro-tile columns, else by rows.
	// Tiny products run on one goroutine: starting one costs about a microsecond.
	par = max(1, par)
	if float64(m)*float64(n)*float64(k) < 1<<17 {
		par = 1
	}
	byCols := true
	nt := (n + kn.nr - 1) / kn.nr
	if nt < par {
		if mt := (m + kn.mr - 1) / kn.mr; mt > nt {
			byCols = false
			nt = mt
		}
	}
	par = min(par, nt)
	pl := packLen(m, n, k)
	if len(pack) < par*pl {
		pack = make([]T, par*pl)
	}
	parallel(par, func(w int) {
		// Part w gets micro-tiles [w*nt/par, (w+1)*nt/par).
		t0, t1 := w*nt/par, (w+1)*nt/par
		pk := pack[w*pl : (w+1)*pl]
		if byCols {
			gemmSerial(kn, transA, m, t0*kn.nr, min(n, t1*kn.nr), k, alpha, a, lda, apre, 0, m, pb, acc, c, ldc, pk)
			return
		}
		i0, i1 := t0*kn.mr, min(m, t1*kn.mr)
		ao := i0 * lda
		if transA {
			ao = i0
		}
		if apre != nil {
			ao = 0
		}
		gemmSerial(kn, transA, i1-i0, 0, n, k, alpha, a[ao:], lda, apre, i0, m, pb, acc, c[i0*ldc:], ldc, pk)
	})
}

// scaleC sets C = beta*C, writing zeros when beta is 0 so that NaNs in C do not survive.
func scaleC[T float32 | float64](m, n int, beta T, c []T, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmSerial computes columns [j0, j1) of C (+)= alpha*op(A)*op(B) on one goroutine with
// scratch pack. If apre is not nil, it is A (of mAll rows) prepacked by prepackWith, and
// this call's rows start at its row i0.
func gemmSerial[T float32 | float64](kn *kernel[T], transA bool, m, j0, j1, k int, alpha T,
	a []T, lda int, apre []T, i0, mAll int, pb bPacker[T], acc bool, c []T, ldc int, pack []T) {
	mr, nr := kn.mr, kn.nr
	kcMax := min(k, gemmKC)
	mcMax := (min(m, gemmMC) + mr - 1) / mr * mr
	ncMax := (min(j1-j0, gemmNC) + nr - 1) / nr * nr
	ap := pack[:mcMax*kcMax]
	bp := pack[len(ap) : len(ap)+kcMax*ncMax]
	tile := pack[len(ap)+len(bp) : len(ap)+len(bp)+mr*nr]
	line := pack[len(ap)+len(bp)+len(tile):]
	line = line[:gemmNC]
	for jc := j0; jc < j1; jc += gemmNC {
		nc := min(gemmNC, j1-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			pb(pc, jc, kc, nc, nr, bp, line)
			accum := acc || pc > 0
			for ic := 0; ic < m; ic += gemmMC {
				mc := min(gemmMC, m-ic)
				ap := ap
				if apre != nil {
					o := pc*((mAll+mr-1)/mr*mr) + (i0+ic)*kc
					ap = apre[o : o+(mc+mr-1)/mr*mr*kc]
				} else {
					packA(transA, a, lda, ic, pc, mc, kc, alpha, mr, ap)
				}
				for jr := 0; jr < nc; jr += nr {
					nn := min(nr, nc-jr)
					bpan := bp[jr*kc : (jr+nr)*kc]
					for ir := 0; ir < mc; ir += mr {
						mm := min(mr, mc-ir)
						apan := ap[ir*kc : (ir+mr)*kc]
						co := (ic+ir)*ldc + jc + jr
						if mm == mr && nn == nr {
							kn.tile(kc, apan, bpan, c[co:co+(mr-1)*ldc+nr], ldc, accum)
							continue
						}
						kn.tile(kc, apan, bpan, tile, nr, false)
						for i := range mm {
							dst := c[co+i*ldc : co+i*ldc+nn]
							src := tile[i*nr : i*nr+nn]
							if accum {
								for j, v := range src {
									dst[j] += v
								}
							} else {
								copy(dst, src)
							}
						}
					}
				}
			}
		}
	}
}

// packA packs alpha*op(A)[i0:i0+mc, p0:p0+kc] into ap as mr-row panels; panel q starts at
// q*mr*kc and holds element (q*mr+i, p) at p*mr+i. Rows past mc are zero.
func packA[T float32 | float64](transA bool, a []T, lda, i0, p0, mc, kc int, alpha T, mr int, ap []T) {
	for ir := 0; ir < mc; ir += mr {
		pan := ap[ir*kc : (ir+mr)*kc]
		mm := min(mr, mc-ir)
		switch {
		case !transA && mm == 8 && mr == 8:
			packA8(a, lda, (i0+ir)*lda+p0, kc, alpha, pan)
		case !transA:
			for i := range mm {
				o := (i0+ir+i)*lda + p0
				for p, v := range a[o : o+kc] {
					pan[p*mr+i] = alpha * v
				}
			}
		default:
			for p := range kc {
				o := (p0+p)*lda + i0 + ir
				dst := pan[p*mr : p*mr+mm]
				for i, v := range a[o : o+mm] {
					dst[i] = alpha * v
				}
			}
		}
		if mm < mr {
			for p := range kc {
				clear(pan[p*mr+mm : p*mr+mr])
			}
		}
	}
}

// packB packs op(B)[p0:p0+kc, j0:j0+nc] into bp as nr-column panels; panel q starts at
// q*nr*kc and holds element (p, q*nr+j) at p*nr+j. Columns past nc are zero.
func packB[T float32 | float64](transB bool, b []T, ldb, p0, j0, kc, nc, nr int, bp []T) {
	var offs []int
	var pix []int32
	if !transB && unsafe.Sizeof(bp[0]) == 4 && gatherRows32 != nil {
		offs = make([]int, kc)
	}
	for jr := 0; jr < nc; jr += nr {
		pan := bp[jr*kc : (jr+nr)*kc]
		nn := min(nr, nc-jr)
		if offs != nil && nn%4 == 0 {
			for p := range offs {
				offs[p] = (p0+p)*ldb + j0 + jr
			}
			gatherRows32(unsafe.Slice((*float32)(unsafe.Pointer(&pan[0])), len(pan)),
				unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)), offs, nn, nr)
		} else if transB && nn == 32 && nr == 32 && unsafe.Sizeof(bp[0]) == 4 && gatherCols32x != nil && len(b) < 1<<31 {
			var ro [32]int32
			for j := range ro {
				ro[j] = int32((j0+jr+j)*ldb + p0)
			}
			if pix == nil {
				pix = make([]int32, kc)
				for p := range pix {
					pix[p] = int32(p)
				}
			}
			gatherCols32x(unsafe.Slice((*float32)(unsafe.Pointer(&pan[0])), len(pan)),
				unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)), &ro, pix)
		} else if !transB {
			for p := range kc {
				o := (p0+p)*ldb + j0 + jr
				copy(pan[p*nr:p*nr+nn], b[o:o+nn])
			}
		} else {
			for j := range nn {
				o := (j0+jr+j)*ldb + p0
				for p, v := range b[o : o+kc] {
					pan[p*nr+j] = v
				}
			}
		}
		if nn < nr {
			for p := range kc {
				clear(pan[p*nr+nn : p*nr+nr])
			}
		}
	}
}

// packA8 is packA's loop for one full panel of 8 rows of A (not transposed) starting at a[o]:
// it writes the panel sequentially, reading the 8 rows side by side.
func packA8[T float32 | float64](a []T, lda, o, kc int, alpha T, pan []T) {
	r0 := a[o : o+kc]
	r1 := a[o+lda : o+lda+kc]
	r2 := a[o+2*lda : o+2*lda+kc]
	r3 := a[o+3*lda : o+3*lda+kc]
	r4 := a[o+4*lda : o+4*lda+kc]
	r5 := a[o+5*lda : o+5*lda+kc]
	r6 := a[o+6*lda : o+6*lda+kc]
	r7 := a[o+7*lda : o+7*lda+kc]
	pan = pan[:8*kc]
	for p := range kc {
		d := pan[8*p : 8*p+8 : 8*p+8]
		d[0] = alpha * r0[p]
		d[1] = alpha * r1[p]
		d[2] = alpha * r2[p]
		d[3] = alpha * r3[p]
		d[4] = alpha * r4[p]
		d[5] = alpha * r5[p]
		d[6] = alpha * r6[p]
		d[7] = alpha * r7[p]
	}
}
