package flow

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"hepflow/nn"
	"hepflow/nn/blas"
	"hepflow/nn/vec"
)

// childLevelEnv marks a test binary that forEachCPULevel started: it runs
// the test at the level $HEPFLOW_CPU names and starts no further children.
const childLevelEnv = "HEPFLOW_TEST_CPU_CHILD"

// forEachCPULevel runs the test named by name (the caller) once more in a
// child process for each CPU feature level below this machine's (AVX2 and
// generic on an AVX-512 CPU), with $HEPFLOW_CPU set, since the level is
// fixed when a program starts. In the child it checks that the level took.
func forEachCPULevel(t *testing.T, name string) {
	t.Helper()
	if want := os.Getenv(childLevelEnv); want != "" {
		if got := vec.CPU().String(); got != want {
			t.Fatalf("%s=%s: kernels at level %s", vec.EnvCPU, want, got)
		}
		if blas.HasAVX512() != (vec.CPU() >= vec.AVX512) {
			t.Fatalf("%s=%s: AVX-512 GEMM available: %v", vec.EnvCPU, want, blas.HasAVX512())
		}
		return
	}
	for l := vec.Generic; l < vec.CPU(); l++ {
		t.Run("cpu="+l.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), vec.EnvCPU+"="+l.String(), childLevelEnv+"="+l.String())
			out, err := cmd.CombinedOutput()
			if errors.Is(err, syscall.ENOEXEC) {
				// Under an emulator without binfmt_misc (qemu-user in
				// .ci/arm64, which sets the child's environment itself).
				t.Skipf("cannot re-run the test binary here: %v", err)
			}
			if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
				t.Fatalf("at %s=%s: %v\n%s", vec.EnvCPU, l, err, out)
			}
			for _, line := range strings.Split(string(out), "\n") {
				if strings.Contains(line, "--- ") || strings.Contains(line, "CPU level") {
					t.Log(strings.TrimSpace(line))
				}
			}
		})
	}
}

// gemmBackends returns one single-threaded Gemm of each kind this machine
// (and $HEPFLOW_CPU) can run: pure Go always, the AVX-512, AVX2 and NEON
// kernels and OpenBLAS where available.
func gemmBackends(t *testing.T) []blas.Gemm {
	gs := []blas.Gemm{blas.NewGo(1)}
	if g, err := blas.NewAVX512(1); err == nil {
		gs = append(gs, g)
	}
	if g, err := blas.NewAVX2(1); err == nil {
		gs = append(gs, g)
	}
	if g, err := blas.NewNEON(1); err == nil {
		gs = append(gs, g)
	}
	if g, err := blas.LoadOpenBLAS(1); err == nil {
		gs = append(gs, g)
	} else if os.Getenv("HEPFLOW_REQUIRE_OPENBLAS") == "1" {
		t.Fatalf("OpenBLAS required: %v", err)
	} else {
		t.Logf("OpenBLAS not tested: %v", err)
	}
	return gs
}

// TestWorkersAgreeWithOne: the parallel paths must give what one worker
// gives, densities and samples to the last bit, on every GEMM backend and at
// every CPU feature level this machine has (a GEMM may give a row other bits
// when called with another number of rows, and the vector kernels cut bodies
// and tails by length, so worker parts must not change the chunks a row is
// computed in).
func TestWorkersAgreeWithOne(t *testing.T) {
	forEachCPULevel(t, "TestWorkersAgreeWithOne")
	t.Logf("CPU level %v", vec.CPU())
	for _, g := range gemmBackends(t) {
		t.Run(g.Name(), func(t *testing.T) {
			for _, kind := range []string{"maf", "realnvp"} {
				// 1000 rows: three workers get parts that are not whole
				// chunks of densityRows; 200 and 70: two workers, one.
				for _, rows := range []int{1000, 200, 70} {
					workersAgree(t, g, kind, rows)
				}
			}
		})
	}
}

func workersAgree(t *testing.T, g blas.Gemm, kind string, rows int) {
	t.Helper()
	spec := Spec{Kind: kind, Dim: 6, Blocks: 3, Hidden: []int{16, 16}, Activation: "relu", Seed: 9}
	one, err := Build(spec, g)
	if err != nil {
		t.Fatal(err)
	}
	many, _ := Build(spec, g)
	if err := many.SetWorkers(3); err != nil {
		t.Fatal(err)
	}
	for _, tr := range one.Transforms {
		scrambleBy(tr, 5, 0.1)
	}
	for _, tr := range many.Transforms {
		scrambleBy(tr, 5, 0.1)
	}
	x := randBatch(rand.New(rand.NewPCG(1, 1)), rows, 6)
	w := make([]float64, rows)
	for i := range w {
		w[i] = float64(i%3) - 0.5
	}
	nn.ZeroGrad(one.Params())
	nn.ZeroGrad(many.Params())
	l1 := one.NLLGrad(x, nil, w, rows, 300)
	l2 := many.NLLGrad(x, nil, w, rows, 300)
	if !near(l1, l2, 1e-9, 1e-9) {
		t.Fatalf("%s, %d rows: loss %g with one worker, %g with three", kind, rows, l1, l2)
	}
	p1, p2 := one.Params(), many.Params()
	for i := range p1 {
		for k := range p1[i].Grad {
			if !near(float64(p1[i].Grad[k]), float64(p2[i].Grad[k]), 1e-4, 1e-6) {
				t.Fatalf("%s, %d rows: grad %s[%d]: %g vs %g", kind, rows, p1[i].Name, k, p1[i].Grad[k], p2[i].Grad[k])
			}
		}
	}
	lp1, lp2 := make([]float64, rows), make([]float64, rows)
	one.LogProb(lp1, x, nil, rows)
	many.LogProb(lp2, x, nil, rows)
	for r := range lp1 {
		if lp1[r] != lp2[r] {
			t.Fatalf("%s, %d rows: log p[%d] %v vs %v", kind, rows, r, lp1[r], lp2[r])
		}
	}
	n1, n2 := one.NLL(x, nil, w, rows, 300), many.NLL(x, nil, w, rows, 300)
	if !near(n1, n2, 1e-13, 1e-13) {
		t.Fatalf("%s, %d rows: NLL %v with one worker, %v with three", kind, rows, n1, n2)
	}
	s1, s2 := make([]float32, 3000*6), make([]float32, 3000*6)
	one.Sample(s1, nil, 3000, rand.New(rand.NewPCG(4, 4)))
	many.Sample(s2, nil, 3000, rand.New(rand.NewPCG(4, 4)))
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("%s: sample[%d] %g vs %g: events depend on the number of workers", kind, i, s1[i], s2[i])
		}
	}
}

// TestSplitChunks: the density paths' parts start at multiples of
// densityRows, cover the rows, and use no more workers than there are
// chunks (or rows for minRowsPerWorker).
func TestSplitChunks(t *testing.T) {
	f := &Flow{reps: make([]*Flow, 2)} // three workers
	for _, tc := range []struct {
		rows, unit int
		want       []int
	}{
		{0, densityRows, []int{0, 0}},
		{100, densityRows, []int{0, 100}},
		{200, densityRows, []int{0, 192, 200}},
		{1000, densityRows, []int{0, 384, 768, 1000}},
		{1000, 1, []int{0, 333, 666, 1000}},
		{100, 1, []int{0, 100}},
		{130, 1, []int{0, 65, 130}},
	} {
		got := f.split(tc.rows, tc.unit)
		if len(got) != len(tc.want) {
			t.Fatalf("split(%d, %d) = %v, want %v", tc.rows, tc.unit, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("split(%d, %d) = %v, want %v", tc.rows, tc.unit, got, tc.want)
			}
		}
	}
}
