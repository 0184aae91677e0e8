package cuda

import (
	"fmt"
	"math"
)

// The bfloat16 side of Precision BF16: the cast kernels (kernels/cast.cu) and the temporary
// bfloat16 copies that the GEMMs and convolutions read.

// ToBF16 queues y = x rounded to bfloat16 (round to nearest, ties to even; NaN stays NaN)
// for n float32 at x; y holds n bfloat16 values (2n bytes).
func (k *Kernels) ToBF16(s *Stream, x, y DevicePtr, n int) error {
	return k.launch1(s, "f32_to_bf16", n, x, y, n)
}

// FromBF16 queues y = float32(x) + beta*y for n bfloat16 values at x (the widening is exact);
// beta 0 overwrites y.
func (k *Kernels) FromBF16(s *Stream, x DevicePtr, beta float32, y DevicePtr, n int) error {
	return k.launch1(s, "bf16_to_f32", n, x, y, beta, n)
}

// bf16Temp returns a block for n bfloat16 values from the device's allocator. Blocks freed
// after the work that reads them is queued are reused only by work queued later (see
// Allocator), so temporaries live exactly as long as the call that queues them.
func (s *Stream) bf16Temp(n int) (DevicePtr, error) {
	if n <= 0 || n > math.MaxInt32 {
		return 0, fmt.Errorf("cuda: bf16 buffer of %d elements out of range", n)
	}
	return s.d.alloc.Alloc(uint64(n) * 2)
}

// bf16Pair queues bfloat16 copies of the na float32 at a and the nb at b and returns them
// with a function that frees them (to call once the work that reads them is queued).
func (s *Stream) bf16Pair(a DevicePtr, na int, b DevicePtr, nb int) (a16, b16 DevicePtr, release func(), err error) {
	k, err := s.d.Kernels()
	if err != nil {
		return 0, 0, nil, err
	}
	var live []DevicePtr
	release = func() {
		for _, p := range live {
			s.d.alloc.Free(p)
		}
	}
	for _, t := range []struct {
		src DevicePtr
		n   int
		dst *DevicePtr
	}{{a, na, &a16}, {b, nb, &b16}} {
		p, err := s.bf16Temp(t.n)
		if err == nil {
			live = append(live, p)
			err = k.ToBF16(s, t.src, p, t.n)
		}
		if err != nil {
			release()
			return 0, 0, nil, err
		}
		*t.dst = p
	}
	return a16, b16, release, nil
}

// sizes returns the element counts of x, w and y, or an error when one does not fit an int32
// (the cast kernels' index).
func (c ConvShape) sizes() (nx, nw, ny int, err error) {
	if err := c.validate(); err != nil {
		return 0, 0, 0, err
	}
	p, q := c.Out()
	count := func(v ...int) int {
		n := 1
		for _, x := range v {
			if n > math.MaxInt32/x {
				err = fmt.Errorf("cuda: conv: tensor %v larger than 2^31-1 elements", v)
				return 0
			}
			n *= x
		}
		return n
	}
	nx, nw, ny = count(c.N, c.C, c.H, c.W), count(c.K, c.C, c.R, c.S), count(c.N, c.K, p, q)
	return nx, nw, ny, err
}

// convBF16 runs one convolution call in PSEUDO_BFLOAT16_CONFIG: its two inputs (in1, in2
// with n1, n2 float32) are rounded to bfloat16 copies, run computes into a bfloat16 output
// of nout elements (beta 0), and that is widened into the float32 out with out's beta.
func (s *Stream) convBF16(shape ConvShape, in1 DevicePtr, n1 int, in2 DevicePtr, n2 int, beta float32, out DevicePtr, nout int,
	run func(ch convChoice, a16, b16, out16, ws DevicePtr) (string, int32), wsSize func(convChoice) uint64) error {
	k, err := s.d.Kernels()
	if err != nil {
		return err
	}
	a16, b16, release, err := s.bf16Pair(in1, n1, in2, n2)
	if err != nil {
		return fmt.Errorf("cuda: bf16 conv: %w", err)
	}
	defer release()
	o16, err := s.bf16Temp(nout)
	if err != nil {
		return fmt.Errorf("cuda: bf16 conv: %w", err)
	}
	defer s.d.alloc.Free(o16)
	err = s.convRun(shape, BF16, func(ch convChoice, ws DevicePtr) (string, int32) { return run(ch, a16, b16, o16, ws) }, wsSize)
	if err != nil {
		return err
	}
	return k.FromBF16(s, o16, beta, out, nout)
}
