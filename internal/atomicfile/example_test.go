package atomicfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/samtrain/samtrain/internal/atomicfile"
)

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "atomicfile")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "metrics.json")
	if err := atomicfile.WriteFile(p, []byte(`{"epoch": 1}`)); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(p)
	fmt.Println(string(b))
	// Output: {"epoch": 1}
}
