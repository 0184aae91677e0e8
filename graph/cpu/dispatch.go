package cpu

// The backend calls the GEMM and convolution kernels only through these
// functions, so that swapping the naive loops for the optimised kernels of
// gemm*.go and conv*.go touches this file alone.

func gemm[T Float](par int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	naiveGemm(par, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func convWorkspaceLen(p shape, par int) int { return naiveWorkspaceLen(p, par) }

func convForward[T Float](par int, p shape, x, w, y, work []T) {
	naiveConvForward(par, p, x, w, y, work)
}

func convBackwardData[T Float](par int, p shape, w, dy, dx, work []T) {
	naiveConvBackwardData(par, p, w, dy, dx, work)
}

func convBackwardFilter[T Float](par int, p shape, x, dy, dw, work []T) {
	naiveConvBackwardFilter(par, p, x, dy, dw, work)
}
