package cifar

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testSplit(t testing.TB, kind Kind, n int) *Split {
	t.Helper()
	s, err := Decode(kind, records(kind, n, 0, 7))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHoldOut(t *testing.T) {
	s := testSplit(t, CIFAR10, 100)
	train, val, err := HoldOut(s, 30, 1)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 70 || val.Len() != 30 {
		t.Fatalf("got %d/%d images, want 70/30", train.Len(), val.Len())
	}
	seen := make([]int, s.Len())
	for _, part := range []*Split{train, val} {
		for j, i := range part.Index {
			seen[i]++
			if j > 0 && part.Index[j-1] >= i {
				t.Fatal("part not in original order")
			}
			if part.Labels[j] != s.Labels[i] || !bytes.Equal(part.Image(j), s.Image(i)) {
				t.Fatalf("image %d does not match original %d", j, i)
			}
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("image %d in %d parts, want 1", i, n)
		}
	}
	_, val2, _ := HoldOut(s, 30, 1)
	_, val3, _ := HoldOut(s, 30, 2)
	if !equalInts(val.Index, val2.Index) {
		t.Error("same seed, different validation split")
	}
	if equalInts(val.Index, val3.Index) {
		t.Error("different seeds, same validation split")
	}
	if tr, v, err := HoldOut(s, 0, 1); err != nil || tr != s || v != nil {
		t.Errorf("HoldOut(0) = %p, %v, %v; want s, nil, nil", tr, v, err)
	}
	for _, n := range []int{-1, 100, 101} {
		if _, _, err := HoldOut(s, n, 1); err == nil {
			t.Errorf("HoldOut(%d) of 100: nil error", n)
		}
	}
}

func TestLabelNoise(t *testing.T) {
	// 20,000 images: the flip count is Binomial(20000, p); 4.5 standard
	// deviations (at most 4.5*sqrt(20000/4) = 318) bound a false failure
	// at about 1e-5.
	const n = 20000
	for _, kind := range []Kind{CIFAR10, CIFAR100} {
		labels := make([]int, n)
		for i := range labels {
			labels[i] = i % kind.Classes()
		}
		s := &Split{Kind: kind, Images: make([]byte, n*ImageBytes), Labels: labels, Clean: labels, Index: labels}
		for _, p := range []float64{0, 0.2, 0.6} {
			ns, err := s.WithLabelNoise(p, 42)
			if err != nil {
				t.Fatal(err)
			}
			if !equalInts(ns.Clean, labels) || !equalInts(s.Labels, labels) {
				t.Fatal("clean labels changed")
			}
			flipped := ns.Noisy()
			mean, sd := p*n, math.Sqrt(n*p*(1-p))
			if math.Abs(float64(flipped)-mean) > 4.5*sd+0.5 {
				t.Errorf("%v p=%v: %d flipped, want %v ± %v", kind, p, flipped, mean, 4.5*sd)
			}
			// A noisy label is another class, uniformly: the offset
			// (noisy - clean) mod k is uniform over 1…k-1.
			off := make([]int, kind.Classes())
			for i, l := range ns.Labels {
				if l < 0 || l >= kind.Classes() {
					t.Fatalf("label %d out of range", l)
				}
				off[(l-labels[i]+kind.Classes())%kind.Classes()]++
			}
			if off[0] != n-flipped {
				t.Fatalf("offset 0 count %d, want %d", off[0], n-flipped)
			}
			if flipped > 0 {
				q := 1 / float64(kind.Classes()-1)
				for d := 1; d < kind.Classes(); d++ {
					m, sd := float64(flipped)*q, math.Sqrt(float64(flipped)*q*(1-q))
					if math.Abs(float64(off[d])-m) > 5*sd+0.5 {
						t.Errorf("%v p=%v: offset %d drawn %d times, want %v ± %v", kind, p, d, off[d], m, 5*sd)
					}
				}
			}
			again, _ := s.WithLabelNoise(p, 42)
			if !equalInts(again.Labels, ns.Labels) {
				t.Error("same seed, different noise")
			}
			if other, _ := s.WithLabelNoise(p, 43); p > 0 && equalInts(other.Labels, ns.Labels) {
				t.Error("different seeds, same noise")
			}
		}
		for _, p := range []float64{-0.1, 1, math.NaN()} {
			if _, err := s.WithLabelNoise(p, 1); err == nil {
				t.Errorf("p=%v: nil error", p)
			}
		}
	}
}

func TestWriteReadLabels(t *testing.T) {
	s, err := testSplit(t, CIFAR10, 50).WithLabelNoise(0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.WriteLabels(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "index,clean,label\n") {
		t.Fatalf("header: %q", buf.String()[:20])
	}
	idx, clean, labels, err := ReadLabels(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !equalInts(idx, s.Index) || !equalInts(clean, s.Clean) || !equalInts(labels, s.Labels) {
		t.Error("labels changed in a round trip")
	}
	p := filepath.Join(t.TempDir(), "labels.csv")
	if err := s.SaveLabels(p); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, _, labels, err := ReadLabels(f); err != nil || !equalInts(labels, s.Labels) {
		t.Errorf("SaveLabels round trip: %v", err)
	}
	for _, bad := range []string{"", "x\n", "index,clean,label\n1,2\n", "index,clean,label\n1,a,3\n"} {
		if _, _, _, err := ReadLabels(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadLabels(%q): nil error", bad)
		}
	}
}

func TestStats(t *testing.T) {
	// Two images: red all 0 and all 255 (mean 1/2, std 1/2); green all
	// 51 (mean 0.2, std 0 -> 1); blue 0 on the first image's even rows,
	// 255 elsewhere (3/4 of pixels at 1: mean 0.75, std sqrt(0.75*0.25)).
	s := &Split{Kind: CIFAR10, Images: make([]byte, 2*ImageBytes), Labels: []int{0, 0}}
	plane := Height * Width
	for i := range 2 {
		img := s.Image(i)
		for p := range plane {
			img[p] = byte(255 * i)
			img[plane+p] = 51
			img[2*plane+p] = 255
			if i == 0 && (p/Width)%2 == 0 {
				img[2*plane+p] = 0
			}
		}
	}
	n := Stats(s)
	want := Norm{Mean: [3]float32{0.5, 0.2, 0.75}, Std: [3]float32{0.5, 1, float32(math.Sqrt(0.75 * 0.25))}}
	for c := range 3 {
		if math.Abs(float64(n.Mean[c]-want.Mean[c])) > 1e-6 || math.Abs(float64(n.Std[c]-want.Std[c])) > 1e-6 {
			t.Errorf("channel %d: got mean %v std %v, want %v %v", c, n.Mean[c], n.Std[c], want.Mean[c], want.Std[c])
		}
	}
}
