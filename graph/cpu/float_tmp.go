package cpu

// Float is the element type of the kernels. (Temporary: the kernels branch
// defines it; this file goes when that branch is merged.)
type Float interface{ ~float32 | ~float64 }
