package optim

import (
	"math"
	"testing"
)

// TestVectorKernels checks the unrolled kernels against plain loops for lengths around the
// unrolling factors.
func TestVectorKernels(t *testing.T) {
	for n := range 14 {
		for _, a := range []float32{0, 0.25} {
			g := make([]float32, n)
			w := make([]float32, n)
			for i := range n {
				g[i] = float32(math.Sin(float64(3*i + 1)))
				w[i] = float32(math.Cos(float64(5*i + 2)))
			}
			// Plain references.
			wantG := make([]float32, n)
			var ss float64
			for i := range n {
				wantG[i] = g[i] + a*w[i]
				ss += float64(wantG[i]) * float64(wantG[i])
			}
			wantNorm := math.Sqrt(ss)
			const c = float32(0.3)
			wantW := make([]float32, n)
			for i := range n {
				wantW[i] = w[i] + c*wantG[i]
			}

			g1 := append([]float32(nil), g...)
			if got := addScaledNorm(g1, w, a); math.Abs(got-wantNorm) > 1e-15*wantNorm {
				t.Errorf("n=%d a=%v: addScaledNorm = %v, want %v", n, a, got, wantNorm)
			}
			checkBits(t, "addScaledNorm g", g1, wantG)

			g2 := append([]float32(nil), g...)
			w2 := append([]float32(nil), w...)
			if got := unnormalizedPerturb(w2, w, g2, a, c); math.Abs(got-wantNorm) > 1e-15*wantNorm {
				t.Errorf("n=%d a=%v: unnormalizedPerturb = %v, want %v", n, a, got, wantNorm)
			}
			checkBits(t, "unnormalizedPerturb g", g2, wantG)
			checkBits(t, "unnormalizedPerturb w", w2, wantW)

			// accumulateRestore and addScaledRestore.
			acc := append([]float32(nil), w...)
			ww := append([]float32(nil), g...)
			accumulateRestore(acc, g, ww, w, a)
			wantAcc := make([]float32, n)
			for i := range n {
				wantAcc[i] = w[i] + (g[i] + a*g[i])
			}
			checkBits(t, "accumulateRestore acc", acc, wantAcc)
			checkBits(t, "accumulateRestore w", ww, w)
			g3 := append([]float32(nil), g...)
			ww = append([]float32(nil), g...)
			addScaledRestore(g3, ww, w, a)
			for i := range n {
				wantAcc[i] = g[i] + a*g[i]
			}
			checkBits(t, "addScaledRestore g", g3, wantAcc)
			checkBits(t, "addScaledRestore w", ww, w)
		}
	}
}
