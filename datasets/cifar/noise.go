package cifar

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/samtrain/samtrain/internal/atomicfile"
)

// WithLabelNoise returns a copy of s (sharing Images) whose Labels carry
// symmetric label noise: independently for each image, with probability p
// the label is replaced by one of the other Kind.Classes()-1 classes chosen
// uniformly, so a noisy label always differs from the clean one. The draw
// depends only on seed and on the clean labels, so it is reproducible; the
// clean labels stay in Clean. p must be in [0, 1).
func (s *Split) WithLabelNoise(p float64, seed uint64) (*Split, error) {
	if math.IsNaN(p) || p < 0 || p >= 1 {
		return nil, fmt.Errorf("cifar: label noise %v, want a probability in [0, 1)", p)
	}
	t := *s
	t.Labels = make([]int, len(s.Clean))
	k := s.Kind.Classes()
	r := newRand(seed, streamNoise, 0, 0)
	for i, c := range s.Clean {
		// Draw both numbers for every image so that image i's fate does
		// not depend on the draws of the images before it.
		u, j := r.Float64(), r.IntN(k-1)
		if u < p {
			t.Labels[i] = (c + 1 + j) % k
		} else {
			t.Labels[i] = c
		}
	}
	return &t, nil
}

// WriteLabels writes the labels of s as CSV with the header
// "index,clean,label": per image its Index, its clean label and the label
// trained on. It records a label-noise draw next to a run.
func (s *Split) WriteLabels(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("index,clean,label\n")
	for i := range s.Labels {
		fmt.Fprintf(bw, "%d,%d,%d\n", s.Index[i], s.Clean[i], s.Labels[i])
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("cifar: write labels: %w", err)
	}
	return nil
}

// SaveLabels writes the labels of s as WriteLabels does to the file p,
// atomically (temporary file, fsync, rename).
func (s *Split) SaveLabels(p string) error {
	var b strings.Builder
	if err := s.WriteLabels(&b); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(p, []byte(b.String())); err != nil {
		return fmt.Errorf("cifar: %w", err)
	}
	return nil
}

// ReadLabels reads what WriteLabels wrote.
func ReadLabels(r io.Reader) (index, clean, labels []int, err error) {
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			if sc.Text() != "index,clean,label" {
				return nil, nil, nil, fmt.Errorf("cifar: labels: line 1: header %q, want \"index,clean,label\"", sc.Text())
			}
			continue
		}
		f := strings.Split(sc.Text(), ",")
		if len(f) != 3 {
			return nil, nil, nil, fmt.Errorf("cifar: labels: line %d: %d fields, want 3", line, len(f))
		}
		var v [3]int
		for j := range f {
			if v[j], err = strconv.Atoi(f[j]); err != nil {
				return nil, nil, nil, fmt.Errorf("cifar: labels: line %d: %w", line, err)
			}
		}
		index, clean, labels = append(index, v[0]), append(clean, v[1]), append(labels, v[2])
	}
	if err := sc.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("cifar: labels: %w", err)
	}
	if line == 0 {
		return nil, nil, nil, fmt.Errorf("cifar: labels: empty file")
	}
	return index, clean, labels, nil
}
