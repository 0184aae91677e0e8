package cifar

import (
	"math"
	"math/rand/v2"
	"testing"
)

// augmentRef is the textbook augmentation: build the 40×40 zero-padded
// image, cut the 32×32 window at (dy, dx), mirror it if flip, then scale
// and normalise each pixel in float64.
func augmentRef(img []byte, dy, dx int, flip bool, n *Norm) []float32 {
	const P = Width + 2*pad
	var padded [Channels][P][P]byte
	for c := range Channels {
		for y := range Height {
			for x := range Width {
				padded[c][y+pad][x+pad] = img[c*Height*Width+y*Width+x]
			}
		}
	}
	out := make([]float32, ImageBytes)
	for c := range Channels {
		mean, std := 0.0, 1.0
		if n != nil {
			mean, std = float64(n.Mean[c]), float64(n.Std[c])
		}
		for y := range Height {
			for x := range Width {
				cx := x
				if flip {
					cx = Width - 1 - x
				}
				v := float64(padded[c][y+dy][cx+dx])
				out[c*Height*Width+y*Width+x] = float32((v/255 - mean) / std)
			}
		}
	}
	return out
}

func TestAugment(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, ImageBytes)
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	img[0], img[1] = 0, 255 // extremes
	for _, n := range []*Norm{nil, {Mean: [3]float32{0.49, 0.48, 0.45}, Std: [3]float32{0.25, 0.24, 0.26}}} {
		tab := newLUT(n)
		got := make([]float32, ImageBytes)
		for dy := range 2*pad + 1 {
			for dx := range 2*pad + 1 {
				for _, flip := range []bool{false, true} {
					for i := range got {
						got[i] = float32(math.NaN()) // every element must be written
					}
					augment(got, img, dy, dx, flip, tab)
					want := augmentRef(img, dy, dx, flip, n)
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("norm %v dy=%d dx=%d flip=%v: element %d = %v, want %v", n != nil, dy, dx, flip, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
