package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// SelfTestPrecision is SelfTest with the GEMMs and convolutions in precision p: those of the
// binding (checks sgemm_*, conv_*) and those of the Backend (backend/Gemm*, backend/Conv2d_*
// and the ResNet-18 gradient backend/resnet18_*). Those checks are judged with the
// tolerances of PrecisionTol; every other check (the project's float32 kernels) keeps
// SelfTest's 1e-4. The SAM steps (sam_step/...) run in FP32 only: the optimizers' device
// path is float32 in every precision, and in TF32 or BF16 a step's error is its gradient's.
// With FP32 it is SelfTest. With TF32 and BF16 it adds the check
// backend/resnet18_.../grad_all_l2, the L2 norm of the whole gradient's error over the
// reference's; with BF16 also bf16_cast, the cast kernel against a rounding computed here
// (exact: tolerance 0).
func SelfTestPrecision(d *Device, seed uint64, p Precision) ([]Check, error) {
	if err := p.valid(); err != nil {
		return nil, err
	}
	checks, err := selfTestRun(d, seed, 1, p)
	if err != nil {
		return nil, err
	}
	return precisionChecks(d, seed, checks, p), nil
}

// PrecisionTol returns the tolerance of the SelfTest check name under precision p, and false
// when p does not change the check (its tolerance stays 1e-4). u is the unit roundoff of
// the format the inputs are rounded to: 2^-11 ≈ 4.9e-4 for TF32, 2^-8 ≈ 3.9e-3 for BF16.
//
//   - One GEMM or convolution, the ResNet's loss and BatchNorm statistics:
//     8u (3.9e-3 for TF32, 3.1e-2 for BF16). Rounding both inputs of every product changes
//     it by at most 2u of itself; with random signs these errors add up like the sum does,
//     so the error relative to the largest output is about u, and one more rounding of a
//     bfloat16 convolution's output adds at most u. On the fake libraries, which emulate
//     the roundings, these checks measured 0.6u to 0.8u (TF32) and 0.6u to 1.2u (BF16), the
//     loss and statistics under 0.1u; 8u leaves room for the GPU's own accumulation order
//     and TF32 conversion, while a wrong descriptor type, a missed cast or a stale buffer
//     gives errors of order 1.
//   - grad_all_l2, the whole ResNet gradient: 0.5. Rounding the inputs of 40 convolutions
//     moves many pre-activations across ReLU's kink (see SelfTest: in float32 that happens
//     to about one activation in a million; with u = 2^-11 or 2^-8 to thousands), and each
//     such flip changes the gradient by far more than u. On the fake it measured 4.3e-7 in
//     FP32, 0.086 in TF32 and 0.24 in BF16 for a width-16 network on 8 random images at
//     initialisation, 0.11 and 0.26 for the width-4 network on 4 images of 16×16 of the
//     package tests. Under 0.5 the gradient still points the right way (cosine above about
//     0.87).
//   - grad_worst, the single parameter with the largest error: 2, which catches only gross
//     failures (NaN, infinities, a gradient of the wrong scale). That parameter is often a
//     BatchNorm bias, whose gradient is a sum with cancellation: measured 0.26 (TF32) and
//     0.50 (BF16) at this size, 0.68 and 1.27 on the package tests' smaller network.
func PrecisionTol(name string, p Precision) (float64, bool) {
	var u float64
	switch p {
	case TF32:
		u = 0x1p-11
	case BF16:
		u = 0x1p-8
	default:
		return selfTestTol, false
	}
	switch {
	case strings.HasSuffix(name, "/grad_all_l2"):
		return 0.5, true
	case strings.Contains(name, "/grad_worst("):
		return 2, true
	}
	for _, prefix := range []string{"sgemm", "conv_", "backend/Gemm", "backend/Conv2d", "backend/resnet18_"} {
		if strings.HasPrefix(name, prefix) {
			return 8 * u, true
		}
	}
	return selfTestTol, false
}

// precisionChecks sets the tolerances of checks for p and adds bf16_cast for BF16.
func precisionChecks(d *Device, seed uint64, checks []Check, p Precision) []Check {
	for i := range checks {
		c := &checks[i]
		if tol, ok := PrecisionTol(c.Name, p); ok {
			c.Tol = tol
			c.Pass = c.Err == "" && c.RelErr <= tol
		}
	}
	if p == BF16 {
		checks = append(checks, bf16CastCheck(d, seed))
	}
	return checks
}

// bf16CastCheck rounds random float32 of every magnitude from 2^-140 to about 2^127 (subnormal
// bfloat16 included) with Kernels.ToBF16 and compares the results with roundBF16. RelErr is
// the largest relative difference, 0 when every value matches.
func bf16CastCheck(d *Device, seed uint64) Check {
	k, err := d.Kernels()
	if err != nil {
		return Check{Name: "bf16_cast", Err: err.Error(), RelErr: math.MaxFloat64}
	}
	st := &selfTest{d: d, k: k, s: d.DefaultStream()}
	defer func() {
		for _, p := range st.live {
			d.Free(p)
		}
	}()
	const n = 1 << 12
	x := make([]float32, n)
	r := rand.New(rand.NewPCG(seed, seed^0xbf16))
	for i := range x {
		x[i] = float32(math.Ldexp(r.NormFloat64(), r.IntN(265)-140))
	}
	c := Check{Name: "bf16_cast"}
	px, err1 := put(st, x)
	py, err2 := put(st, make([]uint8, 2*n))
	got := make([]uint8, 2*n)
	err = err1
	if err == nil {
		err = err2
	}
	if err == nil {
		err = k.ToBF16(st.s, px, py, n)
	}
	if err == nil {
		err = st.s.Synchronize()
	}
	if err == nil {
		err = CopyFromDevice(d, got, py)
	}
	if err != nil {
		c.Err, c.RelErr = fmt.Sprintf("cuda: bf16 cast: %v", err), math.MaxFloat64
		return c
	}
	for i, v := range x {
		g := math.Float32frombits((uint32(got[2*i]) | uint32(got[2*i+1])<<8) << 16)
		w := roundBF16(v)
		if g != w {
			c.RelErr = max(c.RelErr, math.Abs(float64(g)-float64(w))/math.Max(math.Abs(float64(w)), math.SmallestNonzeroFloat32))
			if math.IsNaN(c.RelErr) || math.IsInf(c.RelErr, 0) {
				c.RelErr = math.MaxFloat64
			}
		}
	}
	c.Pass = c.RelErr == 0
	return c
}

// roundBF16 rounds a finite v to the nearest bfloat16, ties to the one with an even last
// mantissa bit, by comparing v with its two bfloat16 neighbours (truncation, and truncation
// plus one unit in the last place) rather than by cast.cu's carry trick. Past the largest
// bfloat16 the upper neighbour is 2^128, which rounds to infinity.
func roundBF16(v float32) float32 {
	b := math.Float32bits(v)
	loBits, hiBits := b&^0xffff, b&^0xffff+0x10000
	lo, hi := float64(math.Float32frombits(loBits)), float64(math.Float32frombits(hiBits))
	if hiBits&0x7f800000 == 0x7f800000 {
		hi = math.Copysign(0x1p128, float64(v))
	}
	dlo, dhi := math.Abs(float64(v)-lo), math.Abs(float64(v)-hi)
	if dlo < dhi || (dlo == dhi && loBits&0x10000 == 0) {
		return float32(lo)
	}
	if math.Abs(hi) == 0x1p128 {
		return float32(math.Copysign(math.Inf(1), hi))
	}
	return float32(hi)
}
