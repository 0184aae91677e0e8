package cuda

import (
	"math"
	"testing"
)

func TestMarshalArgs(t *testing.T) {
	got, err := marshalArgs([]any{DevicePtr(0xdeadbeef000), uintptr(7), -1, int32(-2), uint32(3), int64(-4), uint64(5), float32(1.5), 2.5})
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{0xdeadbeef000, 7, 0xffffffff, 0xfffffffe, 3, 0xfffffffffffffffc, 5, uint64(math.Float32bits(1.5)), math.Float64bits(2.5)}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("slot %d = %#x, want %#x", i, got[i], want[i])
		}
	}
	for _, bad := range []any{"s", int8(1), 1 << 40, []float32{1}} {
		if _, err := marshalArgs([]any{bad}); err == nil {
			t.Errorf("argument %v (%T) accepted", bad, bad)
		}
	}
}
