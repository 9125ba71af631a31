package blas

// Span is a half-open range [Lo, Hi) of row indices.
type Span struct{ Lo, Hi int32 }

// Ranged is implemented by Gemms that can skip work on products with known
// zero structure, such as the masked layers of a MADE.
type Ranged interface {
	Gemm
	// SgemmRanged is Sgemm where column j of op(B) is known to be zero
	// outside rows bSpan[j] (bSpan nil: no such knowledge), and only rows
	// cSpan[j] of column j of C are wanted (cSpan nil: all of them); C
	// outside the wanted rows is left unspecified. An implementation may
	// ignore either hint. len(bSpan) and len(cSpan) are n when not nil.
	SgemmRanged(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bSpan, cSpan []Span)
}

// SgemmRanged calls g's SgemmRanged when it has one and Sgemm otherwise,
// which is correct because the hints only describe zeros and unwanted
// entries.
func SgemmRanged(g Gemm, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, bSpan, cSpan []Span) {
	if r, ok := g.(Ranged); ok {
		r.SgemmRanged(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bSpan, cSpan)
		return
	}
	g.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// blockSpan is the union of spans[c:c+w], clipped to [lo, hi); nil spans
// mean the whole [lo, hi).
func blockSpan(spans []Span, c, w, lo, hi int) (int, int) {
	if spans == nil {
		return lo, hi
	}
	l, h := int32(hi), int32(lo)
	for _, s := range spans[c : c+w] {
		if s.Lo < s.Hi {
			l, h = min(l, s.Lo), max(h, s.Hi)
		}
	}
	return max(int(l), lo), min(int(h), hi)
}
