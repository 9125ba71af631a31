package rootfile

import (
	"context"
	"math"
	"testing"
)

// readAll scans the whole selection into one row-major table.
func readAll(t testing.TB, path string, opt Options) ([]string, []float64) {
	t.Helper()
	cols, data, err := tryReadAll(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	return cols, data
}

func tryReadAll(path string, opt Options) ([]string, []float64, error) {
	var cols []string
	var data []float64
	err := Scan(context.Background(), path, opt, func(c *Chunk) error {
		cols = c.Columns
		data = append(data, c.Data...)
		return nil
	})
	return cols, data, err
}

// same reports whether a and b are equal bit for bit (NaN equal to NaN).
func same(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// checkColumn compares column j of a row-major table with want(row).
func checkColumn(t *testing.T, cols []string, data []float64, j int, want func(i int) float64) {
	t.Helper()
	d := len(cols)
	for i := 0; i < len(data)/d; i++ {
		if got, w := data[i*d+j], want(i); !same(got, w) {
			t.Errorf("column %q row %d: got %v, want %v", cols[j], i, got, w)
			return
		}
	}
}

func b2fTest(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
