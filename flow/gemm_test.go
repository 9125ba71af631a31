package flow

import (
	"io"
	"log/slog"

	"hepflow/nn/blas"
)

// testGemm is the backend the property tests run on: the fastest this
// machine has (AVX-512, else OpenBLAS, else pure Go), since that is what
// users get; TestBackendsAgree ties every other backend to the pure-Go one.
func testGemm() blas.Gemm { return blas.Default(1, slog.New(slog.NewTextHandler(io.Discard, nil))) }
