package resnet

import (
	"fmt"
	"strings"

	"gorgonia.org/gorgonia"

	"github.com/samtrain/samtrain/graph"
)

// Arch is a network architecture.
type Arch int

const (
	// PreActResNet18 is the pre-activation ResNet-18 of the paper: blocks
	// BN-ReLU-conv-BN-ReLU-conv, projection shortcuts (1×1 conv) taken from
	// the first activation, a final BN-ReLU before pooling.
	PreActResNet18 Arch = iota
	// ResNet18 is the post-activation ResNet-18 (blocks [2,2,2,2]).
	ResNet18
	// ResNet34 is the post-activation ResNet-34 (blocks [3,4,6,3]).
	ResNet34
)

// String returns the architecture's name.
func (a Arch) String() string {
	switch a {
	case PreActResNet18:
		return "preact-resnet18"
	case ResNet18:
		return "resnet18"
	case ResNet34:
		return "resnet34"
	}
	return fmt.Sprintf("Arch(%d)", int(a))
}

// Archs lists the architectures' names, as String gives them.
func Archs() []string {
	return []string{PreActResNet18.String(), ResNet18.String(), ResNet34.String()}
}

// ParseArch returns the architecture named s (see Archs).
func ParseArch(s string) (Arch, error) {
	for a := PreActResNet18; a <= ResNet34; a++ {
		if a.String() == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("resnet: unknown architecture %q (want one of %s)", s, strings.Join(Archs(), ", "))
}

// Norm is the normalisation layer.
type Norm int

const (
	// BatchNorm uses BatchNorm2d (the default).
	BatchNorm Norm = iota
	// GroupNorm uses GroupNorm with Config.Groups groups.
	GroupNorm
)

// Config describes a network. The zero value is the paper's PreAct
// ResNet-18 for CIFAR-10 with BatchNorm.
type Config struct {
	Arch Arch
	// Width is the number of channels of the first stage (stages have
	// Width, 2·Width, 4·Width, 8·Width); 0 means 64.
	Width int
	// Classes is the number of outputs; 0 means 10.
	Classes int
	// Norm selects BatchNorm or GroupNorm.
	Norm Norm
	// Groups is the number of GroupNorm groups; 0 means Width/2 (the
	// paper's: 32 for width 64). It must divide Width.
	Groups int
	// Input is the per-example input shape C, H, W; zero means 3×32×32.
	Input [3]int
}

func (c Config) withDefaults() (Config, error) {
	if c.Width == 0 {
		c.Width = 64
	}
	if c.Classes == 0 {
		c.Classes = 10
	}
	if c.Input == [3]int{} {
		c.Input = [3]int{3, 32, 32}
	}
	switch {
	case c.Arch < PreActResNet18 || c.Arch > ResNet34:
		return c, fmt.Errorf("resnet: unknown Arch %d", int(c.Arch))
	case c.Width < 1:
		return c, fmt.Errorf("resnet: Width %d must be positive", c.Width)
	case c.Classes < 1:
		return c, fmt.Errorf("resnet: Classes %d must be positive", c.Classes)
	case c.Norm != BatchNorm && c.Norm != GroupNorm:
		return c, fmt.Errorf("resnet: unknown Norm %d", int(c.Norm))
	case c.Input[0] < 1 || c.Input[1] < 8 || c.Input[2] < 8:
		return c, fmt.Errorf("resnet: Input %v must have at least 1 channel and 8×8 pixels", c.Input)
	}
	if c.Norm == GroupNorm {
		if c.Groups == 0 {
			c.Groups = max(1, c.Width/2)
		}
		if c.Groups < 1 || c.Width%c.Groups != 0 {
			return c, fmt.Errorf("resnet: Groups %d must divide Width %d", c.Groups, c.Width)
		}
	}
	return c, nil
}

// New builds the network of cfg on backend b with parameters initialised
// from seed as PyTorch initialises them by default.
func New[T graph.Float](b graph.Backend[T], cfg Config, seed uint64) (*graph.Model[T], error) {
	f, cfg, err := Build[T](cfg)
	if err != nil {
		return nil, err
	}
	m, err := graph.NewModel(b, cfg.Input, f, seed)
	if err != nil {
		return nil, fmt.Errorf("resnet: %w", err)
	}
	return m, nil
}

// Build returns the graph.BuildFunc of cfg and cfg with its defaults
// filled in.
func Build[T graph.Float](cfg Config) (graph.BuildFunc[T], Config, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, cfg, err
	}
	return func(b *graph.Builder[T], x *gorgonia.Node) *gorgonia.Node {
		n := net[T]{b: b, cfg: cfg}
		if cfg.Arch == PreActResNet18 {
			return n.preact(x)
		}
		return n.postact(x)
	}, cfg, nil
}

type net[T graph.Float] struct {
	b   *graph.Builder[T]
	cfg Config
}

func (n net[T]) norm(name string, x *gorgonia.Node) *gorgonia.Node {
	if n.cfg.Norm == GroupNorm {
		return n.b.GroupNorm(name, x, n.cfg.Groups)
	}
	return n.b.BatchNorm2d(name, x)
}

func (n net[T]) blocks() []int {
	if n.cfg.Arch == ResNet34 {
		return []int{3, 4, 6, 3}
	}
	return []int{2, 2, 2, 2}
}

// preact is PreActResNet.forward of the paper's models.py.
func (n net[T]) preact(x *gorgonia.Node) *gorgonia.Node {
	b, w := n.b, n.cfg.Width
	out := b.Conv2d("conv1", x, w, 3, 1, 1)
	in := w
	for l, nb := range n.blocks() {
		planes := w << l
		for i := 0; i < nb; i++ {
			stride := 1
			if i == 0 && l > 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d.%d.", l+1, i)
			// out = relu(bn1(x)); shortcut = conv(out) or x;
			// out = conv2(relu(bn2(conv1(out)))) + shortcut
			// (built in state_dict order, so the flat layout matches
			// PyTorch's parameters())
			a := b.ReLU(n.norm(p+"bn1", out))
			h := b.Conv2d(p+"conv1", a, planes, 3, stride, 1)
			h = b.ReLU(n.norm(p+"bn2", h))
			h = b.Conv2d(p+"conv2", h, planes, 3, 1, 1)
			short := out
			if stride != 1 || in != planes {
				short = b.Conv2d(p+"shortcut.0", a, planes, 1, stride, 0)
			}
			out = b.Add(h, short)
			in = planes
		}
	}
	out = b.ReLU(n.norm("bn", out))
	return b.Linear("linear", b.GlobalAvgPool(out), n.cfg.Classes)
}

// postact is ResNet.forward with BasicBlockResNet34 of the paper's
// models.py.
func (n net[T]) postact(x *gorgonia.Node) *gorgonia.Node {
	b, w := n.b, n.cfg.Width
	out := b.ReLU(n.norm("bn1", b.Conv2d("conv1", x, w, 3, 1, 1)))
	in := w
	for l, nb := range n.blocks() {
		planes := w << l
		for i := 0; i < nb; i++ {
			stride := 1
			if i == 0 && l > 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d.%d.", l+1, i)
			// out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))
			h := b.ReLU(n.norm(p+"bn1", b.Conv2d(p+"conv1", out, planes, 3, stride, 1)))
			h = n.norm(p+"bn2", b.Conv2d(p+"conv2", h, planes, 3, 1, 1))
			short := out
			if stride != 1 || in != planes {
				short = n.norm(p+"shortcut.1", b.Conv2d(p+"shortcut.0", out, planes, 1, stride, 0))
			}
			out = b.ReLU(b.Add(h, short))
			in = planes
		}
	}
	return b.Linear("linear", b.GlobalAvgPool(out), n.cfg.Classes)
}
