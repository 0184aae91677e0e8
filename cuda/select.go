package cuda

import "fmt"

// Select decides where to train from a --device value: "cpu" never opens anything; "cuda"
// calls open and fails with its error; "auto" (or "") calls open and falls back to the CPU
// when it fails, with note saying why in one line. useCUDA reports the choice; dev is open's
// value when useCUDA is true.
func Select[T any](mode string, open func() (T, error)) (dev T, useCUDA bool, note string, err error) {
	var zero T
	switch mode {
	case "cpu":
		return zero, false, "device: cpu (asked for)", nil
	case "cuda":
		d, err := open()
		if err != nil {
			return zero, false, "", fmt.Errorf("--device cuda: %w", err)
		}
		return d, true, "", nil
	case "auto", "":
		d, err := open()
		if err != nil {
			return zero, false, "device: cpu, because CUDA is unavailable: " + err.Error(), nil
		}
		return d, true, "", nil
	}
	return zero, false, "", fmt.Errorf("--device %q: want auto, cpu or cuda", mode)
}
