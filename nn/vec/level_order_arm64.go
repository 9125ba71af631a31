package vec

// The levels in arm64's order: its own (generic, NEON), then amd64's, which
// therefore cap nothing here.
const (
	// Generic is the pure-Go loops of generic.go.
	Generic Level = iota
	// NEON is the arm64 Advanced SIMD assembly (and nn/blas's NEON GEMM).
	NEON
	// AVX2 is the AVX2 assembly (amd64).
	AVX2
	// AVX512 adds the 16-lane exp and tanh (and, in nn/blas, the AVX-512 GEMM).
	AVX512
)

// nativeTop is the level an empty $HEPFLOW_CPU means: no cap.
const nativeTop = NEON
