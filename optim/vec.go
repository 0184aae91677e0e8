package optim

import "math"

// resize returns s with length n, reusing its storage when it is large enough.
func resize[T Float](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// addScaledNorm adds a·w to g (skipped when a is 0) and returns ‖g‖₂, accumulated in float64.
func addScaledNorm[T Float](g, w []T, a T) float64 {
	w = w[:len(g)]
	var s float64
	if a == 0 {
		for _, v := range g {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s)
	}
	for i := range g {
		v := g[i] + a*w[i]
		g[i] = v
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// norm2 returns ‖x‖₂, accumulated in float64.
func norm2[T Float](x []T) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
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
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = c * v
	}
}

// axpyInto sets dst ← y + c·x.
func axpyInto[T Float](dst, y, x []T, c T) {
	dst = dst[:len(x)]
	y = y[:len(x)]
	for i, v := range x {
		dst[i] = y[i] + T(c*v) // T() forbids FMA fusion, keeping this equal to scaleInto then addInto
	}
}

// addInto sets dst ← x + y.
func addInto[T Float](dst, x, y []T) {
	dst = dst[:len(x)]
	y = y[:len(x)]
	for i, v := range x {
		dst[i] = v + y[i]
	}
}

// addScaledRestore sets g ← g + a·w (skipped when a is 0), then w ← saved.
func addScaledRestore[T Float](g, w, saved []T, a T) {
	if a != 0 {
		w = w[:len(g)]
		for i := range g {
			g[i] += a * w[i]
		}
	}
	copy(w, saved)
}

// accumulateRestore sets acc ← acc + (g + a·w), then w ← saved.
func accumulateRestore[T Float](acc, g, w, saved []T, a T) {
	g = g[:len(acc)]
	w = w[:len(acc)]
	if a == 0 {
		for i, v := range g {
			acc[i] += v
		}
	} else {
		for i, v := range g {
			acc[i] += v + a*w[i]
		}
	}
	copy(w, saved)
}
