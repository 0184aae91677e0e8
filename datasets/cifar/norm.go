package cifar

import "math"

// Norm is a per-channel normalisation, applied after scaling pixels to
// [0, 1]: x' = (pixel/255 - Mean[c]) / Std[c] for channel c (red, green,
// blue). The paper trains without it; a nil *Norm in Loader means none.
type Norm struct {
	Mean [Channels]float32
	Std  [Channels]float32
}

// Stats returns the per-channel mean and (population) standard deviation
// of the pixels of s, scaled to [0, 1]. Compute it on the training split
// and use it for every split. Channels with (numerically) zero spread get Std 1.
func Stats(s *Split) Norm {
	var sum, sq [Channels]float64
	for i := range s.Len() {
		img := s.Image(i)
		for c := range Channels {
			var a, b uint64
			for _, p := range img[c*Height*Width : (c+1)*Height*Width] {
				a += uint64(p)
				b += uint64(p) * uint64(p)
			}
			sum[c] += float64(a)
			sq[c] += float64(b)
		}
	}
	var n Norm
	cnt := float64(s.Len() * Height * Width)
	for c := range Channels {
		if cnt == 0 {
			n.Std[c] = 1
			continue
		}
		m := sum[c] / cnt / 255
		v := sq[c]/cnt/(255*255) - m*m
		n.Mean[c] = float32(m)
		n.Std[c] = float32(math.Sqrt(math.Max(v, 0)))
		// A constant channel's variance comes out as rounding noise
		// around 0; treat anything below 1e-6 of the range as 0.
		if n.Std[c] < 1e-6 {
			n.Std[c] = 1
		}
	}
	return n
}
