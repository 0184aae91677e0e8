// Package cifar reads the CIFAR-10 and CIFAR-100 image classification data
// sets (Krizhevsky, "Learning Multiple Layers of Features from Tiny Images",
// 2009) in their official binary layouts, downloads them, and turns them into
// the training view used by "Towards Understanding Sharpness-Aware
// Minimization" (Andriushchenko & Flammarion, ICML 2022): a seeded held-out
// validation split, optional per-channel normalisation, the standard
// augmentation (random 32×32 crop of the image zero-padded by 4 pixels,
// horizontal flip with probability 1/2) and symmetric label noise.
//
// # Layouts
//
// CIFAR-10 (cifar-10-batches-bin/): data_batch_1.bin … data_batch_5.bin
// (training, 10,000 images each) and test_batch.bin (10,000 images). Each
// record is 1 label byte (0…9) followed by 3,072 pixel bytes: the 32×32 red
// plane, then green, then blue, each row-major.
//
// CIFAR-100 (cifar-100-binary/): train.bin (50,000 images) and test.bin
// (10,000). Each record is a coarse label byte (0…19), a fine label byte
// (0…99) and 3,072 pixel bytes as above. The fine labels are the ones used
// for training; the coarse ones are kept in Split.Coarse.
//
// Open reads either the extracted folder or the official .tar.gz archive
// (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz) directly.
//
// # Training view
//
// A Loader turns a Split into float32 batches in NCHW order (N×3×32×32, the
// pixel divided by 255, then optionally normalised per channel) with int
// labels. Everything random is derived from Loader.Seed, the epoch and the
// batch index, never from the order in which background goroutines finish:
// a run resumed from (seed, epoch, batch) sees exactly the batches the
// interrupted run would have seen.
//
// # Errors
//
// Every failure caused by files, archives, the network or arguments is
// returned as an error wrapped with context ("cifar: ..."); the package never
// panics on bad input. The sentinel errors in errors.go classify failures for
// errors.Is: ErrNotFound (no data where it was looked for), ErrMissing (a
// batch file is missing), ErrSize (truncated or odd-sized file), ErrLabel
// (label out of range), ErrWrongKind (CIFAR-100 data where CIFAR-10 was
// asked for, or the reverse), ErrChecksum (a download or file does not
// match its recorded sum) and ErrStalled (a download received nothing for
// too long); an HTTP status other than 200 is a *StatusError. Downloads
// never leave a partial data set behind, and files are written atomically.
package cifar
