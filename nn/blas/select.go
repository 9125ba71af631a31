package blas

import (
	"fmt"
	"log/slog"
)

// EnvVar names the environment variable whose value callers pass to Select
// to force a backend: "go" or "openblas" (empty means Default).
const EnvVar = "HEPFLOW_BLAS"

// Default returns OpenBLAS when it loads and the pure-Go Gemm otherwise, in
// which case it logs one warning through logger (nil means slog.Default())
// saying so. threads <= 0 means runtime.GOMAXPROCS(0).
func Default(threads int, logger *slog.Logger) Gemm {
	return defaultWith(LoadOpenBLAS, threads, logger)
}

// defaultWith is Default with the loader as a parameter, so tests can see
// the fallback on machines that do have OpenBLAS.
func defaultWith(load func(int) (*OpenBLAS, error), threads int, logger *slog.Logger) Gemm {
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
// $HEPFLOW_BLAS: "" picks Default, "go" the pure-Go Gemm, "openblas"
// OpenBLAS or an error if it cannot be loaded. Any other name is an error.
func Select(name string, threads int, logger *slog.Logger) (Gemm, error) {
	switch name {
	case "":
		return Default(threads, logger), nil
	case "go":
		return NewGo(threads), nil
	case "openblas":
		o, err := LoadOpenBLAS(threads)
		if err != nil {
			return nil, fmt.Errorf("%s=openblas: %w", EnvVar, err)
		}
		return o, nil
	default:
		return nil, fmt.Errorf("%s=%q: unknown backend (want \"go\" or \"openblas\")", EnvVar, name)
	}
}
