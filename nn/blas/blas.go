// Package blas is hepflow's matrix-multiply backend: one small interface with
// implementations that give the same results to 1e-5: AVX-512 and AVX2+FMA
// assembly kernels on amd64 CPUs that have them and NEON kernels on arm64
// (the three agree bit for bit), OpenBLAS (loaded at run time when the
// shared library is present) and portable pure Go.
package blas

//go:generate go run ./internal/kernelgen -out kernel_amd64.s -avx2 kernel_avx2_amd64.s -neon kernel_arm64.s

// Gemm computes C = alpha*op(A)*op(B) + beta*C on row-major float32 matrices,
// where op(X) is X or its transpose. C is m x n, op(A) is m x k, op(B) is k x n;
// lda, ldb and ldc are the row strides of A, B and C as stored.
type Gemm interface {
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	// Name says which implementation this is, for logs and benchmarks.
	Name() string
}
