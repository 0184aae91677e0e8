package cuda

import (
	"fmt"
	"unsafe"

	"github.com/samtrain/samtrain/graph"
)

// The compute kernels of Backend; the math of each is in graph/backend.go and in the CUDA C
// of kernels/*.cu that it launches.

// Add sets dst = a + b elementwise.
func (b *Backend) Add(dst, x, y graph.Buffer) {
	n := dst.Len()
	o, p, q := b.buf("Add", dst, n), b.buf("Add", x, n), b.buf("Add", y, n)
	if n > 0 {
		b.each("add_fwd", n, p.p, q.p, o.p, n)
	}
}

// Axpby sets y = a·x + c·y elementwise.
func (b *Backend) Axpby(y graph.Buffer, a float32, x graph.Buffer, c float32) {
	n := y.Len()
	o, p := b.buf("Axpby", y, n), b.buf("Axpby", x, n)
	if n > 0 {
		b.each("axpby", n, o.p, p.p, a, c, n)
	}
}

// Gemm sets C = alpha·op(A)·op(B) + beta·C with cuBLAS (row-major, see Stream.Sgemm).
func (b *Backend) Gemm(transA, transB bool, m, n, k int, alpha float32, x, y graph.Buffer, beta float32, c graph.Buffer) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("cuda: Gemm: bad sizes m=%d n=%d k=%d", m, n, k))
	}
	pa, pb, pc := b.buf("Gemm A", x, m*k), b.buf("Gemm B", y, k*n), b.buf("Gemm C", c, m*n)
	switch {
	case m == 0 || n == 0:
	case k == 0: // the product is empty: C = beta·C
		b.each("scale", m*n, pc.p, beta, m*n)
	case b.err == nil:
		b.fail(b.s.Sgemm(transA, transB, m, n, k, alpha, pa.p, pb.p, beta, pc.p))
	}
}

// convShape converts graph's convolution shape to the binding's.
func convShape(p graph.ConvShape) ConvShape {
	return ConvShape{N: p.N, C: p.C, H: p.H, W: p.W, K: p.K, R: p.R, S: p.S,
		PadH: p.PadH, PadW: p.PadW, StrideH: p.StrideH, StrideW: p.StrideW}
}

// convSizes returns the element counts of x, w and y, panicking on a bad shape.
func convSizes(p graph.ConvShape) (nx, nw, ny int) {
	dims("Conv2d", p.N, p.C, p.H, p.W, p.K, p.R, p.S, p.StrideH, p.StrideW)
	if p.PadH < 0 || p.PadW < 0 || p.OutH() < 1 || p.OutW() < 1 {
		panic(fmt.Sprintf("cuda: Conv2d: bad shape %+v", p))
	}
	return p.N * p.C * p.H * p.W, p.K * p.C * p.R * p.S, dims("Conv2d", p.N, p.K, p.OutH(), p.OutW())
}

// ConvWorkspaceLen is 0: cuDNN's workspace comes from the device's caching allocator.
func (b *Backend) ConvWorkspaceLen(p graph.ConvShape) int { return 0 }

// Conv2dForward sets y = x ⋆ w with cuDNN (work is unused).
func (b *Backend) Conv2dForward(p graph.ConvShape, x, w, y, work graph.Buffer) {
	nx, nw, ny := convSizes(p)
	px, pw, py := b.buf("Conv2dForward x", x, nx), b.buf("Conv2dForward w", w, nw), b.buf("Conv2dForward y", y, ny)
	if b.err == nil {
		b.fail(b.s.ConvForward(convShape(p), px.p, pw.p, 0, py.p))
	}
}

// Conv2dBackwardData sets dx = ∂L/∂x with cuDNN (work is unused).
func (b *Backend) Conv2dBackwardData(p graph.ConvShape, w, dy, dx, work graph.Buffer) {
	nx, nw, ny := convSizes(p)
	pw, pdy, pdx := b.buf("Conv2dBackwardData w", w, nw), b.buf("Conv2dBackwardData dy", dy, ny), b.buf("Conv2dBackwardData dx", dx, nx)
	if b.err == nil {
		b.fail(b.s.ConvBackwardData(convShape(p), pw.p, pdy.p, 0, pdx.p))
	}
}

// Conv2dBackwardFilter sets dw = ∂L/∂w with cuDNN (work is unused).
func (b *Backend) Conv2dBackwardFilter(p graph.ConvShape, x, dy, dw, work graph.Buffer) {
	nx, nw, ny := convSizes(p)
	px, pdy, pdw := b.buf("Conv2dBackwardFilter x", x, nx), b.buf("Conv2dBackwardFilter dy", dy, ny), b.buf("Conv2dBackwardFilter dw", dw, nw)
	if b.err == nil {
		b.fail(b.s.ConvBackwardFilter(convShape(p), px.p, pdy.p, 0, pdw.p))
	}
}

// ReLU sets y = max(x, 0).
func (b *Backend) ReLU(x, y graph.Buffer) {
	n := y.Len()
	px, py := b.buf("ReLU", x, n), b.buf("ReLU", y, n)
	if n > 0 {
		b.each("relu_fwd", n, px.p, py.p, n)
	}
}

// ReLUBackward sets dx = dy where y > 0, else 0.
func (b *Backend) ReLUBackward(y, dy, dx graph.Buffer) {
	n := dx.Len()
	py, pdy, pdx := b.buf("ReLUBackward", y, n), b.buf("ReLUBackward", dy, n), b.buf("ReLUBackward", dx, n)
	if n > 0 {
		b.each("relu_bwd", n, py.p, pdy.p, pdx.p, n)
	}
}

// Moments sets the mean, biased variance and 1/sqrt(var+eps) of each of the rows groups of x
// viewed as outer×rows×inner, one block per row.
func (b *Backend) Moments(outer, rows, inner int, x graph.Buffer, eps float64, mean, variance, invStd graph.Buffer) {
	n := dims("Moments", outer, rows, inner)
	px := b.buf("Moments x", x, n)
	pm, pv, pi := b.buf("Moments mean", mean, rows), b.buf("Moments variance", variance, rows), b.buf("Moments invStd", invStd, rows)
	b.launch("moments", rows, px.p, pm.p, pv.p, pi.p, outer, rows, inner, float32(eps))
}

// InvStd sets invStd = 1/sqrt(variance+eps).
func (b *Backend) InvStd(variance graph.Buffer, eps float64, invStd graph.Buffer) {
	n := invStd.Len()
	pv, pi := b.buf("InvStd", variance, n), b.buf("InvStd", invStd, n)
	if n > 0 {
		b.each("inv_std", n, pv.p, pi.p, float32(eps), n)
	}
}

// stats is the number of statistics of a normalisation with groups groups (0: per channel).
func stats(what string, n, c, hw, groups int) int {
	dims(what, n, c, hw)
	if groups == 0 {
		return c
	}
	if groups < 0 || c%groups != 0 {
		panic(fmt.Sprintf("cuda: %s: %d groups of %d channels", what, groups, c))
	}
	return n * groups
}

// Normalize sets y = (x − mean)·invStd·scale[c] + bias[c], statistics as graph.Backend says.
func (b *Backend) Normalize(n, c, hw, groups int, x, mean, invStd, scale, bias, y graph.Buffer) {
	k, size := stats("Normalize", n, c, hw, groups), n*c*hw
	px, py := b.buf("Normalize x", x, size), b.buf("Normalize y", y, size)
	pm, pi := b.buf("Normalize mean", mean, k), b.buf("Normalize invStd", invStd, k)
	ps, pb := b.buf("Normalize scale", scale, c), b.buf("Normalize bias", bias, c)
	b.each("norm_apply", size, px.p, pm.p, pi.p, ps.p, pb.p, py.p, n, c, hw, groups)
}

// NormScaleGrad sets dscale[c] = Σ dy·x̂, one block per channel.
func (b *Backend) NormScaleGrad(n, c, hw, groups int, x, mean, invStd, dy, dscale graph.Buffer) {
	k, size := stats("NormScaleGrad", n, c, hw, groups), n*c*hw
	px, pdy := b.buf("NormScaleGrad x", x, size), b.buf("NormScaleGrad dy", dy, size)
	pm, pi := b.buf("NormScaleGrad mean", mean, k), b.buf("NormScaleGrad invStd", invStd, k)
	pds := b.buf("NormScaleGrad dscale", dscale, c)
	b.launch("norm_scale_grad", c, px.p, pm.p, pi.p, pdy.p, pds.p, n, c, hw, groups)
}

// ChannelSum sets db[c] = Σ_{n,hw} dy, one block per channel.
func (b *Backend) ChannelSum(n, c, hw int, dy, db graph.Buffer) {
	size := dims("ChannelSum", n, c, hw)
	pdy, pdb := b.buf("ChannelSum dy", dy, size), b.buf("ChannelSum db", db, c)
	b.launch("channel_sum", c, pdy.p, pdb.p, n, c, hw)
}

// BatchNormBackward sets dx of a per-channel BatchNorm from dscale and dbias (batch
// statistics) or with fixed statistics.
func (b *Backend) BatchNormBackward(n, c, hw int, batch bool, x, mean, invStd, scale, dy, dscale, dbias, dx graph.Buffer) {
	size := dims("BatchNormBackward", n, c, hw)
	px, pdy, pdx := b.buf("BatchNormBackward x", x, size), b.buf("BatchNormBackward dy", dy, size), b.buf("BatchNormBackward dx", dx, size)
	pm, pi, ps := b.buf("BatchNormBackward mean", mean, c), b.buf("BatchNormBackward invStd", invStd, c), b.buf("BatchNormBackward scale", scale, c)
	pds, pdb := b.buf("BatchNormBackward dscale", dscale, c), b.buf("BatchNormBackward dbias", dbias, c)
	flag := int32(0)
	if batch {
		flag = 1
	}
	b.each("bn_dx", size, px.p, pm.p, pi.p, ps.p, pdy.p, pds.p, pdb.p, pdx.p, n, c, hw, flag)
}

// GroupNormBackward sets dx of a GroupNorm with groups groups, one block per (sample, group).
func (b *Backend) GroupNormBackward(n, c, hw, groups int, x, mean, invStd, scale, dy, dx graph.Buffer) {
	if groups < 1 {
		panic(fmt.Sprintf("cuda: GroupNormBackward: %d groups", groups))
	}
	k, size := stats("GroupNormBackward", n, c, hw, groups), n*c*hw
	px, pdy, pdx := b.buf("GroupNormBackward x", x, size), b.buf("GroupNormBackward dy", dy, size), b.buf("GroupNormBackward dx", dx, size)
	pm, pi, ps := b.buf("GroupNormBackward mean", mean, k), b.buf("GroupNormBackward invStd", invStd, k), b.buf("GroupNormBackward scale", scale, c)
	b.launch("groupnorm_bwd", k, px.p, pdy.p, pdx.p, pm.p, pi.p, ps.p, n, c, hw, groups)
}

// AvgPool sets y[i] = mean_j x[i·hw + j].
func (b *Backend) AvgPool(rows, hw int, x, y graph.Buffer) {
	size := dims("AvgPool", rows, hw)
	px, py := b.buf("AvgPool x", x, size), b.buf("AvgPool y", y, rows)
	b.each("gap_fwd", rows, px.p, py.p, rows, hw)
}

// AvgPoolBackward sets dx[i·hw + j] = dy[i]/hw.
func (b *Backend) AvgPoolBackward(rows, hw int, dy, dx graph.Buffer) {
	size := dims("AvgPoolBackward", rows, hw)
	pdy, pdx := b.buf("AvgPoolBackward dy", dy, rows), b.buf("AvgPoolBackward dx", dx, size)
	b.each("gap_bwd", size, pdy.p, pdx.p, rows, hw)
}

// AddRowVector adds v[j] to every row of the rows×cols matrix y.
func (b *Backend) AddRowVector(rows, cols int, y, v graph.Buffer) {
	size := dims("AddRowVector", rows, cols)
	py, pv := b.buf("AddRowVector y", y, size), b.buf("AddRowVector v", v, cols)
	b.each("add_row_vector", size, py.p, pv.p, rows, cols)
}

// SumRows sets s[j] = Σ_i y[i·cols + j].
func (b *Backend) SumRows(rows, cols int, y, s graph.Buffer) {
	size := dims("SumRows", rows, cols)
	py, ps := b.buf("SumRows y", y, size), b.buf("SumRows s", s, cols)
	b.each("sum_rows", cols, py.p, ps.p, rows, cols)
}

// deviceLabels returns the device copy of labels, uploading them only when they differ from
// the last ones.
func (b *Backend) deviceLabels(labels []int32) DevicePtr {
	if b.err != nil {
		return 0
	}
	same := len(labels) == len(b.lastLabels)
	for i := 0; same && i < len(labels); i++ {
		same = labels[i] == b.lastLabels[i]
	}
	if same && b.labels != 0 {
		return b.labels
	}
	if len(labels) > b.labelsCap {
		if b.labels != 0 {
			// Work queued before reads the old block; the allocator hands it out only to
			// work queued later on this stream.
			b.fail(b.d.Free(b.labels))
			b.labels, b.labelsCap = 0, 0
		}
		p, err := b.d.Alloc(uint64(len(labels)) * 4)
		if err != nil {
			b.fail(fmt.Errorf("cuda: labels: %w", err))
			return 0
		}
		b.labels, b.labelsCap = p, len(labels)
	}
	b.upload(b.labels, unsafe.Slice((*byte)(unsafe.Pointer(&labels[0])), 4*len(labels)))
	b.lastLabels = append(b.lastLabels[:0], labels...)
	return b.labels
}

// SoftmaxCrossEntropy sets loss[0] to the mean cross-entropy of the n×k logits z, in one
// block (a deterministic tree sum).
func (b *Backend) SoftmaxCrossEntropy(n, k int, z graph.Buffer, labels []int32, loss graph.Buffer) {
	size := dims("SoftmaxCrossEntropy", n, k)
	if len(labels) != n {
		panic(fmt.Sprintf("cuda: SoftmaxCrossEntropy: %d labels for %d rows", len(labels), n))
	}
	pz, pl := b.buf("SoftmaxCrossEntropy z", z, size), b.buf("SoftmaxCrossEntropy loss", loss, 1)
	lab := b.deviceLabels(labels)
	b.launch("xent_mean", 1, pz.p, lab, pl.p, n, k)
}

// SoftmaxCrossEntropyBackward sets dz = g[0]/n·(softmax(z) − onehot(labels)), g read on the
// device.
func (b *Backend) SoftmaxCrossEntropyBackward(n, k int, z graph.Buffer, labels []int32, g, dz graph.Buffer) {
	size := dims("SoftmaxCrossEntropyBackward", n, k)
	if len(labels) != n {
		panic(fmt.Sprintf("cuda: SoftmaxCrossEntropyBackward: %d labels for %d rows", len(labels), n))
	}
	pz, pg, pdz := b.buf("SoftmaxCrossEntropyBackward z", z, size), b.buf("SoftmaxCrossEntropyBackward g", g, 1), b.buf("SoftmaxCrossEntropyBackward dz", dz, size)
	lab := b.deviceLabels(labels)
	b.each("xent_grad", n, pz.p, lab, pg.p, pdz.p, n, k)
}
