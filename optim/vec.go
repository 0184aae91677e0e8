package optim

import "math"

// Vector kernels. Each loop ranges over the slice it indexes first and reslices the others
// to the same length, so the compiler drops the bounds checks. Norms accumulate in float64
// with four partial sums (to break the add latency chain); every code path that must agree
// bit for bit uses the same kernel.

// sumSquares returns Σ x_i², accumulated in float64.
func sumSquares[T Float](x []T) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		a, b, c, d := float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(x); i++ {
		a := float64(x[i])
		s0 += a * a
	}
	return (s0 + s1) + (s2 + s3)
}

// norm2 returns ‖x‖₂.
func norm2[T Float](x []T) float64 { return math.Sqrt(sumSquares(x)) }

// addScaledNorm adds a·w to g (skipped when a is 0) and returns ‖g‖₂, in one pass.
func addScaledNorm[T Float](g, w []T, a T) float64 {
	if a == 0 {
		return norm2(g)
	}
	w = w[:len(g)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(g); i += 4 {
		v := g[i : i+4 : i+4]
		u := w[i : i+4 : i+4]
		v0, v1, v2, v3 := v[0]+a*u[0], v[1]+a*u[1], v[2]+a*u[2], v[3]+a*u[3]
		v[0], v[1], v[2], v[3] = v0, v1, v2, v3
		s0 += float64(v0) * float64(v0)
		s1 += float64(v1) * float64(v1)
		s2 += float64(v2) * float64(v2)
		s3 += float64(v3) * float64(v3)
	}
	for ; i < len(g); i++ {
		v := g[i] + a*w[i]
		g[i] = v
		s0 += float64(v) * float64(v)
	}
	return math.Sqrt((s0 + s1) + (s2 + s3))
}

func abs[T Float](x T) T {
	if x < 0 {
		return -x
	}
	return x
}

// scale sets x ← c·x.
func scale[T Float](x []T, c T) {
	for i := range x {
		x[i] *= c
	}
}

// scaleInto sets dst ← c·x.
func scaleInto[T Float](dst, x []T, c T) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = c * x[i]
	}
}

// axpyInto sets dst ← y + c·x.
func axpyInto[T Float](dst, y, x []T, c T) {
	y = y[:len(dst)]
	x = x[:len(dst)]
	for i := range dst {
		dst[i] = y[i] + T(c*x[i]) // T() forbids FMA fusion, keeping this equal to scaleInto then addInto
	}
}

// addInto sets dst ← x + y.
func addInto[T Float](dst, x, y []T) {
	x = x[:len(dst)]
	y = y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

// addScaledRestore sets g ← g + a·w (skipped when a is 0), then w ← saved.
func addScaledRestore[T Float](g, w, saved []T, a T) {
	if a == 0 {
		copy(w, saved)
		return
	}
	w = w[:len(g)]
	saved = saved[:len(g)]
	for i := range g {
		g[i] += a * w[i]
		w[i] = saved[i]
	}
}

// accumulateRestore sets acc ← acc + (g + a·w), then w ← saved.
func accumulateRestore[T Float](acc, g, w, saved []T, a T) {
	g = g[:len(acc)]
	w = w[:len(acc)]
	saved = saved[:len(acc)]
	if a == 0 {
		for i := range acc {
			acc[i] += g[i]
			w[i] = saved[i]
		}
		return
	}
	for i := range acc {
		acc[i] += g[i] + a*w[i]
		w[i] = saved[i]
	}
}

// unnormalizedPerturb sets g ← g + a·saved (skipped when a is 0) and w ← saved + c·g in
// one pass and returns the new ‖g‖₂; w must hold saved on entry. g and w come out bit for
// bit as from addScaledNorm followed by axpyInto (the norm may differ in the last bits:
// its partial sums are grouped differently).
func unnormalizedPerturb[T Float](w, saved, g []T, a, c T) float64 {
	g = g[:len(w)]
	saved = saved[:len(w)]
	var s0, s1 float64
	i := 0
	if a == 0 {
		for ; i+2 <= len(w); i += 2 {
			v := g[i : i+2 : i+2]
			u := saved[i : i+2 : i+2]
			x := w[i : i+2 : i+2]
			x[0] = u[0] + T(c*v[0])
			x[1] = u[1] + T(c*v[1])
			s0 += float64(v[0]) * float64(v[0])
			s1 += float64(v[1]) * float64(v[1])
		}
	} else {
		for ; i+2 <= len(w); i += 2 {
			v := g[i : i+2 : i+2]
			u := saved[i : i+2 : i+2]
			x := w[i : i+2 : i+2]
			v0, v1 := v[0]+a*u[0], v[1]+a*u[1]
			v[0], v[1] = v0, v1
			x[0] = u[0] + T(c*v0)
			x[1] = u[1] + T(c*v1)
			s0 += float64(v0) * float64(v0)
			s1 += float64(v1) * float64(v1)
		}
	}
	for ; i < len(w); i++ {
		v := g[i] + a*saved[i]
		if a != 0 {
			g[i] = v
		} else {
			v = g[i]
		}
		w[i] = saved[i] + T(c*v)
		s0 += float64(v) * float64(v)
	}
	return math.Sqrt(s0 + s1)
}

// adaptiveNorm returns ‖(|w|+eta)⊙g‖₂, accumulated in float64.
func adaptiveNorm[T Float](g, w []T, eta T) float64 {
	w = w[:len(g)]
	var ss float64
	for i, v := range g {
		tg := (abs(w[i]) + eta) * v
		ss += float64(tg) * float64(tg)
	}
	return math.Sqrt(ss)
}

// adaptiveInto sets dst ← t·t·g·c with t = |w|+eta.
func adaptiveInto[T Float](dst, g, w []T, eta, c T) {
	g = g[:len(dst)]
	w = w[:len(dst)]
	for i := range dst {
		t := abs(w[i]) + eta
		dst[i] = t * t * g[i] * c
	}
}
