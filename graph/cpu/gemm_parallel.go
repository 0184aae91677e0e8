package cpu

import "sync"

// parallel calls f(0), …, f(n-1), each on its own goroutine (f(0) on the caller's), and
// returns when all have returned.
func parallel(n int, f func(w int)) {
	if n <= 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for w := 1; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w)
		}()
	}
	f(0)
	wg.Wait()
}
