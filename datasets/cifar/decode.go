package cifar

import "fmt"

// Decode parses the records of one batch file of the given Kind. data must
// be a non-empty whole number of Kind.RecordSize() byte records and every
// label must be in range; otherwise Decode returns an error wrapping ErrSize,
// ErrLabel or ErrWrongKind. The returned Split copies the pixels out of data.
func Decode(kind Kind, data []byte) (*Split, error) {
	if err := kind.valid(); err != nil {
		return nil, err
	}
	s, err := decode(kind, data)
	if err != nil {
		return nil, fmt.Errorf("cifar: %w", err)
	}
	return s, nil
}

// decode is Decode for a valid kind, with errors that do not name the package.
func decode(kind Kind, data []byte) (*Split, error) {
	rs := kind.RecordSize()
	if len(data) == 0 {
		return nil, fmt.Errorf("empty file: %w", ErrSize)
	}
	if len(data)%rs != 0 {
		if o := kind.other(); len(data)%o.RecordSize() == 0 {
			return nil, fmt.Errorf("%d bytes fit the %d-byte records of %v, not the %d-byte records of %v: %w",
				len(data), o.RecordSize(), o, rs, kind, ErrWrongKind)
		}
		return nil, fmt.Errorf("%d bytes are not a whole number of %d-byte %v records (truncated or corrupt, %d bytes left over): %w",
			len(data), rs, kind, len(data)%rs, ErrSize)
	}
	n := len(data) / rs
	s := &Split{
		Kind:   kind,
		Images: make([]byte, n*ImageBytes),
		Labels: make([]int, n),
		Index:  make([]int, n),
	}
	if kind == CIFAR100 {
		s.Coarse = make([]int, n)
	}
	classes := kind.Classes()
	for i := range n {
		rec := data[i*rs : (i+1)*rs]
		var fine int
		if kind == CIFAR100 {
			coarse := int(rec[0])
			if coarse >= 20 {
				return nil, fmt.Errorf("record %d: coarse label %d, want 0…19: %w", i, coarse, ErrLabel)
			}
			s.Coarse[i] = coarse
			fine = int(rec[1])
		} else {
			fine = int(rec[0])
		}
		if fine >= classes {
			return nil, fmt.Errorf("record %d: label %d, want 0…%d for %v: %w", i, fine, classes-1, kind, ErrLabel)
		}
		s.Labels[i] = fine
		s.Index[i] = i
		copy(s.Images[i*ImageBytes:], rec[kind.labelBytes():])
	}
	s.Clean = s.Labels
	return s, nil
}
