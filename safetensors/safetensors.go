package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"

	"github.com/samtrain/samtrain/internal/atomicfile"
)

// Dtype is a tensor element type, as spelled in the header.
type Dtype string

// The element types this package converts; others are kept as raw bytes.
const (
	F32 Dtype = "F32"
	F64 Dtype = "F64"
	I64 Dtype = "I64"
	I32 Dtype = "I32"
)

// Size is the element size in bytes, or 0 for an unknown dtype.
func (d Dtype) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case "F16", "BF16", "I16", "U16":
		return 2
	case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2":
		return 1
	case "U32":
		return 4
	case "U64":
		return 8
	}
	return 0
}

// ErrFormat is wrapped by every error about a malformed file.
var ErrFormat = errors.New("safetensors: malformed data")

// maxHeader bounds the JSON header (the reference implementation uses 100 MB).
const maxHeader = 100 << 20

// Tensor is one named tensor: its dtype, shape (empty for a scalar) and
// little-endian data.
type Tensor struct {
	Dtype Dtype
	Shape []int
	Data  []byte
}

// NumElements is the product of the shape.
func (t Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Float32 returns a tensor of dtype F32.
func Float32(shape []int, v []float32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return Tensor{Dtype: F32, Shape: slices.Clone(shape), Data: b}
}

// Float64 returns a tensor of dtype F64.
func Float64(shape []int, v []float64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return Tensor{Dtype: F64, Shape: slices.Clone(shape), Data: b}
}

// Int64 returns a tensor of dtype I64.
func Int64(shape []int, v []int64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return Tensor{Dtype: I64, Shape: slices.Clone(shape), Data: b}
}

// Float64s converts the elements of an F32, F64, I32 or I64 tensor to float64.
func (t Tensor) Float64s() ([]float64, error) {
	n := t.NumElements()
	if len(t.Data) != n*t.Dtype.Size() {
		return nil, fmt.Errorf("safetensors: %d bytes for %d elements of %s", len(t.Data), n, t.Dtype)
	}
	v := make([]float64, n)
	for i := range v {
		switch t.Dtype {
		case F32:
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:])))
		case F64:
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
		case I32:
			v[i] = float64(int32(binary.LittleEndian.Uint32(t.Data[4*i:])))
		case I64:
			v[i] = float64(int64(binary.LittleEndian.Uint64(t.Data[8*i:])))
		default:
			return nil, fmt.Errorf("safetensors: cannot convert %s to float64", t.Dtype)
		}
	}
	return v, nil
}

type entry struct {
	Dtype       Dtype  `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// Decode parses a whole safetensors file. The tensors' Data share data's
// memory. Metadata (the "__metadata__" entry) is returned separately.
func Decode(data []byte) (map[string]Tensor, map[string]string, error) {
	if len(data) < 8 {
		return nil, nil, fmt.Errorf("%w: %d bytes, shorter than the header length", ErrFormat, len(data))
	}
	hl := binary.LittleEndian.Uint64(data)
	if hl > maxHeader || hl > uint64(len(data)-8) {
		return nil, nil, fmt.Errorf("%w: header length %d for %d bytes", ErrFormat, hl, len(data))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+hl], &raw); err != nil {
		return nil, nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	body := data[8+hl:]
	var meta map[string]string
	ts := make(map[string]Tensor, len(raw))
	type span struct {
		lo, hi int
		name   string
	}
	var spans []span
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("%w: metadata: %v", ErrFormat, err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, nil, fmt.Errorf("%w: tensor %q: %v", ErrFormat, name, err)
		}
		size := e.Dtype.Size()
		if size == 0 {
			return nil, nil, fmt.Errorf("%w: tensor %q: unknown dtype %q", ErrFormat, name, e.Dtype)
		}
		n := 1
		for _, d := range e.Shape {
			if d < 0 || (d > 0 && n > math.MaxInt32/d) {
				return nil, nil, fmt.Errorf("%w: tensor %q: bad shape %v", ErrFormat, name, e.Shape)
			}
			n *= d
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo || hi > len(body) || hi-lo != n*size {
			return nil, nil, fmt.Errorf("%w: tensor %q: offsets [%d, %d) for %d elements of %s in %d bytes",
				ErrFormat, name, lo, hi, n, e.Dtype, len(body))
		}
		if e.Shape == nil {
			e.Shape = []int{}
		}
		ts[name] = Tensor{Dtype: e.Dtype, Shape: e.Shape, Data: body[lo:hi:hi]}
		spans = append(spans, span{lo, hi, name})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	for i := 1; i < len(spans); i++ {
		if spans[i].lo < spans[i-1].hi {
			return nil, nil, fmt.Errorf("%w: tensors %q and %q overlap", ErrFormat, spans[i-1].name, spans[i].name)
		}
	}
	return ts, meta, nil
}

// ReadFile reads and decodes the file at path.
func ReadFile(path string) (map[string]Tensor, map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	ts, meta, err := Decode(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return ts, meta, nil
}

// Encode writes ts (and meta, if not empty) in safetensors format, tensors
// laid out in name order, the header padded with spaces to 8 bytes.
func Encode(w io.Writer, ts map[string]Tensor, meta map[string]string) error {
	names := make([]string, 0, len(ts))
	for name := range ts {
		if name == "__metadata__" || name == "" {
			return fmt.Errorf("safetensors: invalid tensor name %q", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	header := make(map[string]any, len(ts)+1)
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	off := 0
	for _, name := range names {
		t := ts[name]
		if t.Dtype.Size() == 0 {
			return fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, t.Dtype)
		}
		if len(t.Data) != t.NumElements()*t.Dtype.Size() {
			return fmt.Errorf("safetensors: tensor %q: %d bytes for shape %v of %s", name, len(t.Data), t.Shape, t.Dtype)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[name] = entry{Dtype: t.Dtype, Shape: shape, DataOffsets: [2]int{off, off + len(t.Data)}}
		off += len(t.Data)
	}
	h, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors: header: %w", err)
	}
	if pad := (8 - len(h)%8) % 8; pad > 0 {
		h = append(h, bytes.Repeat([]byte(" "), pad)...)
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(h)))
	if _, err := w.Write(n[:]); err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	if _, err := w.Write(h); err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	for _, name := range names {
		if _, err := w.Write(ts[name].Data); err != nil {
			return fmt.Errorf("safetensors: write: %w", err)
		}
	}
	return nil
}

// WriteFile writes ts to path atomically: into a temporary file in the same
// directory, synced, then renamed over path.
func WriteFile(path string, ts map[string]Tensor, meta map[string]string) error {
	var buf bytes.Buffer
	if err := Encode(&buf, ts, meta); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
