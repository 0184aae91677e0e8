package cuda

import (
	"errors"
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	errLib := errors.New("cuda: cannot load libcuda.so.1 (tried /x/libcuda.so.1)")
	ok := func() (string, error) { return "gpu0", nil }
	fail := func() (string, error) { return "", errLib }
	for _, tc := range []struct {
		mode    string
		open    func() (string, error)
		dev     string
		cuda    bool
		note    string // substring
		wantErr bool
		opened  bool
	}{
		{mode: "auto", open: ok, dev: "gpu0", cuda: true, opened: true},
		{mode: "", open: ok, dev: "gpu0", cuda: true, opened: true},
		{mode: "auto", open: fail, note: "device: cpu, because CUDA is unavailable: cuda: cannot load libcuda.so.1", opened: true},
		{mode: "cuda", open: ok, dev: "gpu0", cuda: true, opened: true},
		{mode: "cuda", open: fail, wantErr: true, opened: true},
		{mode: "cpu", open: ok, note: "device: cpu (asked for)"},
		{mode: "gpu", open: ok, wantErr: true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			opened := false
			open := func() (string, error) { opened = true; return tc.open() }
			dev, useCUDA, note, err := Select(tc.mode, open)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.mode == "cuda" && err != nil && !errors.Is(err, errLib) {
				t.Errorf("error %v does not wrap the cause", err)
			}
			if dev != tc.dev || useCUDA != tc.cuda || !strings.Contains(note, tc.note) || strings.Contains(note, "\n") {
				t.Errorf("Select(%q) = %q, %v, %q", tc.mode, dev, useCUDA, note)
			}
			if opened != tc.opened {
				t.Errorf("opened %v, want %v", opened, tc.opened)
			}
		})
	}
}
