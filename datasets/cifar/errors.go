package cifar

import "errors"

// Sentinel errors; test for them with errors.Is. Returned errors wrap them
// with the file or URL concerned.
var (
	// ErrNotFound means no data set was found where it was looked for.
	ErrNotFound = errors.New("cifar: data set not found")
	// ErrMissing means a data set is present but one of its batch files is not.
	ErrMissing = errors.New("cifar: batch file missing")
	// ErrSize means a file is empty, truncated or not a whole number of records.
	ErrSize = errors.New("cifar: bad file size")
	// ErrLabel means a record holds a label outside the data set's classes.
	ErrLabel = errors.New("cifar: label out of range")
	// ErrWrongKind means CIFAR-100 data was found where CIFAR-10 was asked
	// for, or the reverse.
	ErrWrongKind = errors.New("cifar: wrong data set")
	// ErrChecksum means downloaded or stored bytes do not match their sum.
	ErrChecksum = errors.New("cifar: checksum mismatch")
)
