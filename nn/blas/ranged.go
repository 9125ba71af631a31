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

// rangedBlock returns the rows [iLo, iHi) of C and the part [pLo, pHi) of
// the k slice [p0, p0+kc) that column block [c, c+w) of the tile of rows
// [i0, i0+rows) needs, given the hints of SgemmRanged; ok is false when
// nothing is left to multiply, and then the block's wanted rows have had
// beta applied already (op(A) op(B) is zero there: only beta acts).
func (j *job) rangedBlock(c, w, i0, rows, p0, kc int, beta float32) (iLo, iHi, pLo, pHi int, ok bool) {
	iLo, iHi = blockSpan(j.cSpan, c, w, i0, i0+rows)
	if iLo >= iHi {
		return 0, 0, 0, 0, false
	}
	pLo, pHi = blockSpan(j.bSpan, c, w, p0, p0+kc)
	if pLo >= pHi {
		if beta != 1 {
			scaleC(iHi-iLo, w, beta, j.c[iLo*j.ldc+c:], j.ldc)
		}
		return 0, 0, 0, 0, false
	}
	return iLo, iHi, pLo, pHi, true
}
