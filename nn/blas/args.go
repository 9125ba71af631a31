package blas

import "fmt"

// checkSgemm panics, as reference BLAS implementations do, when the Sgemm
// arguments are inconsistent: negative sizes, a leading dimension smaller
// than the stored row length, or a slice too short for the matrix it holds.
// Both implementations call it, so they reject exactly the same inputs; for
// OpenBLAS it is also what keeps C code from reading past a Go slice.
func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("blas: negative size m=%d n=%d k=%d", m, n, k))
	}
	aRows, aCols := m, k
	if transA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if transB {
		bRows, bCols = n, k
	}
	if lda < max(1, aCols) {
		panic(fmt.Sprintf("blas: lda=%d < max(1, %d)", lda, aCols))
	}
	if ldb < max(1, bCols) {
		panic(fmt.Sprintf("blas: ldb=%d < max(1, %d)", ldb, bCols))
	}
	if ldc < max(1, n) {
		panic(fmt.Sprintf("blas: ldc=%d < max(1, %d)", ldc, n))
	}
	if m == 0 || n == 0 {
		return
	}
	if need := storedLen(aRows, aCols, lda); len(a) < need {
		panic(fmt.Sprintf("blas: len(a)=%d < %d", len(a), need))
	}
	if need := storedLen(bRows, bCols, ldb); len(b) < need {
		panic(fmt.Sprintf("blas: len(b)=%d < %d", len(b), need))
	}
	if need := storedLen(m, n, ldc); len(c) < need {
		panic(fmt.Sprintf("blas: len(c)=%d < %d", len(c), need))
	}
}

// storedLen is the number of elements a rows x cols row-major matrix with
// row stride ld spans; the last row need not be padded to ld.
func storedLen(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

// scaleC sets C = beta*C for the m x n matrix C. beta == 0 writes zeros
// without reading C, so NaN or Inf already there does not survive, which is
// the BLAS convention callers rely on when they pass uninitialised buffers.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
