package dln

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerateMatchesNumpy compares Generate with the draws numpy 1.24 makes
// after np.random.seed (testdata/gen_fixtures.py).
func TestGenerateMatchesNumpy(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		seed uint32
	}{{"np_seed0", 0}, {"np_seed7", 7}} {
		got, err := Generate(DataConfig{N: 4, NTest: 3, D: 5, K: 2, Seed: tc.seed})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join("testdata", tc.dir)
		want, err := LoadFiles(filepath.Join(dir, "X.npy"), filepath.Join(dir, "y.npy"),
			filepath.Join(dir, "X_test.npy"), filepath.Join(dir, "y_test.npy"))
		if err != nil {
			t.Fatal(err)
		}
		beta, _, _, err := readMatrix(filepath.Join(dir, "beta_star.npy"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name      string
			got, want []float64
		}{
			{"X", got.X, want.X}, {"y", got.Y, want.Y}, {"X_test", got.XTest, want.XTest},
			{"y_test", got.YTest, want.YTest}, {"beta_star", got.BetaStar, beta},
		} {
			assertClose(t, tc.dir+" "+c.name, c.got, c.want, 1e-14)
		}
	}
}

func TestGenerateDefaultMatchesNumpy(t *testing.T) {
	got, err := Generate(DataConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if got.N != 20 || got.NTest != 1000 || got.D != 30 {
		t.Fatalf("sizes = %d, %d, %d, want 20, 1000, 30", got.N, got.NTest, got.D)
	}
	for _, c := range []struct {
		file string
		got  []float64
	}{
		{"X.npy", got.X}, {"beta_star.npy", got.BetaStar}, {"beta_star_f32.npy", got.BetaStar},
		{"y_test_head.npy", got.YTest[:10]},
	} {
		want, _, _, err := readMatrix(filepath.Join("testdata", "np_default", c.file))
		if err != nil {
			t.Fatal(err)
		}
		tol := 1e-13
		if c.file == "beta_star_f32.npy" {
			tol = 1e-7 // float32 rounding
		}
		assertClose(t, c.file, c.got, want, tol)
	}
}

func TestGenerateRejects(t *testing.T) {
	for _, c := range []DataConfig{{N: -1}, {D: 4, K: 5}, {K: -2}, {NTest: -3}} {
		if _, err := Generate(c); err == nil {
			t.Errorf("Generate(%+v): no error", c)
		}
	}
}

func TestLoadCSVEqualsNPY(t *testing.T) {
	a, ra, ca, err := readMatrix(filepath.Join("testdata", "np_seed0", "X.csv"))
	if err != nil {
		t.Fatal(err)
	}
	b, rb, cb, err := readMatrix(filepath.Join("testdata", "np_seed0", "X.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if ra != rb || ca != cb {
		t.Fatalf("CSV is %d×%d, npy %d×%d", ra, ca, rb, cb)
	}
	assertClose(t, "X.csv", a, b, 0)
}

func TestSaveNPYRoundTrip(t *testing.T) {
	d, err := Generate(DataConfig{N: 3, NTest: 2, D: 4, K: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := d.SaveNPY(dir); err != nil {
		t.Fatal(err)
	}
	got, err := LoadFiles(filepath.Join(dir, "X.npy"), filepath.Join(dir, "y.npy"),
		filepath.Join(dir, "X_test.npy"), filepath.Join(dir, "y_test.npy"))
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "X", got.X, d.X, 0)
	assertClose(t, "y_test", got.YTest, d.YTest, 0)
}

func TestLoadRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := encodeNPY([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	files := map[string][]byte{
		"ragged.csv":  []byte("1,2\n3\n"),
		"text.csv":    []byte("1,x\n"),
		"empty.csv":   nil,
		"magic.npy":   []byte("NOTNUMPYATALL"),
		"short.npy":   good[:len(good)-3],
		"int.npy":     []byte(string(good[:10]) + "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }\n" + "\x00\x00\x00\x00\x00\x00\x00\x00"),
		"fortran.npy": []byte(string(good[:10]) + "{'descr': '<f8', 'fortran_order': True, 'shape': (1,), }\n" + "\x00\x00\x00\x00\x00\x00\x00\x00"),
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if name == "int.npy" || name == "fortran.npy" {
			// Fix the header length field for these hand-made headers.
			h := b[10 : len(b)-8]
			b[8], b[9] = byte(len(h)), byte(len(h)>>8)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := readMatrix(p); err == nil {
			t.Errorf("readMatrix(%s): no error", name)
		}
	}
	if _, _, _, err := readMatrix(filepath.Join(dir, "missing.npy")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v, want os.ErrNotExist", err)
	}
	// Mismatched shapes between files.
	x := filepath.Join(dir, "x.npy")
	y := filepath.Join(dir, "y.npy")
	os.WriteFile(x, good, 0o644)
	os.WriteFile(y, encodeNPY([]float64{1, 2, 3}, 3, 0), 0o644)
	if _, err := LoadFiles(x, y, x, y); err == nil {
		t.Error("LoadFiles with 2 rows and 3 labels: no error")
	}
}

func assertClose(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %.17g, want %.17g", name, i, got[i], want[i])
		}
	}
}

func TestReadVector(t *testing.T) {
	got, err := ReadVector(filepath.Join("testdata", "np_seed0", "beta_star.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("len %d, want 5", len(got))
	}
	if _, err := ReadVector(filepath.Join("testdata", "np_seed0", "X.npy")); err == nil {
		t.Error("matrix read as a vector: no error")
	}
}
