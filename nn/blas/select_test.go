package blas

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"

	"hepflow/nn/vec"
)

func requireEnv() bool { return os.Getenv("HEPFLOW_REQUIRE_OPENBLAS") == "1" }

func TestOpenBLASLoads(t *testing.T) {
	o := requireOpenBLAS(t)
	if o.Name() != "openblas" || o.Path() == "" {
		t.Errorf("Name %q Path %q", o.Name(), o.Path())
	}
	if got := o.Threads(); got != 2 {
		t.Errorf("OpenBLAS threads = %d after LoadOpenBLAS(2)", got)
	}
	if _, err := LoadOpenBLAS(1); err != nil {
		t.Fatal(err)
	}
	if got := o.Threads(); got != 1 {
		t.Errorf("OpenBLAS threads = %d after LoadOpenBLAS(1)", got)
	}
	requireOpenBLAS(t) // back to 2 for the other tests
}

func TestDefaultFallsBackWithOneWarning(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	fail := func(int) (*OpenBLAS, error) { return nil, errors.New("no such library") }
	g := defaultWith(false, false, false, fail, 2, logger)
	if g.Name() != "go" {
		t.Fatalf("fallback is %q", g.Name())
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "OpenBLAS not found") {
		t.Fatalf("want one warning, got %q", buf.String())
	}
}

func TestDefaultPrefersOpenBLAS(t *testing.T) {
	requireOpenBLAS(t)
	var buf bytes.Buffer
	g := defaultWith(false, false, false, LoadOpenBLAS, 2, slog.New(slog.NewTextHandler(&buf, nil)))
	if g.Name() != "openblas" || buf.Len() != 0 {
		t.Fatalf("Default without AVX-512, AVX2 and NEON = %q, log %q", g.Name(), buf.String())
	}
}

// TestDefaultPrefersAVX2: without AVX-512 (or with HEPFLOW_CPU=avx2) the
// AVX2 kernels come before OpenBLAS, and without AVX2 they are not picked.
func TestDefaultPrefersAVX2(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	g := defaultWith(false, HasAVX2(), false, LoadOpenBLAS, 2, logger)
	if HasAVX2() && (g.Name() != "avx2" || buf.Len() != 0) {
		t.Fatalf("Default on an AVX2 CPU without AVX-512 = %q, log %q", g.Name(), buf.String())
	}
	if !HasAVX2() && g.Name() == "avx2" {
		t.Fatal("Default picked AVX2 on a CPU without it")
	}
	g = Default(2, logger)
	if !HasAVX512() && HasAVX2() && g.Name() != "avx2" {
		t.Fatalf("Default with AVX2 and no AVX-512 (HEPFLOW_CPU=%q) = %q", os.Getenv("HEPFLOW_CPU"), g.Name())
	}
}

// TestDefaultPrefersNEON: on arm64 the NEON kernels come before OpenBLAS
// (unless HEPFLOW_CPU=generic), and elsewhere they are never picked.
func TestDefaultPrefersNEON(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	g := defaultWith(false, false, HasNEON(), LoadOpenBLAS, 2, logger)
	if HasNEON() && (g.Name() != "neon" || buf.Len() != 0) {
		t.Fatalf("Default with NEON = %q, log %q", g.Name(), buf.String())
	}
	if !HasNEON() && g.Name() == "neon" {
		t.Fatal("Default picked NEON on a machine without it")
	}
	g = Default(2, logger)
	if HasNEON() && g.Name() != "neon" {
		t.Fatalf("Default on arm64 (HEPFLOW_CPU=%q) = %q", os.Getenv("HEPFLOW_CPU"), g.Name())
	}
	// Every AArch64 CPU has Advanced SIMD, so only HEPFLOW_CPU=generic may
	// turn the kernels off there: a false here would silently test nothing.
	if want := runtime.GOARCH == "arm64" && vec.Allowed(vec.NEON) && neonBuilt; HasNEON() != want {
		t.Fatalf("HasNEON() = %v on %s with HEPFLOW_CPU=%q", HasNEON(), runtime.GOARCH, os.Getenv("HEPFLOW_CPU"))
	}
}

func TestDefaultPrefersAVX512(t *testing.T) {
	var buf bytes.Buffer
	g := Default(2, slog.New(slog.NewTextHandler(&buf, nil)))
	if HasAVX512() && (g.Name() != "avx512" || buf.Len() != 0) {
		t.Fatalf("Default on an AVX-512 CPU = %q, log %q", g.Name(), buf.String())
	}
	if !HasAVX512() && g.Name() == "avx512" {
		t.Fatal("Default picked AVX-512 on a CPU without it")
	}
}

func TestSelect(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	g, err := Select("go", 2, logger)
	if err != nil || g.Name() != "go" {
		t.Fatalf("Select(go) = %v, %v", g, err)
	}
	if _, err := Select("cuda", 2, logger); err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Fatalf("Select(cuda) error = %v", err)
	}
	g, err = Select("", 2, logger)
	if err != nil || g == nil {
		t.Fatalf("Select(\"\") = %v, %v", g, err)
	}
	g, err = Select("avx512", 2, logger)
	switch {
	case HasAVX512() && (err != nil || g.Name() != "avx512"):
		t.Fatalf("Select(avx512) = %v, %v", g, err)
	case !HasAVX512() && (err == nil || !errors.Is(err, ErrNoAVX512)):
		t.Fatalf("Select(avx512) without AVX-512: %v", err)
	}
	g, err = Select("avx2", 2, logger)
	switch {
	case HasAVX2() && (err != nil || g.Name() != "avx2"):
		t.Fatalf("Select(avx2) = %v, %v", g, err)
	case !HasAVX2() && (err == nil || !errors.Is(err, ErrNoAVX2)):
		t.Fatalf("Select(avx2) without AVX2: %v", err)
	}
	g, err = Select("neon", 2, logger)
	switch {
	case HasNEON() && (err != nil || g.Name() != "neon"):
		t.Fatalf("Select(neon) = %v, %v", g, err)
	case !HasNEON() && (err == nil || !errors.Is(err, ErrNoNEON)):
		t.Fatalf("Select(neon) without NEON: %v", err)
	}
	_, loadErr := LoadOpenBLAS(2)
	g, err = Select("openblas", 2, logger)
	switch {
	case loadErr == nil && (err != nil || g.Name() != "openblas"):
		t.Fatalf("Select(openblas) = %v, %v", g, err)
	case loadErr != nil && err == nil:
		t.Fatal("Select(openblas) succeeded without the library")
	}
}
