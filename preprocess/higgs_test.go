package preprocess

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
)

const higgsPath = "../../shared/data/higgs-sample/higgs-sample.csv.gz"

var higgsCols = []string{
	"lepton_pT", "lepton_eta", "lepton_phi", "missing_energy_magnitude", "missing_energy_phi",
	"jet1_pt", "jet1_eta", "jet1_phi", "jet1_btag", "jet2_pt", "jet2_eta", "jet2_phi", "jet2_btag",
	"jet3_pt", "jet3_eta", "jet3_phi", "jet3_btag", "jet4_pt", "jet4_eta", "jet4_phi", "jet4_btag",
	"m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb",
}

// readHiggs returns the 28 features of the shared HIGGS sample, row-major.
// It reads the file itself rather than through hepflow/data, which this
// package must not import.
func readHiggs(t *testing.T) ([]float64, int) {
	t.Helper()
	f, err := os.Open(higgsPath)
	if err != nil {
		t.Skipf("HIGGS sample not available: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("read %s: %v", higgsPath, err)
	}
	records, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", higgsPath, err)
	}
	x := make([]float64, 0, len(records)*len(higgsCols))
	for i, rec := range records {
		if len(rec) != 1+len(higgsCols) {
			t.Fatalf("%s line %d: %d fields, want %d", higgsPath, i+1, len(rec), 1+len(higgsCols))
		}
		for j, field := range rec[1:] {
			v, err := strconv.ParseFloat(field, 64)
			if err != nil {
				t.Fatalf("%s line %d column %d: %v", higgsPath, i+1, j+2, err)
			}
			x = append(x, v)
		}
	}
	return x, len(records)
}

func TestHiggs(t *testing.T) {
	x, rows := readHiggs(t)
	if rows != 5492 {
		t.Fatalf("%d events, want 5492", rows)
	}
	d := len(higgsCols)
	s, err := Fit(x, rows, higgsCols, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cols := s.Columns()
	for j, c := range cols {
		isBtag := j == 8 || j == 12 || j == 16 || j == 20
		if (c.Kind == KindDiscrete) != isBtag {
			t.Errorf("column %q detected as %s", c.Name, c.Kind)
		}
		if !isBtag {
			continue
		}
		var distinct []float64
		for i := range rows {
			if v := x[i*d+j]; !slices.Contains(distinct, v) {
				distinct = append(distinct, v)
			}
		}
		slices.Sort(distinct)
		if len(c.Levels) != 3 || !slices.Equal(c.Levels, distinct) {
			t.Errorf("column %q: levels %v, want the 3 training values %v", c.Name, c.Levels, distinct)
		}
	}

	t.Run("round trip", func(t *testing.T) {
		y, ld := make([]float32, rows*d), make([]float64, rows)
		if err := s.ToLatent(y, x, rows, ld, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
		for i, v := range ld {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("row %d: logdet %v", i, v)
			}
		}
		back := make([]float64, rows*d)
		s.ToData(back, y, rows)
		worst := 0.0
		for i := range rows {
			for j, c := range cols {
				k := i*d + j
				if c.Kind == KindDiscrete {
					if back[k] != x[k] {
						t.Fatalf("row %d, %s: %v came back as %v", i, c.Name, x[k], back[k])
					}
					continue
				}
				worst = max(worst, math.Abs(back[k]-x[k])/max(math.Abs(x[k]), 1e-2*(c.Max-c.Min)))
			}
		}
		t.Logf("worst relative round-trip error of continuous columns via float32: %.2g", worst)
		if worst > 1e-5 {
			t.Errorf("round-trip error %g, want <= 1e-5", worst)
		}
	})

	t.Run("generated values", func(t *testing.T) {
		// Any point of the flow's input space maps to the training levels;
		// a wide normal reaches every level and the far tails.
		const n = 20000
		rng := rand.New(rand.NewPCG(2, 2))
		y := make([]float32, n*d)
		for i := range y {
			y[i] = float32(3 * rng.NormFloat64())
		}
		gen := make([]float64, n*d)
		s.ToData(gen, y, n)
		for j, c := range cols {
			seen := map[float64]int{}
			for i := range n {
				v := gen[i*d+j]
				if c.Kind == KindDiscrete {
					if !slices.Contains(c.Levels, v) {
						t.Fatalf("%s: generated %v, not a training level %v", c.Name, v, c.Levels)
					}
					seen[v]++
				} else if slack := 1e-6 * (c.Max - c.Min); (c.Kind == KindContinuous || c.Kind == KindPeriodic) && (v < c.Min-slack || v > c.Max+slack) {
					// Only the tails, beyond the clip edges in y, leave the range.
					raw := float64(y[i*d+j])*c.Std + c.Mean
					if math.Abs(raw) <= s.edge.l {
						t.Fatalf("%s: generated %v outside [%v, %v] from y = %v inside the clip edges", c.Name, v, c.Min, c.Max, y[i*d+j])
					}
				}
			}
			if c.Kind == KindDiscrete && len(seen) != 3 {
				t.Errorf("%s: generated levels %v, want all 3", c.Name, seen)
			}
		}
	})

	t.Run("held-out events", func(t *testing.T) {
		// Fit on the first 4000 events, count how many of the other 1492
		// fall outside a logit column's fitted range (into its tails), with
		// and without the margin; every one of them must still map.
		const train = 4000
		test := x[train*d:]
		nTest := rows - train
		refused := map[string]int{}
		for _, opt := range []Options{{ExactRange: true}, {Margin: 1e-3}, {Margin: 1e-2}, {}} {
			opt.Scaling = ScalingLogit
			s, err := Fit(x[:train*d], train, higgsCols, opt)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			bad := 0
			for i := range nTest {
				row := test[i*d : (i+1)*d]
				y, ld := make([]float64, d), []float64{0}
				if err := s.ToLatent64(y, row, 1, ld, rand.New(rand.NewPCG(1, 1))); err != nil || math.IsInf(ld[0], 0) || math.IsNaN(ld[0]) {
					t.Fatalf("held-out row %d: logdet %v, %v", i, ld[0], err)
				}
				beyond := false
				for j, c := range s.Columns() {
					if c.Kind == KindContinuous && (row[j] < c.Min || row[j] > c.Max) {
						out[c.Name]++
						beyond = true
					}
				}
				if beyond {
					bad++
				}
			}
			t.Logf("ExactRange=%v Margin=%g: %d of %d held-out events beyond the fitted range %v", opt.ExactRange, opt.Margin, bad, nTest, out)
			refused[fmt.Sprintf("%v/%g", opt.ExactRange, opt.Margin)] = bad
		}
		// Wider ranges refuse fewer events; the tail-based default expects
		// about 1492*48/(4001*11) = 1.6 (exponential tails, 48 ends), so
		// more than 8 would mean the widening does not do its job.
		if refused["false/0.001"] > refused["true/0"] || refused["false/0.01"] > refused["false/0.001"] || refused["false/0"] > 8 {
			t.Errorf("held-out events refused: %v", refused)
		}
	})
}
