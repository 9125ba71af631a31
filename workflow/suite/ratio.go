package suite

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"hepflow/model"
)

// LogRatio returns, per event, the likelihood ratio of a conditional model
// between two values of one context column: log p(x | col=num) - log p(x |
// col=den), the Neyman-Pearson statistic when col is the class. x holds rows
// of the model's feature columns; c the model's context columns (nil when
// col is its only one: they are all set). Both densities see the same
// dequantization noise (one seed, drawn twice), so it cancels rather than
// adding variance. Events without a density under either value get NaN;
// their count is returned.
func LogRatio(m *model.Model, x, c []float64, rows int, col string, num, den float64, seed uint64) ([]float64, int, error) {
	cols := m.ContextColumns()
	j := slices.Index(cols, col)
	if j < 0 {
		return nil, 0, fmt.Errorf("likelihood ratio: %q is not a context column of the model (its context: %v)", col, cols)
	}
	k := len(cols)
	if c == nil {
		if k > 1 {
			return nil, 0, fmt.Errorf("likelihood ratio: the model has %d context columns %v; the others need values", k, cols)
		}
		c = make([]float64, rows)
	}
	if len(c) < rows*k {
		return nil, 0, fmt.Errorf("likelihood ratio: %d context values for %d events of %d columns", len(c), rows, k)
	}
	at := func(v float64) ([]float64, error) {
		cv := slices.Clone(c[:rows*k])
		for r := 0; r < rows; r++ {
			cv[r*k+j] = v
		}
		lp := make([]float64, rows)
		_, err := m.LogProb(lp, x, cv, rows, rand.New(rand.NewPCG(seed, 0x1a710)))
		return lp, err
	}
	ln, err := at(num)
	if err != nil {
		return nil, 0, err
	}
	ld, err := at(den)
	if err != nil {
		return nil, 0, err
	}
	return ln, subtract(ln, ld), nil
}

// LogRatioModels returns, per event, log p_num(x) - log p_den(x) under two
// models of the same feature columns (for conditional models, the same
// context columns, c holding them): the likelihood ratio of, say, a model
// trained on signal against one trained on background. Both densities see
// the same dequantization noise. Events without a density under either get
// NaN; their count is returned.
func LogRatioModels(num, den *model.Model, x, c []float64, rows int, seed uint64) ([]float64, int, error) {
	if !slices.Equal(num.Columns(), den.Columns()) || !slices.Equal(num.ContextColumns(), den.ContextColumns()) {
		return nil, 0, fmt.Errorf("likelihood ratio: the models take different columns (%v | %v against %v | %v)",
			num.Columns(), num.ContextColumns(), den.Columns(), den.ContextColumns())
	}
	ln, ld := make([]float64, rows), make([]float64, rows)
	if _, err := num.LogProb(ln, x, c, rows, rand.New(rand.NewPCG(seed, 0x1a710))); err != nil {
		return nil, 0, err
	}
	if _, err := den.LogProb(ld, x, c, rows, rand.New(rand.NewPCG(seed, 0x1a710))); err != nil {
		return nil, 0, err
	}
	return ln, subtract(ln, ld), nil
}

// subtract writes ln - ld into ln, NaN where either has no finite value,
// and returns how many those are.
func subtract(ln, ld []float64) int {
	bad := 0
	for r := range ln {
		if math.IsInf(ln[r], 0) || math.IsInf(ld[r], 0) || math.IsNaN(ln[r]) || math.IsNaN(ld[r]) {
			ln[r] = math.NaN()
			bad++
			continue
		}
		ln[r] -= ld[r]
	}
	return bad
}
