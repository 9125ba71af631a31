package blas

import (
	"fmt"
	"log/slog"
)

// EnvVar names the environment variable whose value callers pass to Select
// to force a backend: "avx512", "avx2", "neon", "openblas" or "go" (empty
// means Default).
const EnvVar = "HEPFLOW_BLAS"

// Default returns the fastest backend this machine has: the AVX-512 kernels
// when the CPU supports them (on full-width AVX-512 CPUs they run about
// twice as fast as OpenBLAS 0.3's AVX2 kernels), else the AVX2+FMA kernels
// (same results; they skip the zero blocks of masked layers, which OpenBLAS
// cannot), else on arm64 the NEON kernels (same results again, and the same
// skipping), else OpenBLAS when it loads, else the pure-Go Gemm, in which
// case it logs one warning through logger (nil means slog.Default()) saying
// so. $HEPFLOW_CPU (vec.EnvCPU) caps the kernels' level, so HEPFLOW_CPU=avx2
// picks the AVX2 kernels on an AVX-512 CPU, and HEPFLOW_CPU=generic rules
// out all three kernel families. threads <= 0 means runtime.GOMAXPROCS(0).
func Default(threads int, logger *slog.Logger) Gemm {
	return defaultWith(hasAVX512, hasAVX2, hasNEON, LoadOpenBLAS, threads, logger)
}

// defaultWith is Default with the CPU features and the loader as
// parameters, so tests can see every fallback on any machine.
func defaultWith(avx512, avx2, neon bool, load func(int) (*OpenBLAS, error), threads int, logger *slog.Logger) Gemm {
	if avx512 {
		if g, err := NewAVX512(threads); err == nil {
			return g
		}
	}
	if avx2 {
		if g, err := NewAVX2(threads); err == nil {
			return g
		}
	}
	if neon {
		if g, err := NewNEON(threads); err == nil {
			return g
		}
	}
	o, err := load(threads)
	if err == nil {
		return o
	}
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn("OpenBLAS not found; using the pure-Go matrix multiply, which is several times slower (install libopenblas0)",
		"err", err)
	return NewGo(threads)
}

// Select returns the backend named by name, normally the value of
// $HEPFLOW_BLAS: "" picks Default, "go" the portable pure-Go Gemm,
// "avx512" the AVX-512 kernels, "avx2" the AVX2+FMA kernels, "neon" the
// arm64 NEON kernels and "openblas" OpenBLAS, each of the last four or an
// error if this machine cannot run it. Any other name is an error.
func Select(name string, threads int, logger *slog.Logger) (Gemm, error) {
	switch name {
	case "":
		return Default(threads, logger), nil
	case "go":
		return NewGo(threads), nil
	case "avx512":
		g, err := NewAVX512(threads)
		if err != nil {
			return nil, fmt.Errorf("%s=avx512: %w", EnvVar, err)
		}
		return g, nil
	case "avx2":
		g, err := NewAVX2(threads)
		if err != nil {
			return nil, fmt.Errorf("%s=avx2: %w", EnvVar, err)
		}
		return g, nil
	case "neon":
		g, err := NewNEON(threads)
		if err != nil {
			return nil, fmt.Errorf("%s=neon: %w", EnvVar, err)
		}
		return g, nil
	case "openblas":
		o, err := LoadOpenBLAS(threads)
		if err != nil {
			return nil, fmt.Errorf("%s=openblas: %w", EnvVar, err)
		}
		return o, nil
	default:
		return nil, fmt.Errorf("%s=%q: unknown backend (want \"avx512\", \"avx2\", \"neon\", \"openblas\" or \"go\")", EnvVar, name)
	}
}
