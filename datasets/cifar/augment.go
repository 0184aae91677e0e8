package cifar

// Padding of the standard CIFAR augmentation: the image is zero-padded by 4
// pixels on each side and a random 32×32 window of the 40×40 result is kept,
// so the window's offset (dy, dx) is in 0…2*pad.
const pad = 4

// lut maps a pixel byte of each channel to its float32 value
// (v/255 - mean)/std, computed in float64 and rounded once.
type lut [Channels][256]float32

func newLUT(n *Norm) *lut {
	var t lut
	for c := range Channels {
		mean, std := 0.0, 1.0
		if n != nil {
			mean, std = float64(n.Mean[c]), float64(n.Std[c])
		}
		for v := range 256 {
			t[c][v] = float32((float64(v)/255 - mean) / std)
		}
	}
	return &t
}

// augment writes into dst (ImageBytes floats, CHW) the 32×32 window at
// offset (dy, dx) of img zero-padded by pad, mirrored left-right if flip,
// each pixel mapped through t. dy = dx = pad and flip = false give the
// image itself. Written out, for every channel c, row y and column x:
//
//	cx := x; if flip { cx = 31 - x }
//	sy, sx := y+dy-pad, cx+dx-pad
//	dst[c][y][x] = t[c][img[c][sy][sx]] if 0 <= sy, sx < 32, else t[c][0]
//
// The loops below compute the range of x with sx in bounds once per row.
func augment(dst []float32, img []byte, dy, dx int, flip bool, t *lut) {
	var lo, hi int
	if flip {
		// sx = 31 - x + dx - pad, in bounds for x in [dx-pad, dx+32-pad).
		lo, hi = max(0, dx-pad), min(Width, dx+Width-pad)
	} else {
		// sx = x + dx - pad, in bounds for x in [pad-dx, pad-dx+32).
		lo, hi = max(0, pad-dx), min(Width, pad-dx+Width)
	}
	for c := range Channels {
		tc := &t[c]
		zero := tc[0]
		plane := img[c*Height*Width : (c+1)*Height*Width]
		out := dst[c*Height*Width : (c+1)*Height*Width]
		for y := range Height {
			row := out[y*Width : (y+1)*Width]
			sy := y + dy - pad
			if sy < 0 || sy >= Height {
				for x := range row {
					row[x] = zero
				}
				continue
			}
			src := plane[sy*Width : (sy+1)*Width]
			for x := 0; x < lo; x++ {
				row[x] = zero
			}
			if flip {
				base := Width - 1 + dx - pad
				for x := lo; x < hi; x++ {
					row[x] = tc[src[base-x]]
				}
			} else {
				off := dx - pad
				for x := lo; x < hi; x++ {
					row[x] = tc[src[x+off]]
				}
			}
			for x := hi; x < Width; x++ {
				row[x] = zero
			}
		}
	}
}
