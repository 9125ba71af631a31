package suite

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"hepflow/data"
	"hepflow/validate"
)

// Cut is a named event selection for the cut-invariance check.
type Cut struct {
	Name string
	Pass func(row []float64) bool
}

// ParseCuts compiles selection expressions (see data.ParseExpr) against the
// compared columns; naming any other column is an error.
func ParseCuts(exprs, columns []string) ([]Cut, error) {
	var cuts []Cut
	for _, e := range exprs {
		pass, err := data.CompileExpr(e, columns)
		if err != nil {
			return nil, fmt.Errorf("cut %q: %w", e, err)
		}
		cuts = append(cuts, Cut{Name: e, Pass: pass})
	}
	return cuts, nil
}

// HiggsJetPtCut is the leading-jet threshold of the default HIGGS cuts, in
// the UCI file's units (where the leading-jet pT has median ~0.87).
const HiggsJetPtCut = 1.0

// HiggsCuts returns the default physics selections for HIGGS-like samples:
// m_bb above its (weighted) median in the reference, which a generator must
// reproduce as a 50% pass fraction, and a leading-jet pT threshold. Each is
// included only when its column is compared; nil when neither is.
func HiggsCuts(ref validate.Sample) []Cut {
	var cuts []Cut
	if j := column(ref, "m_bb"); j >= 0 && ref.Rows > 0 {
		med := weightedMedian(ref, j)
		cuts = append(cuts, Cut{Name: fmt.Sprintf("m_bb > %.4g (reference median)", med), Pass: func(r []float64) bool { return r[j] > med }})
	}
	if j := column(ref, "jet1_pt"); j >= 0 {
		cuts = append(cuts, Cut{Name: fmt.Sprintf("jet1_pt > %g", HiggsJetPtCut), Pass: func(r []float64) bool { return r[j] > HiggsJetPtCut }})
	}
	return cuts
}

// ParsePairs reads "a:b,c:d" into feature pairs, each of compared columns.
func ParsePairs(spec string, columns []string) ([][2]string, error) {
	var out [][2]string
	for _, p := range strings.Split(spec, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		x, y, ok := strings.Cut(p, ":")
		x, y = strings.TrimSpace(x), strings.TrimSpace(y)
		if !ok || x == "" || y == "" || x == y {
			return nil, fmt.Errorf("pair %q: want two different columns as x:y, e.g. lepton_pT:m_lv", p)
		}
		for _, c := range []string{x, y} {
			if !slices.Contains(columns, c) {
				return nil, fmt.Errorf("pair %q: %w", p, &data.UnknownColumnError{Name: c, Known: columns})
			}
		}
		out = append(out, [2]string{x, y})
	}
	return out, nil
}

// DefaultPairs returns the 2D views shown when none are asked for: the two
// variables of the leptonic W decay of the seed talk, lepton pT vs m_lv,
// when both are compared.
func DefaultPairs(columns []string) [][2]string {
	if slices.Contains(columns, "lepton_pT") && slices.Contains(columns, "m_lv") {
		return [][2]string{{"lepton_pT", "m_lv"}}
	}
	return nil
}

func column(s validate.Sample, name string) int {
	for j := range s.Cols {
		if s.Name(j) == name {
			return j
		}
	}
	return -1
}

// weightedMedian is the smallest value of column j at which the cumulative
// weight reaches half the total.
func weightedMedian(s validate.Sample, j int) float64 {
	type vw struct{ v, w float64 }
	vs := make([]vw, s.Rows)
	var total float64
	for i := range vs {
		vs[i] = vw{s.Row(i)[j], s.Weight(i)}
		total += vs[i].w
	}
	slices.SortFunc(vs, func(a, b vw) int { return cmp.Compare(a.v, b.v) })
	var acc float64
	for _, e := range vs {
		if acc += e.w; acc >= total/2 {
			return e.v
		}
	}
	return vs[len(vs)-1].v
}
