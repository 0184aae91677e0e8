// Package safetensors reads and writes the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header mapping each tensor name to its dtype, shape
// and byte range, then the raw little-endian data.
//
// Error policy: malformed files and bad arguments return errors prefixed
// "safetensors: "; nothing panics on input. WriteFile is atomic (temporary
// file, fsync, rename).
package safetensors
