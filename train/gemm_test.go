package train

import (
	"io"
	"log/slog"

	"hepflow/nn/blas"
)

// testGemm is the fastest backend this machine has, as users get it.
func testGemm() blas.Gemm { return blas.Default(1, slog.New(slog.NewTextHandler(io.Discard, nil))) }
