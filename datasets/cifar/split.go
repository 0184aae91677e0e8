package cifar

// Split is one part of a data set (training, test or held-out validation)
// held in memory.
type Split struct {
	// Kind is the data set the images come from.
	Kind Kind
	// Images holds Len()*ImageBytes bytes: per image the red, green and
	// blue 32×32 planes, row-major, exactly as in the files.
	Images []byte
	// Labels are the labels to train on, in 0…Kind.Classes()-1 (the fine
	// labels for CIFAR-100). After WithLabelNoise they are the noisy ones.
	Labels []int
	// Clean are the original labels. Without label noise Clean and Labels
	// hold the same values.
	Clean []int
	// Coarse are the CIFAR-100 coarse labels (0…19); nil for CIFAR-10.
	Coarse []int
	// Index gives, for each image, its position in the split it was read
	// from (0-based over the concatenated batch files); HoldOut keeps it.
	Index []int
}

// Len returns the number of images.
func (s *Split) Len() int { return len(s.Labels) }

// Image returns the ImageBytes pixel bytes of image i (not a copy).
func (s *Split) Image(i int) []byte { return s.Images[i*ImageBytes : (i+1)*ImageBytes] }

// ClassCounts returns the number of images per class of Labels.
func (s *Split) ClassCounts() []int {
	n := make([]int, s.Kind.Classes())
	for _, l := range s.Labels {
		if l >= 0 && l < len(n) {
			n[l]++
		}
	}
	return n
}

// Noisy returns the number of images whose label differs from the clean one.
func (s *Split) Noisy() int {
	n := 0
	for i, l := range s.Labels {
		if l != s.Clean[i] {
			n++
		}
	}
	return n
}

// subset returns a new Split holding the images at positions idx (copied).
func (s *Split) subset(idx []int) *Split {
	t := &Split{
		Kind:   s.Kind,
		Images: make([]byte, len(idx)*ImageBytes),
		Labels: make([]int, len(idx)),
		Clean:  make([]int, len(idx)),
		Index:  make([]int, len(idx)),
	}
	if s.Coarse != nil {
		t.Coarse = make([]int, len(idx))
	}
	for j, i := range idx {
		copy(t.Images[j*ImageBytes:], s.Image(i))
		t.Labels[j] = s.Labels[i]
		t.Clean[j] = s.Clean[i]
		t.Index[j] = s.Index[i]
		if s.Coarse != nil {
			t.Coarse[j] = s.Coarse[i]
		}
	}
	return t
}

// concat appends the images of b to a; both must be of the same Kind.
func concat(a, b *Split) *Split {
	if a == nil {
		return b
	}
	off := a.Len()
	a.Images = append(a.Images, b.Images...)
	a.Labels = append(a.Labels, b.Labels...)
	a.Clean = a.Labels
	if a.Coarse != nil {
		a.Coarse = append(a.Coarse, b.Coarse...)
	}
	for _, i := range b.Index {
		a.Index = append(a.Index, off+i)
	}
	return a
}
