package cifar

import "math/rand/v2"

// Random streams. Each use of randomness draws from its own PCG stream,
// keyed by the user's seed and by what it is for, so that adding one use
// never shifts the numbers of another.
const (
	streamHoldOut uint64 = 1 + iota
	streamNoise
	streamShuffle
	streamAugment
)

// newRand returns a generator for (seed, stream, a, b). The second PCG
// word mixes stream, a and b with splitmix64 constants so that nearby
// epochs and batches get unrelated sequences.
func newRand(seed, stream uint64, a, b int) *rand.Rand {
	x := stream*0x9e3779b97f4a7c15 ^ uint64(a)*0xbf58476d1ce4e5b9 ^ uint64(b)*0x94d049bb133111eb
	x ^= x >> 31
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	return rand.New(rand.NewPCG(seed, x))
}
