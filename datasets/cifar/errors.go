package cifar

import "errors"

// Sentinel errors; test for them with errors.Is. Returned errors wrap them
// behind "cifar: " and the file or URL concerned.
var (
	// ErrNotFound means no data set was found where it was looked for.
	ErrNotFound = errors.New("data set not found")
	// ErrMissing means a data set is present but one of its batch files is not.
	ErrMissing = errors.New("batch file missing")
	// ErrSize means a file is empty, truncated or not a whole number of records.
	ErrSize = errors.New("bad file size")
	// ErrLabel means a record holds a label outside the data set's classes.
	ErrLabel = errors.New("label out of range")
	// ErrWrongKind means CIFAR-100 data was found where CIFAR-10 was asked
	// for, or the reverse.
	ErrWrongKind = errors.New("wrong data set")
	// ErrChecksum means downloaded or stored bytes do not match their sum.
	ErrChecksum = errors.New("checksum mismatch")
)

// More sentinel errors of Download.
var (
	// ErrStalled means a download received no data for Downloader.StallTimeout.
	ErrStalled = errors.New("download stalled")
)

// StatusError is returned by Download when the server answers with an
// HTTP status other than 200 OK.
type StatusError struct {
	URL        string
	StatusCode int
	Status     string // e.g. "404 Not Found"
}

func (e *StatusError) Error() string { return "cifar: download " + e.URL + ": " + e.Status }
