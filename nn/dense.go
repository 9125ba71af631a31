package nn

import (
	"math"
	"math/rand/v2"

	"hepflow/nn/blas"
	"hepflow/nn/vec"
)

// Dense is an affine layer y = x W + b with W stored In x Out, row-major, so
// the forward product needs no transpose. A masked layer (MADE) carries the
// mask on W; masked weights are zero and stay zero.
type Dense struct {
	In, Out int
	W, B    *Param

	// For a masked layer, the rows of W that can be non-zero in each
	// column and the columns in each row: the products skip the rest on
	// backends that can (blas.Ranged). nil for a dense layer.
	colSpan, rowSpan []blas.Span
}

// NewDense returns a layer initialised as PyTorch's nn.Linear does:
// W and b uniform in +-1/sqrt(In). mask, if not nil, has In*Out entries.
func NewDense(name string, in, out int, mask []float32, rng *rand.Rand) *Dense {
	l := &Dense{In: in, Out: out, W: NewParam(name+".w", in, out), B: NewParam(name+".b", out)}
	bound := 1 / math.Sqrt(float64(max(in, 1)))
	for i := range l.W.Value {
		l.W.Value[i] = float32((2*rng.Float64() - 1) * bound)
	}
	for i := range l.B.Value {
		l.B.Value[i] = float32((2*rng.Float64() - 1) * bound)
	}
	if mask != nil {
		l.W.Mask = append([]float32(nil), mask...)
		l.W.ApplyMask()
		l.colSpan, l.rowSpan = maskSpans(mask, in, out)
	}
	return l
}

// maskSpans returns, for an in x out mask, the span of rows that are set in
// each column and the span of columns set in each row (empty spans for all
// zero ones).
func maskSpans(mask []float32, in, out int) (cols, rows []blas.Span) {
	cols = make([]blas.Span, out)
	rows = make([]blas.Span, in)
	for j := range cols {
		cols[j] = blas.Span{Lo: int32(in), Hi: 0}
	}
	for i := range rows {
		rows[i] = blas.Span{Lo: int32(out), Hi: 0}
	}
	for i := range in {
		for j := range out {
			if mask[i*out+j] == 0 {
				continue
			}
			ii, jj := int32(i), int32(j)
			cols[j].Lo, cols[j].Hi = min(cols[j].Lo, ii), max(cols[j].Hi, ii+1)
			rows[i].Lo, rows[i].Hi = min(rows[i].Lo, jj), max(rows[i].Hi, jj+1)
		}
	}
	return cols, rows
}

// Params returns W and b.
func (l *Dense) Params() []*Param { return []*Param{l.W, l.B} }

// Forward writes y = x W + b for a batch of rows.
func (l *Dense) Forward(g blas.Gemm, y, x []float32, rows int) {
	l.product(g, y, x, rows)
	addBias(y, l.B.Value, rows)
}

// product writes y = x W, leaving the bias to a fused pass of the caller.
func (l *Dense) product(g blas.Gemm, y, x []float32, rows int) {
	blas.SgemmRanged(g, false, false, rows, l.Out, l.In, 1, x, l.In, l.W.Value, l.Out, 0, y, l.Out, l.colSpan, nil)
}

// Backward accumulates dW += x^T gy and db += sum of gy over rows, and, when
// gx is not nil, writes gx = gy W^T.
func (l *Dense) Backward(g blas.Gemm, gx, gy, x []float32, rows int) {
	// Only the unmasked entries of dW are wanted; maskGrad clears the rest.
	blas.SgemmRanged(g, true, false, l.In, l.Out, rows, 1, x, l.In, gy, l.Out, 1, l.W.Grad, l.Out, nil, l.colSpan)
	l.W.maskGrad()
	sumRows(l.B.Grad, gy, rows)
	if gx != nil {
		// Column i of W^T is row i of W.
		blas.SgemmRanged(g, false, true, rows, l.In, l.Out, 1, gy, l.Out, l.W.Value, l.Out, 0, gx, l.In, l.rowSpan, nil)
	}
}

func addBias(y, b []float32, rows int) { vec.AddBias(y, b, rows) }

// sumRows adds the rows of g into dst (bias gradients), in row order.
func sumRows(dst, g []float32, rows int) {
	vec.SumRows(dst, g, rows)
}
