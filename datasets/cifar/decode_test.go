package cifar

import (
	"bytes"
	"errors"
	"testing"
)

func TestDecode(t *testing.T) {
	c10 := records(CIFAR10, 3, 0, 1)
	c100 := records(CIFAR100, 2, 95, 2)
	badLabel10 := bytes.Clone(c10)
	badLabel10[CIFAR10.RecordSize()] = 10 // second record's label
	badFine := bytes.Clone(c100)
	badFine[1] = 100
	badCoarse := bytes.Clone(c100)
	badCoarse[CIFAR100.RecordSize()] = 20
	for _, tc := range []struct {
		name    string
		kind    Kind
		data    []byte
		wantN   int
		wantErr error
	}{
		{"cifar10", CIFAR10, c10, 3, nil},
		{"cifar100", CIFAR100, c100, 2, nil},
		{"empty", CIFAR10, nil, 0, ErrSize},
		{"truncated", CIFAR10, c10[:len(c10)-1], 0, ErrSize},
		{"one byte extra", CIFAR100, append(bytes.Clone(c100), 0), 0, ErrSize},
		{"label 10 in cifar10", CIFAR10, badLabel10, 0, ErrLabel},
		{"fine label 100", CIFAR100, badFine, 0, ErrLabel},
		{"coarse label 20", CIFAR100, badCoarse, 0, ErrLabel},
		// 2 CIFAR-100 records are 6,148 bytes: 2 bytes over 2 CIFAR-10 records.
		{"cifar100 file as cifar10", CIFAR10, c100, 0, ErrWrongKind},
		// 2 CIFAR-10 records are 6,146 bytes, 2 short of 2 CIFAR-100 records.
		{"cifar10 file as cifar100", CIFAR100, c10[:2*CIFAR10.RecordSize()], 0, ErrWrongKind},
		{"invalid kind", Kind(0), c10, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Decode(tc.kind, tc.data)
			if tc.kind == 0 {
				if err == nil {
					t.Fatal("got nil error for invalid kind")
				}
				return
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != tc.wantN {
				t.Fatalf("got %d images, want %d", s.Len(), tc.wantN)
			}
			rs, lb := tc.kind.RecordSize(), tc.kind.labelBytes()
			for i := range tc.wantN {
				rec := tc.data[i*rs : (i+1)*rs]
				if got, want := s.Labels[i], int(rec[lb-1]); got != want {
					t.Errorf("label %d = %d, want %d", i, got, want)
				}
				if tc.kind == CIFAR100 {
					if got, want := s.Coarse[i], int(rec[0]); got != want {
						t.Errorf("coarse label %d = %d, want %d", i, got, want)
					}
				}
				if !bytes.Equal(s.Image(i), rec[lb:]) {
					t.Errorf("image %d differs from record pixels", i)
				}
				if s.Index[i] != i || s.Clean[i] != s.Labels[i] {
					t.Errorf("image %d: index %d clean %d", i, s.Index[i], s.Clean[i])
				}
			}
		})
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// is consistent with the record layout. The corpus is in testdata/fuzz.
func FuzzDecode(f *testing.F) {
	f.Add(records(CIFAR10, 1, 0, 1), false)
	f.Add(records(CIFAR100, 1, 0, 1), true)
	f.Add([]byte{}, false)
	f.Add([]byte{10}, false)
	f.Fuzz(func(t *testing.T, data []byte, hundred bool) {
		kind := CIFAR10
		if hundred {
			kind = CIFAR100
		}
		s, err := Decode(kind, data)
		if err != nil {
			if !errors.Is(err, ErrSize) && !errors.Is(err, ErrLabel) && !errors.Is(err, ErrWrongKind) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			if s != nil {
				t.Fatal("non-nil split with error")
			}
			return
		}
		if got, want := s.Len()*kind.RecordSize(), len(data); got != want {
			t.Fatalf("%d images of %d bytes from %d bytes", s.Len(), kind.RecordSize(), want)
		}
		if len(s.Images) != s.Len()*ImageBytes {
			t.Fatalf("%d image bytes for %d images", len(s.Images), s.Len())
		}
		for i, l := range s.Labels {
			if l < 0 || l >= kind.Classes() {
				t.Fatalf("label %d of image %d out of range", l, i)
			}
		}
	})
}
