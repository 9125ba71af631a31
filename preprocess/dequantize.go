package preprocess

import "fmt"

// DiscreteColumns are the indices of the discrete columns, in order: the
// values DequantizeLevels takes.
func (s *Scaler) DiscreteColumns() []int {
	var out []int
	for j := range s.cols {
		if s.cols[j].Kind == KindDiscrete {
			out = append(out, j)
		}
	}
	return out
}

// DequantizeLevels is DequantizeNoise given only the discrete columns'
// values v (rows x len(DiscreteColumns()), in that order), for training
// rows, whose values Fit has seen: the same bits in dst's discrete columns
// and logdet, without reading or checking the other columns, which makes
// redrawing the noise of a full-size training set every epoch cheap. A
// value that is not a training level is a *DomainError; dst and logdet
// may then be partly written.
func (s *Scaler) DequantizeLevels(dst []float32, v []float64, rows int, logdet []float64, u []float64) error {
	disc := s.DiscreteColumns()
	k, d := len(disc), len(s.cols)
	mustLen("dst", len(dst), rows*d)
	mustLen("v", len(v), rows*k)
	mustLen("u", len(u), rows*k)
	mustLen("logdet", len(logdet), rows)
	for i := range rows {
		var ld float64
		for q, j := range disc {
			col := &s.cols[j]
			x := v[i*k+q]
			lvl := col.level(x)
			if lvl < 0 {
				return &DomainError{Row: i, Col: j, Column: col.Name, Value: x, Reason: UnseenLevel,
					detail: fmt.Sprintf("is not one of the %d values of this discrete column in the training data %v", len(col.Levels), col.Levels)}
			}
			y, l := s.discreteLatent(col, lvl, u[i*k+q])
			dst[i*d+j] = float32(y)
			ld += l
		}
		logdet[i] += ld
	}
	return nil
}
