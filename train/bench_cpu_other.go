//go:build !unix

package train

// cpuSeconds reports that the process's CPU time is not available here.
func cpuSeconds() (float64, bool) { return 0, false }
