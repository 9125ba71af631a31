package rootfile

import (
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const python = "/usr/bin/python3"

// uproot reads what the Writer wrote, in every compression, bit for bit.
// Skipped where uproot is not installed (it is not packaged in Debian).
func TestUprootReadsWriterOutput(t *testing.T) {
	if err := exec.Command(python, "-c", "import uproot").Run(); err != nil {
		t.Skip("uproot is not installed for " + python)
	}
	cols := []string{"a", "Muon_pt[0]"}
	rows := randomRows(5000, 2, 11)
	for _, c := range []Compression{None, Zlib, LZMA, LZ4, Zstd} {
		path := filepath.Join(t.TempDir(), "up.root")
		writeFile(t, path, cols, rows, WriteOptions{Compression: c})
		script := `
import sys, uproot
t = uproot.open(sys.argv[1])["events"]
print(",".join(t.keys()))
arrs = t.arrays(library="np")
for i in range(t.num_entries):
    print(",".join(float.hex(float(arrs[k][i])) for k in t.keys()))
`
		out, err := exec.Command(python, "-c", script, path).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: uproot: %v\n%s", c, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if lines[0] != "a,Muon_pt_0" || len(lines) != 5001 {
			t.Fatalf("%s: uproot sees %q and %d rows", c, lines[0], len(lines)-1)
		}
		for i, line := range lines[1:] {
			for j, f := range strings.Split(line, ",") {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil || math.Float64bits(v) != math.Float64bits(rows[2*i+j]) {
					t.Fatalf("%s: row %d column %d: uproot %s, wrote %v", c, i, j, f, rows[2*i+j])
				}
			}
		}
	}
}
