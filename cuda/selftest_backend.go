package cuda

import (
	"fmt"
	"math"

	"github.com/samtrain/samtrain/graph"
	"github.com/samtrain/samtrain/graph/cpu"
	"github.com/samtrain/samtrain/nets/resnet"
)

// backendOp is one graph.Backend kernel call for the self-test: inputs of the given lengths
// (random normal; those listed in positive are |x| + 0.1, for variances and 1/σ), zeroed
// outputs of the given lengths, and the call.
type backendOp struct {
	name     string
	in       []int
	positive []int
	out      []string // names of the outputs
	outLen   []int
	call     func(b graph.Backend[float32], in, out []graph.Buffer)
}

// backendOps lists every compute kernel of graph.Backend on shapes a CIFAR ResNet uses
// (smaller with small, for the package's tests on the fake libraries).
func backendOps(small bool) []backendOp {
	n, c, hw, g, h := 8, 32, 64, 4, 16 // batch, channels, HW, groups, image side
	if small {
		n, c, hw, g, h = 2, 8, 9, 2, 6
	}
	conv := []graph.ConvShape{
		{N: n, C: c / 2, H: h, W: h, K: c, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: n, C: c / 2, H: h, W: h, K: c, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: n, C: c / 2, H: h, W: h, K: c, R: 1, S: 1, StrideH: 2, StrideW: 2},
	}
	size := n * c * hw
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i*7) % 10
	}
	const eps = 1e-5
	ops := []backendOp{
		{name: "Gemm", in: []int{n * c, c * 10, n * 10}, out: []string{"C"}, outLen: []int{n * 10},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) {
				b.Copy(out[0], in[2])
				b.Gemm(false, true, n, 10, c, 0.5, in[0], in[1], -1.5, out[0]) // a Linear: x·Wᵀ
			}},
		{name: "Gemm_transA", in: []int{n * c, n * 10}, out: []string{"C"}, outLen: []int{c * 10},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) {
				b.Gemm(true, false, c, 10, n, 1, in[0], in[1], 0, out[0]) // its weight gradient
			}},
		{name: "Add", in: []int{size, size}, out: []string{"y"}, outLen: []int{size},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { b.Add(out[0], in[0], in[1]) }},
		{name: "Axpby", in: []int{size, size}, out: []string{"y"}, outLen: []int{size},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) {
				b.Copy(out[0], in[1])
				b.Axpby(out[0], 0.25, in[0], -2)
			}},
		{name: "Fill_Slice", out: []string{"y"}, outLen: []int{size},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { b.Fill(b.Slice(out[0], 3, size-1), 2.5) }},
		{name: "ReLU", in: []int{size}, out: []string{"y"}, outLen: []int{size},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { b.ReLU(in[0], out[0]) }},
		{name: "ReLUBackward", in: []int{size, size}, out: []string{"dx"}, outLen: []int{size},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { b.ReLUBackward(in[0], in[1], out[0]) }},
		{name: "Moments_batchnorm", in: []int{size}, out: []string{"mean", "variance", "invStd"}, outLen: []int{c, c, c},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) {
				b.Moments(n, c, hw, in[0], eps, out[0], out[1], out[2])
			}},
		{name: "Moments_groupnorm", in: []int{size}, out: []string{"mean", "variance", "invStd"}, outLen: []int{n * g, n * g, n * g},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) {
				b.Moments(1, n*g, c/g*hw, in[0], eps, out[0], out[1], out[2])
			}},
		{name: "InvStd", in: []int{c}, positive: []int{0}, out: []string{"invStd"}, outLen: []int{c},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { b.InvStd(in[0], eps, out[0]) }},
		{name: "ChannelSum", in: []int{size}, out: []string{"db"}, outLen: []int{c},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { b.ChannelSum(n, c, hw, in[0], out[0]) }},
		{name: "AvgPool", in: []int{size}, out: []string{"y"}, outLen: []int{n * c},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { b.AvgPool(n*c, hw, in[0], out[0]) }},
		{name: "AvgPoolBackward", in: []int{n * c}, out: []string{"dx"}, outLen: []int{size},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { b.AvgPoolBackward(n*c, hw, in[0], out[0]) }},
		{name: "AddRowVector", in: []int{n * c, c}, out: []string{"y"}, outLen: []int{n * c},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) {
				b.Copy(out[0], in[0])
				b.AddRowVector(n, c, out[0], in[1])
			}},
		{name: "SumRows", in: []int{n * c}, out: []string{"s"}, outLen: []int{c},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { b.SumRows(n, c, in[0], out[0]) }},
		{name: "SoftmaxCrossEntropy", in: []int{n * 10}, out: []string{"loss"}, outLen: []int{1},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) {
				b.SoftmaxCrossEntropy(n, 10, in[0], labels, out[0])
			}},
		{name: "SoftmaxCrossEntropyBackward", in: []int{n * 10, 1}, out: []string{"dz"}, outLen: []int{n * 10},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) {
				b.SoftmaxCrossEntropyBackward(n, 10, in[0], labels, in[1], out[0])
			}},
	}
	// Normalisation: per channel (groups 0) and per group, statistics from Moments.
	for _, groups := range []int{0, g} {
		k, outer, rows, inner, kind := c, n, c, hw, "batchnorm"
		if groups > 0 {
			k, outer, rows, inner, kind = n*groups, 1, n*groups, c/groups*hw, "groupnorm"
		}
		stats := func(b graph.Backend[float32], x graph.Buffer) (mean, invStd graph.Buffer) {
			mean, invStd = b.Alloc(k), b.Alloc(k)
			b.Moments(outer, rows, inner, x, eps, mean, b.Alloc(k), invStd)
			return mean, invStd
		}
		ops = append(ops,
			backendOp{name: "Normalize_" + kind, in: []int{size, c, c}, out: []string{"y"}, outLen: []int{size},
				call: func(b graph.Backend[float32], in, out []graph.Buffer) {
					m, s := stats(b, in[0])
					b.Normalize(n, c, hw, groups, in[0], m, s, in[1], in[2], out[0])
				}},
			backendOp{name: "NormScaleGrad_" + kind, in: []int{size, size}, out: []string{"dscale"}, outLen: []int{c},
				call: func(b graph.Backend[float32], in, out []graph.Buffer) {
					m, s := stats(b, in[0])
					b.NormScaleGrad(n, c, hw, groups, in[0], m, s, in[1], out[0])
				}})
	}
	ops = append(ops,
		backendOp{name: "BatchNormBackward_batch", in: []int{size, c, size}, out: []string{"dx"}, outLen: []int{size},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { bnBackward(b, n, c, hw, true, in, out[0]) }},
		backendOp{name: "BatchNormBackward_fixed", in: []int{size, c, size}, out: []string{"dx"}, outLen: []int{size},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) { bnBackward(b, n, c, hw, false, in, out[0]) }},
		backendOp{name: "GroupNormBackward", in: []int{size, c, size}, out: []string{"dx"}, outLen: []int{size},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) {
				m, s, v := b.Alloc(n*g), b.Alloc(n*g), b.Alloc(n*g)
				b.Moments(1, n*g, c/g*hw, in[0], eps, m, v, s)
				b.GroupNormBackward(n, c, hw, g, in[0], m, s, in[1], in[2], out[0])
			}})
	for i, p := range conv {
		ny, nx, nw := p.N*p.K*p.OutH()*p.OutW(), p.N*p.C*p.H*p.W, p.K*p.C*p.R*p.S
		ops = append(ops, backendOp{name: fmt.Sprintf("Conv2d_%d_%dx%d_stride%d", i, p.R, p.S, p.StrideH),
			in: []int{nx, nw, ny}, out: []string{"y", "dx", "dw"}, outLen: []int{ny, nx, nw},
			call: func(b graph.Backend[float32], in, out []graph.Buffer) {
				work := b.Alloc(max(1, b.ConvWorkspaceLen(p)))
				b.Conv2dForward(p, in[0], in[1], out[0], work)
				b.Conv2dBackwardData(p, in[1], in[2], out[1], work)
				b.Conv2dBackwardFilter(p, in[0], in[2], out[2], work)
			}})
	}
	return ops
}

// bnBackward runs a BatchNorm's backward pass from batch statistics of in[0] with scale
// in[1] and output gradient in[2].
func bnBackward(b graph.Backend[float32], n, c, hw int, batch bool, in []graph.Buffer, dx graph.Buffer) {
	m, v, s, ds, db := b.Alloc(c), b.Alloc(c), b.Alloc(c), b.Alloc(c), b.Alloc(c)
	b.Moments(n, c, hw, in[0], 1e-5, m, v, s)
	b.NormScaleGrad(n, c, hw, 0, in[0], m, s, in[2], ds)
	b.ChannelSum(n, c, hw, in[2], db)
	b.BatchNormBackward(n, c, hw, batch, in[0], m, s, in[1], in[2], ds, db, dx)
}

// runOp runs op on b from the host inputs and returns its outputs; a panic (a broken
// invariant) or a failed library call is returned as an error.
func runOp(b graph.Backend[float32], op backendOp, in [][]float32) (out [][]float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cuda: %s panicked: %v", op.name, r)
		}
	}()
	ib := make([]graph.Buffer, len(in))
	for i, v := range in {
		ib[i] = b.Alloc(len(v))
		b.Upload(ib[i], v)
	}
	ob := make([]graph.Buffer, len(op.outLen))
	for i, n := range op.outLen {
		ob[i] = b.Alloc(n)
	}
	op.call(b, ib, ob)
	out = make([][]float32, len(ob))
	for i, o := range ob {
		out[i] = make([]float32, o.Len())
		b.Download(out[i], o)
	}
	if g, ok := b.(*Backend); ok {
		err = g.Err()
	}
	return out, err
}

// check records the comparison of got with the reference want (or err).
func (st *selfTest) check(name string, got, want []float32, err error) {
	c := Check{Name: name, Tol: selfTestTol}
	if err == nil && len(got) != len(want) {
		err = fmt.Errorf("%d values, reference %d", len(got), len(want))
	}
	if err != nil {
		c.Err = err.Error()
		c.RelErr = math.MaxFloat64
	} else {
		w := make([]float64, len(want))
		for i, v := range want {
			w[i] = float64(v)
		}
		c.RelErr = relErr(got, w)
		c.Pass = c.RelErr <= c.Tol
	}
	st.checks = append(st.checks, c)
}

// backend runs every graph.Backend kernel and one ResNet gradient on a Backend on the
// device and on graph/cpu's float32 backend from the same random inputs.
func (st *selfTest) backend() {
	b, err := NewBackend(st.d)
	if err == nil {
		if err = b.SetPrecision(st.prec); err != nil {
			b.Close()
		}
	}
	if err != nil {
		st.check("backend", nil, nil, err)
		return
	}
	defer b.Close()
	small := st.div > 1
	if small {
		b.block = 32 // the fake libraries run every thread as a POSIX thread
	}
	ref := &cpu.Backend[float32]{Par: 2}
	for _, op := range backendOps(small) {
		in := make([][]float32, len(op.in))
		for i, n := range op.in {
			in[i], _ = st.randn(n, 1)
		}
		for _, i := range op.positive {
			for j, v := range in[i] {
				in[i][j] = float32(math.Abs(float64(v))) + 0.1
			}
		}
		want, refErr := runOp(ref, op, in)
		got, err := runOp(b, op, in)
		for i, name := range op.out {
			switch {
			case refErr != nil:
				st.check("backend/"+op.name+"/"+name, nil, nil, fmt.Errorf("reference: %w", refErr))
			case err != nil:
				st.check("backend/"+op.name+"/"+name, nil, nil, err)
			default:
				st.check("backend/"+op.name+"/"+name, got[i], want[i], nil)
			}
		}
		if err != nil {
			return // the Backend's error is sticky: later checks would repeat it
		}
	}
	st.resnet(b, small)
	if b.Err() == nil && st.prec == FP32 {
		// The SAM steps check the optimizers' device path, which is float32 in every
		// precision; in TF32 and BF16 a step's error is that of its gradients, which
		// grad_all_l2 already measures.
		st.samSteps(b, small)
	}
}

// resnet compares one gradient of a PreAct ResNet-18 (BatchNorm, batch statistics) on b
// with the CPU backend's in float64 from the same (float32) weights and inputs: the loss, the
// parameter whose gradient differs most and the running statistics. The reference is
// float64 because the CPU's float32 result is itself some 1e-5 off it, and the errors of two
// float32 computations add up.
func (st *selfTest) resnet(b *Backend, small bool) {
	cfg, n := resnet.Config{Width: 4}, 8
	if small {
		cfg, n = resnet.Config{Width: 4, Input: [3]int{3, 16, 16}}, 4
	}
	const seed = 11
	fail := func(err error) { st.check("backend/resnet", nil, nil, err) }
	ref, err := resnet.New[float64](&cpu.Backend[float64]{Par: 2}, cfg, seed)
	if err != nil {
		fail(err)
		return
	}
	m, err := resnet.New[float32](b, cfg, seed)
	if err != nil {
		fail(err)
		return
	}
	b.Upload(m.Params().Weights(), to32(ref.Weights()))
	state := ref.Params().SaveState()
	b.Upload(m.Params().State(), to32(state))
	if err := ref.Params().RestoreState(state); err != nil {
		fail(err)
		return
	}
	in := m.Input()
	x, x64 := st.randn(n*in[0]*in[1]*in[2], 1)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = st.r.IntN(m.Classes())
	}
	want, err := ref.Grad(x64, labels, graph.BNUpdate)
	if err != nil {
		fail(err)
		return
	}
	got, err := m.Grad(x, labels, graph.BNUpdate)
	if err == nil {
		err = b.Err()
	}
	if err != nil {
		fail(err)
		return
	}
	name := fmt.Sprintf("backend/resnet18_w%d_n%d", cfg.Width, n)
	st.check64(name+"/loss", []float32{float32(got)}, []float64{want})
	worst, worstName := -1.0, ""
	var worstGot []float32
	var worstWant []float64
	var diff2, norm2 float64 // squared L2 norms of the whole gradient's error and of the reference
	for _, e := range ref.Params().Entries() {
		if e.Buffer {
			continue
		}
		gw, err1 := ref.Params().Grad(e.Name)
		gg, err2 := m.Params().Grad(e.Name)
		if err1 != nil || err2 != nil {
			fail(fmt.Errorf("gradient of %s: %v %v", e.Name, err1, err2))
			return
		}
		if r := relErr(gg, gw); r > worst {
			worst, worstName, worstGot, worstWant = r, e.Name, gg, gw
		}
		for i, v := range gw {
			diff2 += (float64(gg[i]) - v) * (float64(gg[i]) - v)
			norm2 += v * v
		}
	}
	st.check64(name+"/grad_worst("+worstName+")", worstGot, worstWant)
	if st.prec != FP32 {
		// The error of the whole gradient, ||g - g_ref||_2 / ||g_ref||_2 over every parameter:
		// the measure that SelfTestPrecision judges in TF32 and BF16, where the worst single
		// parameter (often a BatchNorm bias, a sum with cancellation) may lose most digits.
		st.checks = append(st.checks, Check{Name: name + "/grad_all_l2", RelErr: math.Sqrt(diff2 / max(norm2, math.SmallestNonzeroFloat64))})
	}
	st.check64(name+"/bn_running_stats", m.Params().SaveState(), ref.Params().SaveState())
}

// to32 rounds v to float32 in place (so that a float64 reference starts from the same
// numbers) and returns the float32 copy.
func to32(v []float64) []float32 {
	r := make([]float32, len(v))
	for i, x := range v {
		r[i] = float32(x)
		v[i] = float64(r[i])
	}
	return r
}

// check64 records the comparison of got with a float64 reference.
func (st *selfTest) check64(name string, got []float32, want []float64) {
	c := Check{Name: name, Tol: selfTestTol, RelErr: relErr(got, want)}
	c.Pass = c.RelErr <= c.Tol
	st.checks = append(st.checks, c)
}
