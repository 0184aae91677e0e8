package cifar

import (
	"fmt"
	"sort"
)

// HoldOut splits s into a training part and a validation part of n images
// chosen uniformly at random from seed (the paper holds out 5,000 of the
// 50,000 training images). Both parts keep the original order of s and
// their Index; s is not changed. n must be in 0…s.Len()-1; n == 0 returns
// s itself and a nil validation split.
func HoldOut(s *Split, n int, seed uint64) (train, val *Split, err error) {
	if n < 0 || n >= s.Len() {
		return nil, nil, fmt.Errorf("cifar: validation size %d, want 0…%d", n, s.Len()-1)
	}
	if n == 0 {
		return s, nil, nil
	}
	perm := newRand(seed, streamHoldOut, 0, 0).Perm(s.Len())
	v, t := perm[:n], perm[n:]
	sort.Ints(v)
	sort.Ints(t)
	return s.subset(t), s.subset(v), nil
}
