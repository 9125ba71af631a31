package preprocess

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const rows = 1000
	cols := []string{"normal", "huge", "outlier", "low"}
	x := make([]float64, rows*len(cols))
	for i := range rows {
		x[i*4] = rng.NormFloat64()
		x[i*4+1] = rng.NormFloat64()
		x[i*4+2] = rng.NormFloat64()
		x[i*4+3] = rng.NormFloat64()
	}
	x[17*4+1] = 1e30
	x[40*4+2] = 100
	x[99*4+3] = -50
	w := Inspect(x, rows, cols)
	if len(w) != 3 {
		t.Fatalf("warnings %v, want 3", w)
	}
	for k, want := range []struct {
		col string
		row int
		msg string
	}{{"huge", 17, "beyond"}, {"outlier", 40, "alone spans"}, {"low", 99, "alone spans"}} {
		if w[k].Column != want.col || w[k].Row != want.row || !strings.Contains(w[k].Msg, want.msg) {
			t.Errorf("warning %d: %v, want column %q row %d (%s)", k, w[k], want.col, want.row, want.msg)
		}
	}
	t.Log(w[0], "|", w[1])
	// A heavy but honest tail does not warn: exponential with 1000 events.
	for i := range rows {
		x[i*4] = rng.ExpFloat64()
	}
	if w := Inspect(x[:], rows, cols); len(w) != 3 {
		t.Errorf("exponential column warned: %v", w)
	}
}

func TestInspectSpike(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const rows = 2000
	x := make([]float64, 2*rows)
	for i := range rows {
		x[2*i] = rng.ExpFloat64()
		if i%4 == 0 {
			x[2*i] = 0 // a 25% spike at 0
		}
		x[2*i+1] = float64(rng.IntN(3)) // discrete: no warning
	}
	w := Inspect(x, rows, []string{"jet4_pt", "btag"})
	if len(w) != 1 || w[0].Column != "jet4_pt" || w[0].Value != 0 || !strings.Contains(w[0].Msg, "point mass") {
		t.Fatalf("warnings %v: want one point-mass warning for jet4_pt at 0", w)
	}
}
