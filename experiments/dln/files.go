package dln

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/samtrain/samtrain/internal/atomicfile"
)

// LoadFiles reads a problem from four files holding X (n×d), y (n), X_test
// (nTest×d) and y_test (nTest). Each file is either a NumPy .npy array
// (little-endian float64 or float32, C order, version 1.0–3.0) or, for any other
// extension, a CSV file of numbers without header. Label files may be vectors or
// one-column matrices.
func LoadFiles(x, y, xTest, yTest string) (*Data, error) {
	xv, n, dim, err := readMatrix(x)
	if err != nil {
		return nil, err
	}
	yv, ny, cy, err := readMatrix(y)
	if err != nil {
		return nil, err
	}
	xt, nt, dt, err := readMatrix(xTest)
	if err != nil {
		return nil, err
	}
	yt, nyt, cyt, err := readMatrix(yTest)
	if err != nil {
		return nil, err
	}
	switch {
	case dt != dim:
		return nil, fmt.Errorf("dln: %s has %d columns, %s has %d", x, dim, xTest, dt)
	case cy != 1 || ny != n:
		return nil, fmt.Errorf("dln: %s is %d×%d, want %d labels", y, ny, cy, n)
	case cyt != 1 || nyt != nt:
		return nil, fmt.Errorf("dln: %s is %d×%d, want %d labels", yTest, nyt, cyt, nt)
	}
	d := &Data{N: n, NTest: nt, D: dim, X: xv, Y: yv, XTest: xt, YTest: yt}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}

// ReadVector reads a vector (or a one-column matrix) from a .npy or CSV file,
// e.g. a ground truth β* to set as Data.BetaStar for loaded data.
func ReadVector(path string) ([]float64, error) {
	v, rows, cols, err := readMatrix(path)
	if err != nil {
		return nil, err
	}
	if cols != 1 {
		return nil, fmt.Errorf("dln: %s is %d×%d, want a vector", path, rows, cols)
	}
	return v, nil
}

// readMatrix reads a matrix from a .npy or CSV file; a vector reads as a
// one-column matrix.
func readMatrix(path string) (v []float64, rows, cols int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("dln: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		v, rows, cols, err = decodeNPY(b)
	} else {
		v, rows, cols, err = decodeCSV(b)
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("dln: read %s: %w", path, err)
	}
	return v, rows, cols, nil
}

var errNPY = errors.New("not a supported .npy array")

var (
	npyDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// decodeNPY decodes a 1-D or 2-D little-endian float array in the NumPy format
// (numpy/lib/format.py).
func decodeNPY(b []byte) ([]float64, int, int, error) {
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		return nil, 0, 0, fmt.Errorf("%w: bad magic", errNPY)
	}
	var hlen, start int
	switch b[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, 0, 0, fmt.Errorf("%w: truncated header", errNPY)
		}
		hlen, start = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, 0, 0, fmt.Errorf("%w: version %d", errNPY, b[6])
	}
	if start+hlen > len(b) || hlen < 0 {
		return nil, 0, 0, fmt.Errorf("%w: truncated header", errNPY)
	}
	header := string(b[start : start+hlen])
	body := b[start+hlen:]
	descr := npyDescr.FindStringSubmatch(header)
	fortran := npyFortran.FindStringSubmatch(header)
	shape := npyShape.FindStringSubmatch(header)
	if descr == nil || fortran == nil || shape == nil {
		return nil, 0, 0, fmt.Errorf("%w: header %q", errNPY, header)
	}
	if fortran[1] == "True" {
		return nil, 0, 0, fmt.Errorf("%w: Fortran order", errNPY)
	}
	var dims []int
	for _, s := range strings.Split(shape[1], ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		k, err := strconv.Atoi(s)
		if err != nil || k < 0 {
			return nil, 0, 0, fmt.Errorf("%w: shape %q", errNPY, shape[1])
		}
		dims = append(dims, k)
	}
	rows, cols := 0, 1
	switch len(dims) {
	case 1:
		rows = dims[0]
	case 2:
		rows, cols = dims[0], dims[1]
	default:
		return nil, 0, 0, fmt.Errorf("%w: %d dimensions, want 1 or 2", errNPY, len(dims))
	}
	size := 0
	switch descr[1] {
	case "<f8":
		size = 8
	case "<f4":
		size = 4
	default:
		return nil, 0, 0, fmt.Errorf("%w: dtype %q, want <f8 or <f4", errNPY, descr[1])
	}
	m := rows * cols
	if len(body) != m*size {
		return nil, 0, 0, fmt.Errorf("%w: %d data bytes, want %d", errNPY, len(body), m*size)
	}
	v := make([]float64, m)
	for i := range v {
		if size == 8 {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
		} else {
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:])))
		}
	}
	return v, rows, cols, nil
}

// decodeCSV decodes a rectangular CSV table of numbers; blank lines are skipped.
func decodeCSV(b []byte) ([]float64, int, int, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.TrimLeadingSpace = true
	var v []float64
	rows, cols := 0, -1
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, 0, err
		}
		if cols >= 0 && len(rec) != cols {
			return nil, 0, 0, fmt.Errorf("row %d has %d fields, want %d", rows+1, len(rec), cols)
		}
		cols = len(rec)
		for j, s := range rec {
			x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("row %d field %d: %w", rows+1, j+1, err)
			}
			v = append(v, x)
		}
		rows++
	}
	if rows == 0 {
		return nil, 0, 0, errors.New("empty CSV file")
	}
	return v, rows, cols, nil
}

// encodeNPY encodes a rows×cols float64 matrix (a vector when cols is 0) in the
// NumPy .npy format, version 1.0.
func encodeNPY(v []float64, rows, cols int) []byte {
	shape := fmt.Sprintf("(%d,)", rows)
	if cols > 0 {
		shape = fmt.Sprintf("(%d, %d)", rows, cols)
	}
	h := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': %s, }", shape)
	// Pad so that the data start on a multiple of 64 bytes, ending in '\n'.
	total := 10 + len(h) + 1
	h += strings.Repeat(" ", (64-total%64)%64) + "\n"
	var buf bytes.Buffer
	buf.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&buf, binary.LittleEndian, uint16(len(h)))
	buf.WriteString(h)
	for _, x := range v {
		binary.Write(&buf, binary.LittleEndian, x)
	}
	return buf.Bytes()
}

// SaveNPY writes the problem to dir as X.npy, y.npy, X_test.npy and
// y_test.npy (and beta_star.npy for generated data), each atomically.
func (d *Data) SaveNPY(dir string) error {
	files := []struct {
		name       string
		v          []float64
		rows, cols int
	}{
		{"X.npy", d.X, d.N, d.D}, {"y.npy", d.Y, d.N, 0},
		{"X_test.npy", d.XTest, d.NTest, d.D}, {"y_test.npy", d.YTest, d.NTest, 0},
	}
	if d.BetaStar != nil {
		files = append(files, struct {
			name       string
			v          []float64
			rows, cols int
		}{"beta_star.npy", d.BetaStar, d.D, 0})
	}
	for _, f := range files {
		if err := atomicfile.WriteFile(filepath.Join(dir, f.name), encodeNPY(f.v, f.rows, f.cols)); err != nil {
			return fmt.Errorf("dln: %w", err)
		}
	}
	return nil
}
