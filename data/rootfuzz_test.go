package data

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadROOT feeds the ROOT reader mutated ROOT files (seeded with the
// files ROOT wrote, in rootfile/testdata): no panic, and a table only with
// finite values. groot itself is not proof against every crafted file
// (README); rootfile checks the file's structure before groot reads it.
func FuzzReadROOT(f *testing.F) {
	for _, name := range []string{"small-flat-tree.root", "sample-6.14.00-zlib.root", "tntuple.root"} {
		b, err := os.ReadFile(filepath.Join("..", "rootfile", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "f.root")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := ReadOptions{Limits: fuzzLimits}
		tb, err, alloc := readMeasured(p, opts)
		checkRead(t, p, len(b), opts, tb, err, alloc)
	})
}
