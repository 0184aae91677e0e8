package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

// TestKnownFile decodes a file written out by hand from the format's
// specification: one F32 tensor "a" of shape [2] holding 1 and -2.
func TestKnownFile(t *testing.T) {
	header := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write([]byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}) // 1.0f, -2.0f little-endian
	ts, _, err := Decode(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ts["a"].Float64s()
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{1, -2}; !slices.Equal(got, want) {
		t.Errorf("a = %v, want %v", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	ts := map[string]Tensor{
		"w":     Float32([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6.5}),
		"d":     Float64([]int{1}, []float64{-0.25}),
		"count": Int64([]int{}, []int64{7}),
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := WriteFile(path, ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta["format"] != "pt" {
		t.Errorf("metadata = %v", meta)
	}
	for name, want := range ts {
		g := got[name]
		if g.Dtype != want.Dtype || !slices.Equal(g.Shape, want.Shape) || !bytes.Equal(g.Data, want.Data) {
			t.Errorf("%s = %+v, want %+v", name, g, want)
		}
	}
}

func TestMalformed(t *testing.T) {
	mk := func(header string, body int) []byte {
		var b bytes.Buffer
		binary.Write(&b, binary.LittleEndian, uint64(len(header)))
		b.WriteString(header)
		b.Write(make([]byte, body))
		return b.Bytes()
	}
	for name, data := range map[string][]byte{
		"short":       {1, 2, 3},
		"huge header": binary.LittleEndian.AppendUint64(nil, 1<<40),
		"bad json":    mk(`{"a":`, 0),
		"bad dtype":   mk(`{"a":{"dtype":"X9","shape":[1],"data_offsets":[0,4]}}`, 4),
		"size":        mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 8),
		"past end":    mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4),
		"overlap":     mk(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8),
		"negative":    mk(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, 0),
	} {
		if _, _, err := Decode(data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", name, err)
		}
	}
}
