package validate

import (
	"fmt"
	"math"
)

// CorrelationResult holds the weighted Pearson correlation matrices of both
// samples and their difference Diff = B - A.
type CorrelationResult struct {
	Names      []string    `json:"names"`
	A          [][]float64 `json:"a"`
	B          [][]float64 `json:"b"`
	Diff       [][]float64 `json:"diff"`
	MaxAbsDiff float64     `json:"max_abs_diff"`
	MaxPair    [2]string   `json:"max_pair"` // the feature pair with the largest |Diff|
}

// CompareCorrelations computes both correlation matrices and their difference.
func CompareCorrelations(a, b Sample) (CorrelationResult, error) {
	if err := compatible(a, b); err != nil {
		return CorrelationResult{}, fmt.Errorf("correlations: %w", err)
	}
	r := CorrelationResult{Names: make([]string, a.Cols), A: Correlation(a), B: Correlation(b)}
	for j := range r.Names {
		r.Names[j] = a.Name(j)
	}
	r.Diff = make([][]float64, a.Cols)
	for i := range r.Diff {
		r.Diff[i] = make([]float64, a.Cols)
		for j := range r.Diff[i] {
			d := r.B[i][j] - r.A[i][j]
			r.Diff[i][j] = d
			if math.Abs(d) > r.MaxAbsDiff {
				r.MaxAbsDiff = math.Abs(d)
				r.MaxPair = [2]string{r.Names[i], r.Names[j]}
			}
		}
	}
	return r, nil
}

// Correlation returns the weighted Pearson correlation matrix of a sample
// (two passes: means, then centred second moments; O(rows*cols^2)). A
// constant column has correlation 0 with everything and 1 with itself.
func Correlation(s Sample) [][]float64 {
	d := s.Cols
	mean := make([]float64, d)
	constant := make([]bool, d)
	for j := range constant {
		constant[j] = s.Rows > 0
	}
	var sw float64
	for i := 0; i < s.Rows; i++ {
		w := s.Weight(i)
		sw += w
		for j, v := range s.Row(i) {
			mean[j] += w * v
			if v != s.Data[j] {
				constant[j] = false
			}
		}
	}
	out := make([][]float64, d)
	for j := range out {
		out[j] = make([]float64, d)
		out[j][j] = 1
	}
	if sw == 0 {
		return out
	}
	for j := range mean {
		mean[j] /= sw
	}
	// Upper triangle of the weighted scatter matrix, row by row.
	cov := make([]float64, d*d)
	dev := make([]float64, d)
	for i := 0; i < s.Rows; i++ {
		w := s.Weight(i)
		for j, v := range s.Row(i) {
			dev[j] = v - mean[j]
		}
		for j := 0; j < d; j++ {
			wj := w * dev[j]
			row := cov[j*d : (j+1)*d]
			for k := j; k < d; k++ {
				row[k] += wj * dev[k]
			}
		}
	}
	for j := 0; j < d; j++ {
		for k := j + 1; k < d; k++ {
			den := math.Sqrt(cov[j*d+j] * cov[k*d+k])
			var c float64
			if den > 0 && !constant[j] && !constant[k] {
				c = math.Max(-1, math.Min(1, cov[j*d+k]/den))
			}
			out[j][k], out[k][j] = c, c
		}
	}
	return out
}
