package cpu

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ConvParams describes a 2-D cross-correlation (PyTorch Conv2d, no bias, no dilation, groups=1)
// of an NCHW input x (N×C×H×W) with a KCRS filter w (K×C×R×S) into y (N×K×OH×OW):
//
//	y[n,k,oh,ow] = Σ_{c,r,s} x[n, c, oh*StrideH-PadH+r, ow*StrideW-PadW+s] * w[k,c,r,s]
//
// with x taken as zero outside the image.
type ConvParams struct {
	N, C, H, W       int
	K, R, S          int
	StrideH, StrideW int
	PadH, PadW       int
}

// OutH is the output height (H + 2*PadH - R)/StrideH + 1.
func (p ConvParams) OutH() int { return (p.H+2*p.PadH-p.R)/p.StrideH + 1 }

// OutW is the output width (W + 2*PadW - S)/StrideW + 1.
func (p ConvParams) OutW() int { return (p.W+2*p.PadW-p.S)/p.StrideW + 1 }

// Validate returns an error unless p describes a convolution with a non-empty output.
func (p ConvParams) Validate() error {
	switch {
	case p.N < 1 || p.C < 1 || p.H < 1 || p.W < 1:
		return fmt.Errorf("cpu: conv: input N=%d C=%d H=%d W=%d must be positive", p.N, p.C, p.H, p.W)
	case p.K < 1 || p.R < 1 || p.S < 1:
		return fmt.Errorf("cpu: conv: filter K=%d R=%d S=%d must be positive", p.K, p.R, p.S)
	case p.StrideH < 1 || p.StrideW < 1:
		return fmt.Errorf("cpu: conv: stride %d×%d must be positive", p.StrideH, p.StrideW)
	case p.PadH < 0 || p.PadW < 0:
		return fmt.Errorf("cpu: conv: padding %d×%d must not be negative", p.PadH, p.PadW)
	case p.H+2*p.PadH < p.R || p.W+2*p.PadW < p.S:
		return fmt.Errorf("cpu: conv: filter %d×%d larger than padded input %d×%d",
			p.R, p.S, p.H+2*p.PadH, p.W+2*p.PadW)
	}
	return nil
}

// errWorkspace is the cause in the panic for a short workspace.
var errWorkspace = errors.New("workspace shorter than WorkspaceLen")

// targetCols is the number of GEMM columns (output pixels) a worker processes per GEMM:
// images with fewer output pixels are grouped so that GEMMs keep a useful width.
const targetCols = 256

// convPlan is how a convolution is split over workers.
type convPlan struct {
	pix     int // output pixels per image, OH*OW
	crs     int // C*R*S, the GEMM depth of the forward pass
	g       int // images per group
	groups  int // number of groups
	workers int // goroutines, each taking whole groups
	inner   int // goroutines inside each worker's GEMMs
}

// plan splits the convolution p for par goroutines.
func (p ConvParams) plan(par int) convPlan {
	par = max(1, par)
	var pl convPlan
	pl.pix = p.OutH() * p.OutW()
	pl.crs = p.C * p.R * p.S
	pl.g = max(1, min((targetCols+pl.pix-1)/pl.pix, (p.N+par-1)/par))
	pl.groups = (p.N + pl.g - 1) / pl.g
	pl.workers = min(par, pl.groups)
	pl.inner = max(1, par/pl.workers)
	return pl
}

// counter hands out the indices 0, 1, …, n-1 to workers, first come first served, so that
// a worker slowed down by other processes on the machine takes fewer groups.
type counter struct {
	next atomic.Int64
	n    int
}

// take returns the next index and whether there was one.
func (c *counter) take() (int, bool) {
	i := int(c.next.Add(1) - 1)
	return i, i < c.n
}

// share returns worker wk's part [lo, hi) of n indices split statically among workers.
// Reductions over workers use it instead of a counter: which worker sums which indices
// must not depend on scheduling, or float32 sums (and so training runs) would not be
// reproducible bit for bit.
func share(n, workers, wk int) (lo, hi int) {
	return wk * n / workers, (wk + 1) * n / workers
}

// images returns the images [n0, n1) of group i.
func (pl *convPlan) images(p ConvParams, i int) (n0, n1 int) {
	return i * pl.g, min(p.N, (i+1)*pl.g)
}

// slabLens are the lengths of one worker's scratch: tmp holds a group's output (gradient)
// matrix, col an im2col matrix or padded images, and pack the GEMM packing buffers of each
// inner goroutine.
type slabLens struct{ tmp, col, pack int }

// slab returns the scratch length of one worker.
func (pl *convPlan) slab(l slabLens) int { return l.tmp + l.col + pl.inner*l.pack }

// forwardLens are the scratch lengths of Conv2dForward's workers.
func (p ConvParams) forwardLens(pl *convPlan) slabLens {
	cols := pl.g * pl.pix
	l := slabLens{col: p.padLen(pl.g), pack: packLen(p.K, cols, pl.crs)}
	if pl.g > 1 {
		l.tmp = p.K * cols
	}
	return l
}

// filterLens are the scratch lengths of Conv2dBackwardFilter's workers.
func (p ConvParams) filterLens(pl *convPlan) slabLens {
	cols := pl.g * pl.pix
	l := slabLens{col: p.padLen(pl.g), pack: packLen(p.K, pl.crs, cols)}
	if pl.g > 1 {
		l.tmp = p.K * cols
	}
	return l
}

// dataLens are the scratch lengths of Conv2dBackwardData's workers when it runs GEMM and
// col2im (see flipped for the other case).
func (p ConvParams) dataLens(pl *convPlan) slabLens {
	cols := pl.g * pl.pix
	l := slabLens{col: pl.crs * cols, pack: packLen(pl.crs, cols, p.K)}
	if pl.g > 1 {
		l.tmp = p.K * cols
	}
	return l
}

// flipMinC is the fewest input channels for which Conv2dBackwardData runs as a forward
// convolution: with fewer, that convolution's GEMM has too few rows (C) to pay for
// packing its (K*R*S)-row im2col matrix, and GEMM plus col2im is faster.
const flipMinC = 16

// flipped returns the convolution whose forward pass is p's backward-data pass, and
// whether there is one: with stride 1 and padding at most R-1 (S-1), dx is the correlation
// of dy, padded by R-1-PadH (S-1-PadW), with the filter w' (C×K×R×S),
// w'[c,k,r,s] = w[k,c,R-1-r,S-1-s]. It is not used for fewer than flipMinC input channels.
func (p ConvParams) flipped() (ConvParams, bool) {
	if p.StrideH != 1 || p.StrideW != 1 || p.PadH > p.R-1 || p.PadW > p.S-1 || p.C < flipMinC {
		return ConvParams{}, false
	}
	return ConvParams{N: p.N, C: p.K, H: p.OutH(), W: p.OutW(), K: p.C, R: p.R, S: p.S,
		StrideH: 1, StrideW: 1, PadH: p.R - 1 - p.PadH, PadW: p.S - 1 - p.PadW}, true
}

// forwardLen, dataLen and filterLen are the workspace lengths of the three passes.
func (p ConvParams) forwardLen(par int) int {
	pl := p.plan(par)
	return pl.workers*pl.slab(p.forwardLens(&pl)) + prepackLen(p.K, pl.crs)
}

func (p ConvParams) dataLen(par int) int {
	if q, ok := p.flipped(); ok {
		return q.forwardLen(par)
	}
	pl := p.plan(par)
	return pl.workers * pl.slab(p.dataLens(&pl))
}

func (p ConvParams) filterLen(par int) int {
	pl := p.plan(par)
	return pl.workers*pl.slab(p.filterLens(&pl)) + (pl.workers-1)*p.K*pl.crs
}

// WorkspaceLen is the number of T elements of scratch the Conv2d* functions need with par
// workers: GEMM packing buffers and an output matrix per worker, the im2col matrix per
// worker for a strided backward-data pass and, for Conv2dBackwardFilter, one partial filter
// gradient per extra worker. It is 0 for invalid p.
func (p ConvParams) WorkspaceLen(par int) int {
	if p.Validate() != nil {
		return 0
	}
	return max(p.forwardLen(par), p.dataLen(par), p.filterLen(par), p.filterRowsLen(par))
}

// mustConv panics unless p is valid and the slices are long enough. lens and names list the
// caller's input, filter and output slices in the order x, w, y (or their gradients).
func mustConv(op string, p ConvParams, par int, names [3]string, lens [3]int, work int) {
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("cpu: %s: %v", op, err))
	}
	want := [3]int{p.N * p.C * p.H * p.W, p.K * p.C * p.R * p.S, p.N * p.K * p.OutH() * p.OutW()}
	for i, name := range names {
		if lens[i] < want[i] {
			panic(fmt.Sprintf("cpu: %s: len(%s)=%d < %d", op, name, lens[i], want[i]))
		}
	}
	if wl := p.WorkspaceLen(par); work < wl {
		panic(fmt.Sprintf("cpu: %s: %v: len(work)=%d < %d", op, errWorkspace, work, wl))
	}
}

// slabOf returns worker w's tmp, col and pack scratch within work.
func slabOf[T Float](pl *convPlan, l slabLens, work []T, w int) (tmp, col, pack []T) {
	s := work[w*pl.slab(l) : (w+1)*pl.slab(l)]
	return s[:l.tmp], s[l.tmp : l.tmp+l.col], s[l.tmp+l.col:]
}
