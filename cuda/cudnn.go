package cuda

import (
	"errors"
	"fmt"
)

// cudnn holds the cuDNN 9 entry points of the legacy (descriptor) API that the training step
// needs: convolution forward and backward, pooling. libcudnn.so.9 forwards them to its
// sub-libraries (libcudnn_cnn, libcudnn_ops).
//
// BatchNorm is not bound: cudnnBatchNormalizationBackward takes 19 arguments, more than purego
// can pass (15), and the project's own spatial BatchNorm kernels (kernels/batchnorm.cu) are
// used instead.
type cudnn struct {
	h                                     uintptr
	cudnnCreate                           func(h *uintptr) int32
	cudnnDestroy                          func(h uintptr) int32
	cudnnSetStream                        func(h, s uintptr) int32
	cudnnGetVersion                       func() uint64
	cudnnGetErrorString                   func(status int32) string
	cudnnCreateTensorDescriptor           func(d *uintptr) int32
	cudnnSetTensor4dDescriptor            func(d uintptr, format, dtype, n, c, h, w int32) int32
	cudnnDestroyTensorDescriptor          func(d uintptr) int32
	cudnnCreateFilterDescriptor           func(d *uintptr) int32
	cudnnSetFilter4dDescriptor            func(d uintptr, dtype, format, k, c, h, w int32) int32
	cudnnDestroyFilterDescriptor          func(d uintptr) int32
	cudnnCreateConvolutionDescriptor      func(d *uintptr) int32
	cudnnSetConvolution2dDescriptor       func(d uintptr, padH, padW, u, v, dilH, dilW, mode, dtype int32) int32
	cudnnSetConvolutionMathType           func(d uintptr, mathType int32) int32
	cudnnDestroyConvolutionDescriptor     func(d uintptr) int32
	cudnnGetConvolution2dForwardOutputDim func(conv, x, w uintptr, n, c, h, wd *int32) int32

	cudnnFindConvolutionForwardAlgorithm        func(h, x, w, conv, y uintptr, req int32, got *int32, perf *convPerf) int32
	cudnnFindConvolutionBackwardDataAlgorithm   func(h, w, dy, conv, dx uintptr, req int32, got *int32, perf *convPerf) int32
	cudnnFindConvolutionBackwardFilterAlgorithm func(h, x, dy, conv, dw uintptr, req int32, got *int32, perf *convPerf) int32

	cudnnConvolutionForward        func(h uintptr, alpha *float32, xd uintptr, x DevicePtr, wd uintptr, w DevicePtr, conv uintptr, algo int32, ws DevicePtr, wsSize uint64, beta *float32, yd uintptr, y DevicePtr) int32
	cudnnConvolutionBackwardData   func(h uintptr, alpha *float32, wd uintptr, w DevicePtr, dyd uintptr, dy DevicePtr, conv uintptr, algo int32, ws DevicePtr, wsSize uint64, beta *float32, dxd uintptr, dx DevicePtr) int32
	cudnnConvolutionBackwardFilter func(h uintptr, alpha *float32, xd uintptr, x DevicePtr, dyd uintptr, dy DevicePtr, conv uintptr, algo int32, ws DevicePtr, wsSize uint64, beta *float32, dwd uintptr, dw DevicePtr) int32

	cudnnCreatePoolingDescriptor  func(d *uintptr) int32
	cudnnSetPooling2dDescriptor   func(d uintptr, mode, nan, wh, ww, ph, pw, sh, sw int32) int32
	cudnnDestroyPoolingDescriptor func(d uintptr) int32
	cudnnPoolingForward           func(h, pool uintptr, alpha *float32, xd uintptr, x DevicePtr, beta *float32, yd uintptr, y DevicePtr) int32
	cudnnPoolingBackward          func(h, pool uintptr, alpha *float32, yd uintptr, y DevicePtr, dyd uintptr, dy DevicePtr, xd uintptr, x DevicePtr, beta *float32, dxd uintptr, dx DevicePtr) int32
}

// convPerf is cudnnConvolutionFwdAlgoPerf_t (and its BwdData and BwdFilter twins, which have the
// same layout): algo, status, time (ms), memory (bytes), determinism, mathType, reserved[3].
type convPerf struct {
	Algo        int32
	Status      int32
	Time        float32
	_           int32 // padding before size_t
	Memory      uint64
	Determinism int32
	MathType    int32
	Reserved    [3]int32
	_           int32 // padding to 8-byte alignment
}

// cuDNN enumerators used here.
const (
	cudnnTensorNCHW        = 0 // cudnnTensorFormat_t
	cudnnDataFloat         = 0 // cudnnDataType_t
	cudnnDataBFloat16      = 9 // cudnnDataType_t
	cudnnCrossCorrelation  = 1 // cudnnConvolutionMode_t (what deep learning calls convolution)
	cudnnDefaultMath       = 0 // cudnnMathType_t: may use TF32 on Ampere and later
	cudnnTensorOpMath      = 1 // cudnnMathType_t: tensor cores allowed (for bfloat16 data)
	cudnnFMAMath           = 3 // cudnnMathType_t: plain float32 FMA only
	cudnnPoolingMax        = 0 // cudnnPoolingMode_t
	cudnnPoolingAvgExclPad = 2 // CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING
	cudnnNotPropagateNaN   = 0
)

func loadCUDNN(lib *library) (*cudnn, error) {
	c := new(cudnn)
	b := &binder{lib: lib}
	b.bind(&c.cudnnCreate, "cudnnCreate")
	b.bind(&c.cudnnDestroy, "cudnnDestroy")
	b.bind(&c.cudnnSetStream, "cudnnSetStream")
	b.bind(&c.cudnnGetVersion, "cudnnGetVersion")
	b.bind(&c.cudnnGetErrorString, "cudnnGetErrorString")
	b.bind(&c.cudnnCreateTensorDescriptor, "cudnnCreateTensorDescriptor")
	b.bind(&c.cudnnSetTensor4dDescriptor, "cudnnSetTensor4dDescriptor")
	b.bind(&c.cudnnDestroyTensorDescriptor, "cudnnDestroyTensorDescriptor")
	b.bind(&c.cudnnCreateFilterDescriptor, "cudnnCreateFilterDescriptor")
	b.bind(&c.cudnnSetFilter4dDescriptor, "cudnnSetFilter4dDescriptor")
	b.bind(&c.cudnnDestroyFilterDescriptor, "cudnnDestroyFilterDescriptor")
	b.bind(&c.cudnnCreateConvolutionDescriptor, "cudnnCreateConvolutionDescriptor")
	b.bind(&c.cudnnSetConvolution2dDescriptor, "cudnnSetConvolution2dDescriptor")
	b.bind(&c.cudnnSetConvolutionMathType, "cudnnSetConvolutionMathType")
	b.bind(&c.cudnnDestroyConvolutionDescriptor, "cudnnDestroyConvolutionDescriptor")
	b.bind(&c.cudnnGetConvolution2dForwardOutputDim, "cudnnGetConvolution2dForwardOutputDim")
	b.bind(&c.cudnnFindConvolutionForwardAlgorithm, "cudnnFindConvolutionForwardAlgorithm")
	b.bind(&c.cudnnFindConvolutionBackwardDataAlgorithm, "cudnnFindConvolutionBackwardDataAlgorithm")
	b.bind(&c.cudnnFindConvolutionBackwardFilterAlgorithm, "cudnnFindConvolutionBackwardFilterAlgorithm")
	b.bind(&c.cudnnConvolutionForward, "cudnnConvolutionForward")
	b.bind(&c.cudnnConvolutionBackwardData, "cudnnConvolutionBackwardData")
	b.bind(&c.cudnnConvolutionBackwardFilter, "cudnnConvolutionBackwardFilter")
	b.bind(&c.cudnnCreatePoolingDescriptor, "cudnnCreatePoolingDescriptor")
	b.bind(&c.cudnnSetPooling2dDescriptor, "cudnnSetPooling2dDescriptor")
	b.bind(&c.cudnnDestroyPoolingDescriptor, "cudnnDestroyPoolingDescriptor")
	b.bind(&c.cudnnPoolingForward, "cudnnPoolingForward")
	b.bind(&c.cudnnPoolingBackward, "cudnnPoolingBackward")
	return c, b.err()
}

// check maps a cudnnStatus_t to an error with cuDNN's own message.
func (c *cudnn) check(call string, r int32) error {
	if r == 0 {
		return nil
	}
	err := check(CUDNN, call, r).(*Error)
	err.Detail = c.cudnnGetErrorString(r)
	return err
}

func (c *cudnn) create() (uintptr, error) {
	var h uintptr
	return h, c.check("cudnnCreate", c.cudnnCreate(&h))
}

func (c *cudnn) destroy() error {
	if c.h == 0 {
		return nil
	}
	err := c.check("cudnnDestroy", c.cudnnDestroy(c.h))
	c.h = 0
	return err
}

// CUDNNVersion returns the loaded cuDNN's version, e.g. 91000 for 9.10.0.
func (d *Device) CUDNNVersion() int { return int(d.dnn.cudnnGetVersion()) }

// ConvShape is a 2-D convolution without bias, NCHW float32: input N×C×H×W, filter K×C×R×S,
// zero padding and stride per axis, dilation 1. Zero strides mean 1.
type ConvShape struct {
	N, C, H, W       int
	K, R, S          int
	PadH, PadW       int
	StrideH, StrideW int
}

func (c ConvShape) strides() (int, int) {
	sh, sw := c.StrideH, c.StrideW
	if sh == 0 {
		sh = 1
	}
	if sw == 0 {
		sw = 1
	}
	return sh, sw
}

// Out returns the output's height and width.
func (c ConvShape) Out() (p, q int) {
	sh, sw := c.strides()
	return (c.H+2*c.PadH-c.R)/sh + 1, (c.W+2*c.PadW-c.S)/sw + 1
}

func (c ConvShape) validate() error {
	sh, sw := c.strides()
	for _, v := range []struct {
		name string
		x    int
	}{{"N", c.N}, {"C", c.C}, {"H", c.H}, {"W", c.W}, {"K", c.K}, {"R", c.R}, {"S", c.S}, {"StrideH", sh}, {"StrideW", sw}} {
		if v.x <= 0 || v.x > 1<<30 {
			return fmt.Errorf("cuda: conv: %s=%d out of range", v.name, v.x)
		}
	}
	if c.PadH < 0 || c.PadW < 0 {
		return fmt.Errorf("cuda: conv: negative padding %d, %d", c.PadH, c.PadW)
	}
	if p, q := c.Out(); c.H+2*c.PadH < c.R || c.W+2*c.PadW < c.S || p <= 0 || q <= 0 {
		return fmt.Errorf("cuda: conv: filter %dx%d larger than padded input %dx%d", c.R, c.S, c.H+2*c.PadH, c.W+2*c.PadW)
	}
	return nil
}

type convKey struct {
	shape ConvShape
	prec  Precision
}

// convChoice holds the descriptors of one shape and the algorithms cuDNN found fastest for it.
type convChoice struct {
	x, y, w, conv               uintptr
	fwd, bwdData, bwdFilt       int32
	fwdWS, bwdDataWS, bwdFiltWS uint64
}

// convPlan returns the descriptors and algorithms for shape in precision prec, finding them
// (by timing, with cudnnFind*) on the first call per shape and precision and remembering
// them. FP32 and TF32 describe float32 tensors, with math type CUDNN_FMA_MATH (no TF32) or
// CUDNN_DEFAULT_MATH (TF32 allowed); BF16 describes bfloat16 tensors and filters with
// compute type float (PSEUDO_BFLOAT16_CONFIG, the only bfloat16 configuration of the legacy
// API) and CUDNN_TENSOR_OP_MATH. Must run inside d.do.
func (d *Device) convPlan(shape ConvShape, prec Precision) (convChoice, error) {
	key := convKey{shape, prec}
	d.mu.Lock()
	ch, ok := d.convAlgo[key]
	d.mu.Unlock()
	if ok {
		return ch, nil
	}
	if err := shape.validate(); err != nil {
		return ch, err
	}
	c := d.dnn
	sh, sw := shape.strides()
	p, q := shape.Out()
	i32 := func(x int) int32 { return int32(x) }
	dt, mathType := int32(cudnnDataFloat), int32(cudnnFMAMath)
	switch prec {
	case TF32:
		mathType = cudnnDefaultMath
	case BF16:
		dt, mathType = cudnnDataBFloat16, cudnnTensorOpMath
	}
	steps := []struct {
		call string
		f    func() int32
	}{
		{"cudnnCreateTensorDescriptor", func() int32 { return c.cudnnCreateTensorDescriptor(&ch.x) }},
		{"cudnnSetTensor4dDescriptor", func() int32 {
			return c.cudnnSetTensor4dDescriptor(ch.x, cudnnTensorNCHW, dt, i32(shape.N), i32(shape.C), i32(shape.H), i32(shape.W))
		}},
		{"cudnnCreateTensorDescriptor", func() int32 { return c.cudnnCreateTensorDescriptor(&ch.y) }},
		{"cudnnSetTensor4dDescriptor", func() int32 {
			return c.cudnnSetTensor4dDescriptor(ch.y, cudnnTensorNCHW, dt, i32(shape.N), i32(shape.K), i32(p), i32(q))
		}},
		{"cudnnCreateFilterDescriptor", func() int32 { return c.cudnnCreateFilterDescriptor(&ch.w) }},
		{"cudnnSetFilter4dDescriptor", func() int32 {
			return c.cudnnSetFilter4dDescriptor(ch.w, dt, cudnnTensorNCHW, i32(shape.K), i32(shape.C), i32(shape.R), i32(shape.S))
		}},
		{"cudnnCreateConvolutionDescriptor", func() int32 { return c.cudnnCreateConvolutionDescriptor(&ch.conv) }},
		{"cudnnSetConvolution2dDescriptor", func() int32 {
			return c.cudnnSetConvolution2dDescriptor(ch.conv, i32(shape.PadH), i32(shape.PadW), i32(sh), i32(sw), 1, 1, cudnnCrossCorrelation, cudnnDataFloat)
		}},
		{"cudnnSetConvolutionMathType", func() int32 { return c.cudnnSetConvolutionMathType(ch.conv, mathType) }},
	}
	for _, s := range steps {
		if err := c.check(s.call, s.f()); err != nil {
			d.destroyConv(ch)
			return convChoice{}, fmt.Errorf("cuda: conv %+v (%v): %w", shape, prec, err)
		}
	}
	var n, k, pp, qq int32
	if err := c.check("cudnnGetConvolution2dForwardOutputDim", c.cudnnGetConvolution2dForwardOutputDim(ch.conv, ch.x, ch.w, &n, &k, &pp, &qq)); err != nil {
		d.destroyConv(ch)
		return convChoice{}, err
	}
	if int(n) != shape.N || int(k) != shape.K || int(pp) != p || int(qq) != q {
		d.destroyConv(ch)
		return convChoice{}, fmt.Errorf("cuda: conv %+v: cudnn output %dx%dx%dx%d, want %dx%dx%dx%d", shape, n, k, pp, qq, shape.N, shape.K, p, q)
	}
	var err error
	ch.fwd, ch.fwdWS, err = pickAlgo("cudnnFindConvolutionForwardAlgorithm", c, func(req int32, got *int32, perf *convPerf) int32 {
		return c.cudnnFindConvolutionForwardAlgorithm(d.dnn.h, ch.x, ch.w, ch.conv, ch.y, req, got, perf)
	})
	if err == nil {
		ch.bwdData, ch.bwdDataWS, err = pickAlgo("cudnnFindConvolutionBackwardDataAlgorithm", c, func(req int32, got *int32, perf *convPerf) int32 {
			return c.cudnnFindConvolutionBackwardDataAlgorithm(d.dnn.h, ch.w, ch.y, ch.conv, ch.x, req, got, perf)
		})
	}
	if err == nil {
		ch.bwdFilt, ch.bwdFiltWS, err = pickAlgo("cudnnFindConvolutionBackwardFilterAlgorithm", c, func(req int32, got *int32, perf *convPerf) int32 {
			return c.cudnnFindConvolutionBackwardFilterAlgorithm(d.dnn.h, ch.x, ch.y, ch.conv, ch.w, req, got, perf)
		})
	}
	if err != nil {
		d.destroyConv(ch)
		return convChoice{}, fmt.Errorf("cuda: conv %+v: %w", shape, err)
	}
	d.mu.Lock()
	d.convAlgo[key] = ch
	d.mu.Unlock()
	return ch, nil
}

// maxWorkspace bounds the workspace of a chosen convolution algorithm: some (FFT) ask for
// gigabytes to save little time.
const maxWorkspace = 1 << 30

// pickAlgo runs a cudnnFind* call and returns the fastest algorithm that succeeded with a
// workspace of at most maxWorkspace bytes (cuDNN sorts the results by time), and its
// workspace size.
func pickAlgo(call string, c *cudnn, find func(req int32, got *int32, perf *convPerf) int32) (int32, uint64, error) {
	var perf [8]convPerf
	var got int32
	if err := c.check(call, find(int32(len(perf)), &got, &perf[0])); err != nil {
		return 0, 0, err
	}
	for _, p := range perf[:min(int(got), len(perf))] {
		if p.Status == 0 && p.Memory <= maxWorkspace {
			return p.Algo, p.Memory, nil
		}
	}
	return 0, 0, fmt.Errorf("cuda: %s: no algorithm succeeded within %d bytes of workspace among %d", call, maxWorkspace, got)
}

func (d *Device) destroyConv(ch convChoice) {
	c := d.dnn
	if ch.x != 0 {
		c.cudnnDestroyTensorDescriptor(ch.x)
	}
	if ch.y != 0 {
		c.cudnnDestroyTensorDescriptor(ch.y)
	}
	if ch.w != 0 {
		c.cudnnDestroyFilterDescriptor(ch.w)
	}
	if ch.conv != 0 {
		c.cudnnDestroyConvolutionDescriptor(ch.conv)
	}
}

// convRun runs one cuDNN convolution call on s in precision prec with a workspace from the
// allocator.
func (s *Stream) convRun(shape ConvShape, prec Precision, run func(ch convChoice, ws DevicePtr) (string, int32), wsSize func(convChoice) uint64) error {
	d := s.d
	return d.do(func() error {
		ch, err := d.convPlan(shape, prec)
		if err != nil {
			return err
		}
		if err := d.dnn.check("cudnnSetStream", d.dnn.cudnnSetStream(d.dnn.h, s.h)); err != nil {
			return err
		}
		var ws DevicePtr
		if n := wsSize(ch); n > 0 {
			if ws, err = d.alloc.Alloc(n); err != nil {
				return fmt.Errorf("cuda: conv workspace: %w", err)
			}
			// Freed blocks are reused only by work queued later (one stream; see Allocator).
			defer d.alloc.Free(ws)
		}
		call, r := run(ch, ws)
		return d.dnn.check(call, r)
	})
}

// The convolutions compute in the Precision of s on float32 x, w, y, dx, dy and dw; with
// BF16 the two inputs of each call are rounded to bfloat16 copies and the result is rounded
// to bfloat16 before it is widened into the float32 output (see BF16).

// Tensors of a convolution, to say which of them a call reads and writes (Stream.conv).
const (
	convX = iota
	convW
	convY
)

// convCall is one cuDNN convolution call (alpha 1) on inputs a and b into out, with workspace
// ws and the given beta; it returns the call's name and status.
type convCall func(ch convChoice, a, b, out, ws DevicePtr, beta *float32) (string, int32)

// conv queues call in s's precision: on the float32 buffers themselves, or under BF16 on
// bfloat16 copies of a and b into a bfloat16 output widened into out (convBF16). roles names
// the tensors (convX, convW, convY) that a, b and out are, for their sizes.
func (s *Stream) conv(shape ConvShape, a, b DevicePtr, beta float32, out DevicePtr, roles [3]int, call convCall, wsSize func(convChoice) uint64) error {
	if s.prec != BF16 {
		return s.convRun(shape, s.prec, func(ch convChoice, ws DevicePtr) (string, int32) { return call(ch, a, b, out, ws, &beta) }, wsSize)
	}
	nx, nw, ny, err := shape.sizes()
	if err != nil {
		return err
	}
	n := [3]int{convX: nx, convW: nw, convY: ny}
	zero := float32(0)
	return s.convBF16(shape, a, n[roles[0]], b, n[roles[1]], beta, out, n[roles[2]], func(ch convChoice, a16, b16, out16, ws DevicePtr) (string, int32) {
		return call(ch, a16, b16, out16, ws, &zero)
	}, wsSize)
}

// ConvForward queues y = conv(x, w) (+ beta*y when beta is 1; beta 0 overwrites y).
func (s *Stream) ConvForward(shape ConvShape, x, w DevicePtr, beta float32, y DevicePtr) error {
	alpha := float32(1)
	return s.conv(shape, x, w, beta, y, [3]int{convX, convW, convY},
		func(ch convChoice, x, w, y, ws DevicePtr, beta *float32) (string, int32) {
			return "cudnnConvolutionForward", s.d.dnn.cudnnConvolutionForward(s.d.dnn.h, &alpha, ch.x, x, ch.w, w, ch.conv, ch.fwd, ws, ch.fwdWS, beta, ch.y, y)
		}, func(ch convChoice) uint64 { return ch.fwdWS })
}

// ConvBackwardData queues dx = conv_transpose(dy, w) + beta*dx.
func (s *Stream) ConvBackwardData(shape ConvShape, w, dy DevicePtr, beta float32, dx DevicePtr) error {
	alpha := float32(1)
	return s.conv(shape, w, dy, beta, dx, [3]int{convW, convY, convX},
		func(ch convChoice, w, dy, dx, ws DevicePtr, beta *float32) (string, int32) {
			return "cudnnConvolutionBackwardData", s.d.dnn.cudnnConvolutionBackwardData(s.d.dnn.h, &alpha, ch.w, w, ch.y, dy, ch.conv, ch.bwdData, ws, ch.bwdDataWS, beta, ch.x, dx)
		}, func(ch convChoice) uint64 { return ch.bwdDataWS })
}

// ConvBackwardFilter queues dw = corr(x, dy) + beta*dw.
func (s *Stream) ConvBackwardFilter(shape ConvShape, x, dy DevicePtr, beta float32, dw DevicePtr) error {
	alpha := float32(1)
	return s.conv(shape, x, dy, beta, dw, [3]int{convX, convY, convW},
		func(ch convChoice, x, dy, dw, ws DevicePtr, beta *float32) (string, int32) {
			return "cudnnConvolutionBackwardFilter", s.d.dnn.cudnnConvolutionBackwardFilter(s.d.dnn.h, &alpha, ch.x, x, ch.y, dy, ch.conv, ch.bwdFilt, ws, ch.bwdFiltWS, beta, ch.w, dw)
		}, func(ch convChoice) uint64 { return ch.bwdFiltWS })
}

// PoolShape is 2-D max or average pooling (average excludes padding), NCHW float32.
type PoolShape struct {
	N, C, H, W       int
	WinH, WinW       int
	PadH, PadW       int
	StrideH, StrideW int
	Max              bool
}

// Out returns the output's height and width.
func (p PoolShape) Out() (int, int) {
	return (p.H+2*p.PadH-p.WinH)/p.StrideH + 1, (p.W+2*p.PadW-p.WinW)/p.StrideW + 1
}

// poolDescs creates the descriptors of one pooling call; release destroys them.
func (d *Device) poolDescs(p PoolShape) (pool, x, y uintptr, release func(), err error) {
	if p.N <= 0 || p.C <= 0 || p.H <= 0 || p.W <= 0 || p.WinH <= 0 || p.WinW <= 0 || p.StrideH <= 0 || p.StrideW <= 0 || p.PadH < 0 || p.PadW < 0 {
		return 0, 0, 0, nil, fmt.Errorf("cuda: pool: bad shape %+v", p)
	}
	oh, ow := p.Out()
	if oh <= 0 || ow <= 0 {
		return 0, 0, 0, nil, fmt.Errorf("cuda: pool: window larger than input in %+v", p)
	}
	c := d.dnn
	mode := int32(cudnnPoolingAvgExclPad)
	if p.Max {
		mode = cudnnPoolingMax
	}
	release = func() {
		if pool != 0 {
			c.cudnnDestroyPoolingDescriptor(pool)
		}
		if x != 0 {
			c.cudnnDestroyTensorDescriptor(x)
		}
		if y != 0 {
			c.cudnnDestroyTensorDescriptor(y)
		}
	}
	errs := []error{
		c.check("cudnnCreatePoolingDescriptor", c.cudnnCreatePoolingDescriptor(&pool)),
		c.check("cudnnCreateTensorDescriptor", c.cudnnCreateTensorDescriptor(&x)),
		c.check("cudnnCreateTensorDescriptor", c.cudnnCreateTensorDescriptor(&y)),
	}
	if err = errors.Join(errs...); err == nil {
		err = errors.Join(
			c.check("cudnnSetPooling2dDescriptor", c.cudnnSetPooling2dDescriptor(pool, mode, cudnnNotPropagateNaN,
				int32(p.WinH), int32(p.WinW), int32(p.PadH), int32(p.PadW), int32(p.StrideH), int32(p.StrideW))),
			c.check("cudnnSetTensor4dDescriptor", c.cudnnSetTensor4dDescriptor(x, cudnnTensorNCHW, cudnnDataFloat, int32(p.N), int32(p.C), int32(p.H), int32(p.W))),
			c.check("cudnnSetTensor4dDescriptor", c.cudnnSetTensor4dDescriptor(y, cudnnTensorNCHW, cudnnDataFloat, int32(p.N), int32(p.C), int32(oh), int32(ow))),
		)
	}
	if err != nil {
		release()
		return 0, 0, 0, nil, err
	}
	return pool, x, y, release, nil
}

// PoolForward queues y = pool(x).
func (s *Stream) PoolForward(p PoolShape, x, y DevicePtr) error {
	d := s.d
	return d.do(func() error {
		pool, xd, yd, release, err := d.poolDescs(p)
		if err != nil {
			return err
		}
		defer release()
		if err := d.dnn.check("cudnnSetStream", d.dnn.cudnnSetStream(d.dnn.h, s.h)); err != nil {
			return err
		}
		alpha, beta := float32(1), float32(0)
		return d.dnn.check("cudnnPoolingForward", d.dnn.cudnnPoolingForward(d.dnn.h, pool, &alpha, xd, x, &beta, yd, y))
	})
}

// PoolBackward queues dx = pool'(x, y, dy) (overwriting dx).
func (s *Stream) PoolBackward(p PoolShape, x, y, dy, dx DevicePtr) error {
	d := s.d
	return d.do(func() error {
		pool, xd, yd, release, err := d.poolDescs(p)
		if err != nil {
			return err
		}
		defer release()
		if err := d.dnn.check("cudnnSetStream", d.dnn.cudnnSetStream(d.dnn.h, s.h)); err != nil {
			return err
		}
		alpha, beta := float32(1), float32(0)
		return d.dnn.check("cudnnPoolingBackward", d.dnn.cudnnPoolingBackward(d.dnn.h, pool, &alpha, yd, y, yd, dy, xd, x, &beta, xd, dx))
	})
}
