package cpu

import (
	"errors"
	"fmt"
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

// Validate reports whether p describes a convolution with a non-empty output.
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

// convPlan is how a convolution is split over workers and what scratch each needs.
type convPlan struct {
	p       int  // output pixels per image, OH*OW
	crs     int  // C*R*S, the GEMM depth of the forward pass
	direct  bool // 1×1, stride 1, no padding: x is already the im2col matrix
	g       int  // images per group
	groups  int  // number of groups
	workers int  // goroutines, each taking whole groups
	inner   int  // goroutines inside each worker's GEMMs
	colLen  int  // im2col matrix per worker
	tmpLen  int  // gathered/scattered output-gradient matrix per worker
	packLen int  // GEMM packing scratch per inner goroutine
	slab    int  // scratch per worker
}

// plan splits the convolution p for par goroutines.
func (p ConvParams) plan(par int) convPlan {
	par = max(1, par)
	var pl convPlan
	pl.p = p.OutH() * p.OutW()
	pl.crs = p.C * p.R * p.S
	pl.direct = p.R == 1 && p.S == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
	pl.g = 1
	if !pl.direct {
		pl.g = max(1, min((targetCols+pl.p-1)/pl.p, (p.N+par-1)/par))
	}
	pl.groups = (p.N + pl.g - 1) / pl.g
	pl.workers = min(par, pl.groups)
	pl.inner = max(1, par/pl.workers)
	cols := pl.g * pl.p
	if !pl.direct {
		pl.colLen = pl.crs * cols
	}
	if pl.g > 1 {
		pl.tmpLen = p.K * cols
	}
	pl.packLen = max(packLen(p.K, cols, pl.crs), packLen(pl.crs, cols, p.K), packLen(p.K, pl.crs, cols))
	pl.slab = pl.colLen + pl.tmpLen + pl.inner*pl.packLen
	return pl
}

// WorkspaceLen is the number of T elements of scratch the Conv2d* functions need with par
// workers. It covers the per-worker im2col matrix, GEMM packing buffers and, for
// Conv2dBackwardFilter, one partial filter gradient per extra worker.
func (p ConvParams) WorkspaceLen(par int) int {
	if p.Validate() != nil {
		return 0
	}
	pl := p.plan(par)
	return pl.workers*pl.slab + (pl.workers-1)*p.K*pl.crs
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

// convScratch is one worker's share of the workspace.
type convScratch[T Float] struct {
	col, tmp, pack []T
}

// workerScratch returns worker w's scratch within work.
func workerScratch[T Float](pl *convPlan, work []T, w int) convScratch[T] {
	s := work[w*pl.slab : (w+1)*pl.slab]
	return convScratch[T]{
		col:  s[:pl.colLen],
		tmp:  s[pl.colLen : pl.colLen+pl.tmpLen],
		pack: s[pl.colLen+pl.tmpLen:],
	}
}

// groupRange returns the images [n0, n1) of group i.
func groupRange(p ConvParams, pl *convPlan, i int) (n0, n1 int) {
	return i * pl.g, min(p.N, (i+1)*pl.g)
}
