//go:build amd64 && !purego

package cpu

// float32Kernel is the fastest float32 micro-kernel this machine runs, chosen once at
// start-up from CPUID; it is never changed afterwards.
var float32Kernel = float32Kernels()[0]

var (
	avx512Kernel32 = &kernel[float32]{name: "avx512_8x32", mr: 8, nr: 32, tile: tileAVX512}
	avx2Kernel32   = &kernel[float32]{name: "avx2_6x16", mr: 6, nr: 16, tile: tileAVX2}
)

// float32Kernels lists the float32 micro-kernels this machine can run, fastest first.
func float32Kernels() []*kernel[float32] {
	avx2, avx512 := cpuFeatures()
	var ks []*kernel[float32]
	if avx512 {
		ks = append(ks, avx512Kernel32)
	}
	if avx2 {
		ks = append(ks, avx2Kernel32)
	}
	return append(ks, goKernel32)
}

// cpuFeatures reports whether the CPU and OS support AVX2 with FMA, and AVX-512F, following
// Intel's SDM vol. 1 §14.3 and §15.2 (CPUID feature bits, then XCR0 for OS-saved state).
func cpuFeatures() (avx2, avx512 bool) {
	if maxID, _, _, _ := cpuid(0, 0); maxID < 7 {
		return false, false
	}
	const (
		fma     = 1 << 12 // CPUID.1:ECX
		osxsave = 1 << 27
		avx     = 1 << 28
	)
	if _, _, ecx, _ := cpuid(1, 0); ecx&(fma|osxsave|avx) != fma|osxsave|avx {
		return false, false
	}
	xcr0, _ := xgetbv()
	if xcr0&0x6 != 0x6 { // SSE and AVX state
		return false, false
	}
	_, ebx, _, _ := cpuid(7, 0)
	avx2 = ebx&(1<<5) != 0
	avx512 = avx2 && ebx&(1<<16) != 0 && xcr0&0xe6 == 0xe6 // plus opmask, ZMM0-15 upper, ZMM16-31
	return avx2, avx512
}

// tileAVX512 is tile4x4's computation for an 8×32 tile, in AVX-512 assembly.
func tileAVX512(kc int, ap, bp, c []float32, ldc int, acc bool) {
	_ = ap[8*kc-1]
	_ = bp[32*kc-1]
	_ = c[7*ldc+31]
	sgemm8x32AVX512(kc, &ap[0], &bp[0], &c[0], ldc, acc)
}

// tileAVX2 is tile4x4's computation for a 6×16 tile, in AVX2 assembly.
func tileAVX2(kc int, ap, bp, c []float32, ldc int, acc bool) {
	_ = ap[6*kc-1]
	_ = bp[16*kc-1]
	_ = c[5*ldc+15]
	sgemm6x16AVX2(kc, &ap[0], &bp[0], &c[0], ldc, acc)
}

// rowsKernel32 is the in-place-A float32 micro-kernel, or nil where the CPU lacks AVX-512.
var rowsKernel32 = func() func(kc int, a []float32, offs *[8]int, b, c []float32, ldc int) {
	if _, avx512 := cpuFeatures(); avx512 {
		return tileRowsAVX512
	}
	return nil
}()

// tileRowsAVX512 adds to the 8×32 tile c (row stride ldc) the product of the 8 rows
// a[offs[i]:offs[i]+kc] and the packed panel b (kc×32):
// c[i*ldc+j] += Σ_p a[offs[i]+p]*b[p*32+j].
func tileRowsAVX512(kc int, a []float32, offs *[8]int, b, c []float32, ldc int) {
	for _, o := range offs {
		_ = a[o : o+kc]
	}
	_ = b[32*kc-1]
	_ = c[7*ldc+31]
	sgemmRows8x32AVX512(kc, &a[0], offs, &b[0], &c[0], ldc)
}

// gatherRows32 copies, for p < len(offs), the n floats at src[offs[p]:] to
// dst[p*stride:], for n a multiple of 4; it is nil where the CPU lacks AVX2.
var gatherRows32 = func() func(dst, src []float32, offs []int, n, stride int) {
	if avx2, _ := cpuFeatures(); avx2 {
		return gatherRowsAVX
	}
	return nil
}()

func gatherRowsAVX(dst, src []float32, offs []int, n, stride int) {
	if len(offs) == 0 || n == 0 {
		return
	}
	if n%4 != 0 {
		panic("cpu: gatherRows: n not a multiple of 4")
	}
	for _, o := range offs {
		_ = src[o : o+n]
	}
	_ = dst[(len(offs)-1)*stride+n-1]
	gatherRows(&dst[0], &src[0], &offs[0], len(offs), n, stride)
}

// gatherCols32x is the AVX-512 column gather, nil where the CPU lacks AVX-512: for
// p < len(pixOffs) and j < 32, dst[p*32+j] = src[rowOffs[j]+pixOffs[p]].
var gatherCols32x = func() func(dst, src []float32, rowOffs *[32]int32, pixOffs []int32) {
	if _, avx512 := cpuFeatures(); avx512 {
		return gatherColsAVX512
	}
	return nil
}()

func gatherColsAVX512(dst, src []float32, rowOffs *[32]int32, pixOffs []int32) {
	if len(pixOffs) == 0 {
		return
	}
	lo, hi := rowOffs[0], rowOffs[0]
	for _, o := range rowOffs {
		lo, hi = min(lo, o), max(hi, o)
	}
	plo, phi := pixOffs[0], pixOffs[0]
	for _, o := range pixOffs {
		plo, phi = min(plo, o), max(phi, o)
	}
	if lo+plo < 0 || int(hi)+int(phi) >= len(src) {
		panic("cpu: gatherCols: offset out of range")
	}
	_ = dst[32*len(pixOffs)-1]
	gatherCols32(&dst[0], &src[0], rowOffs, &pixOffs[0], len(pixOffs))
}

// cpuid executes CPUID with EAX=eaxArg, ECX=ecxArg.
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// xgetbv returns XCR0.
func xgetbv() (eax, edx uint32)

// sgemm8x32AVX512 sets (acc false) or adds to (acc true) the 8×32 tile at c, row stride ldc,
// the product of packed panels a (kc×8) and b (kc×32). kc must be positive.
//
//go:noescape
func sgemm8x32AVX512(kc int, a, b, c *float32, ldc int, acc bool)

// sgemm6x16AVX2 is sgemm8x32AVX512 for a 6×16 tile with AVX2 and FMA.
//
//go:noescape
func sgemm6x16AVX2(kc int, a, b, c *float32, ldc int, acc bool)

// sgemmRows8x32AVX512 is tileRowsAVX512 without bounds checks; kc must be positive.
//
//go:noescape
func sgemmRows8x32AVX512(kc int, a *float32, offs *[8]int, b, c *float32, ldc int)

// gatherRows is gatherRowsAVX without checks.
//
//go:noescape
func gatherRows(dst, src *float32, offs *int, kc, n, dstStride int)

// gatherCols32 is gatherColsAVX512 without checks; kc must be positive.
//
//go:noescape
func gatherCols32(dst, src *float32, rowOffs *[32]int32, pixOffs *int32, kc int)
