package dln

import "math"

// numpyRand reproduces numpy's legacy generator (np.random.seed, np.random.randn,
// np.random.multivariate_normal with an identity covariance): a 32-bit Mersenne
// Twister (Matsumoto & Nishimura 1998) seeded by init_genrand, 53-bit doubles
// from two 32-bit words, and Marsaglia's polar method for normal deviates, which
// caches the second deviate of each pair (numpy/random/src/legacy/legacy-distributions.c).
type numpyRand struct {
	mt       [624]uint32
	i        int
	hasGauss bool
	gauss    float64
}

// newNumpyRand returns the generator np.random.seed(seed) sets up.
func newNumpyRand(seed uint32) *numpyRand {
	r := &numpyRand{i: 624}
	r.mt[0] = seed
	for i := 1; i < 624; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	return r
}

// uint32 returns the next tempered 32-bit output of MT19937.
func (r *numpyRand) uint32() uint32 {
	const (
		n, m      = 624, 397
		matrixA   = 0x9908b0df
		upperMask = 0x80000000
		lowerMask = 0x7fffffff
	)
	if r.i >= n {
		for k := 0; k < n; k++ {
			y := r.mt[k]&upperMask | r.mt[(k+1)%n]&lowerMask
			v := r.mt[(k+m)%n] ^ y>>1
			if y&1 != 0 {
				v ^= matrixA
			}
			r.mt[k] = v
		}
		r.i = 0
	}
	y := r.mt[r.i]
	r.i++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// float64 returns a uniform double in [0, 1) with 53 random bits, as numpy's
// random_sample does.
func (r *numpyRand) float64() float64 {
	a := r.uint32() >> 5
	b := r.uint32() >> 6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// normFloat64 returns a standard normal deviate, as numpy's legacy_gauss does.
func (r *numpyRand) normFloat64() float64 {
	if r.hasGauss {
		r.hasGauss = false
		return r.gauss
	}
	var x1, x2, r2 float64
	for {
		x1 = 2*r.float64() - 1
		x2 = 2*r.float64() - 1
		r2 = x1*x1 + x2*x2
		if r2 < 1 && r2 != 0 {
			break
		}
	}
	f := math.Sqrt(-2 * math.Log(r2) / r2)
	r.gauss = f * x1
	r.hasGauss = true
	return f * x2
}
