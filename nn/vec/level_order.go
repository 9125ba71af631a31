//go:build !arm64

package vec

// The levels in amd64's order: its own (generic, AVX2, AVX-512), then
// arm64's NEON, which therefore caps nothing here. Architectures without
// kernels share this order, so their behaviour is amd64's with every
// kernel absent.
const (
	// Generic is the pure-Go loops of generic.go.
	Generic Level = iota
	// AVX2 is the AVX2 assembly (amd64).
	AVX2
	// AVX512 adds the 16-lane exp and tanh (and, in nn/blas, the AVX-512 GEMM).
	AVX512
	// NEON is the arm64 Advanced SIMD assembly (and nn/blas's NEON GEMM).
	NEON
)

// nativeTop is the level an empty $HEPFLOW_CPU means: no cap.
const nativeTop = AVX512
