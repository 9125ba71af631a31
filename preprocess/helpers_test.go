package preprocess

import (
	"math"
	"math/rand/v2"
)

// testCols is a small mixed event: a heavy-tailed pT, an eta, a periodic phi,
// a 3-level b-tag, a mass and a jet multiplicity.
var testCols = []string{"pt", "eta", "phi", "btag", "mass", "njet"}

var btagLevels = []float64{0, 1.086538076, 2.173076153}

// testData returns rows x len(testCols) random training values.
func testData(rows int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, 0, rows*len(testCols))
	for range rows {
		x = append(x,
			20+30*rng.ExpFloat64(),
			-2.5+5*rng.Float64(),
			-math.Pi+2*math.Pi*rng.Float64(),
			btagLevels[rng.IntN(3)],
			125+10*rng.NormFloat64(),
			float64(min(rng.IntN(4)+rng.IntN(4), 6)),
		)
	}
	return x
}

var testOpts = Options{Periodic: []string{"phi"}}

// fixedSource makes rand.Rand.Float64 return the given values in turn; each
// must be a multiple of 2^-53 in [0,1) to come back exactly.
type fixedSource struct {
	v []float64
	i int
}

func (f *fixedSource) Uint64() uint64 {
	v := f.v[f.i%len(f.v)]
	f.i++
	return uint64(v * (1 << 53))
}

func fixedRand(v ...float64) *rand.Rand { return rand.New(&fixedSource{v: v}) }
