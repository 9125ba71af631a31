package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// TestMADEAutoregressive perturbs input i and checks that only outputs of
// degree > i+1 move, and that each of them does move for some input (the mask
// is not simply empty).
func TestMADEAutoregressive(t *testing.T) {
	for _, d := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprintf("D=%d", d), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(d), 1))
			made, err := NewMADE("m", d, 0, []int{max(2*d, 4), max(2*d, 4)}, 2, nn.Tanh{}, rng)
			if err != nil {
				t.Fatal(err)
			}
			x := randBatch(rng, 1, d)
			base := make([]float32, 2*d)
			made.Forward(testGemm(), base, x, 1)
			moved := make([]bool, 2*d)
			out := make([]float32, 2*d)
			for i := 0; i < d; i++ {
				xp := append([]float32(nil), x...)
				xp[i] += 0.7
				made.Forward(testGemm(), out, xp, 1)
				for j := range out {
					deg := j%d + 1
					changed := out[j] != base[j]
					if changed && deg <= i+1 {
						t.Errorf("output %d (dimension %d) depends on input %d", j, deg, i+1)
					}
					moved[j] = moved[j] || changed
				}
			}
			for j := range moved {
				if deg := j%d + 1; deg > 1 && !moved[j] {
					t.Errorf("output %d (dimension %d) depends on no earlier input", j, deg)
				}
			}
		})
	}
}

func TestMADEMaskDegrees(t *testing.T) {
	in, hid, out := MADEDegrees(4, 0, []int{7}, 2)
	if fmt.Sprint(in) != "[1 2 3 4]" || fmt.Sprint(hid[0]) != "[1 1 1 2 2 3 3]" || fmt.Sprint(out) != "[1 2 3 4 1 2 3 4]" {
		t.Fatalf("degrees: in %v hidden %v out %v", in, hid, out)
	}
	masks := MADEMasks(4, 0, []int{7}, 2)
	// hidden unit 5 (degree 3) sees inputs 1..3; output 3 (dimension 4) sees
	// hidden degree <= 3, output 2 (dimension 3) only degree <= 2.
	if masks[0][0*7+5] != 1 || masks[0][2*7+5] != 1 || masks[0][3*7+5] != 0 {
		t.Errorf("input mask wrong: %v", masks[0])
	}
	if masks[1][5*8+3] != 1 || masks[1][5*8+2] != 0 || masks[1][3*8+2] != 1 {
		t.Errorf("output mask wrong: %v", masks[1])
	}
}

// TestMADEFastPathMatchesReference: the block-skipping masked products
// (nn.Dense's mask spans, used by the backends that implement blas.Ranged:
// the AVX-512 one) at the standard MAF shapes, D=28 and hidden [128,128],
// with every weight non-zero before masking so that a skipped block that is
// not all zeros shows. Forward outputs, parameter gradients (accumulated on
// top of earlier ones) and input gradients must match a plain float64 dense
// reference of the masked network, whose masks are rebuilt here from the
// degree rule, and the pure-Go backend, which ignores the spans.
func TestMADEFastPathMatchesReference(t *testing.T) {
	const d = 28
	hidden := []int{128, 128}
	// Tolerances, relative to the largest entry of each tensor: float32
	// sums of k <= 128 terms carry ~sqrt(k)*6e-8 ~ 1e-6 of their scale, and
	// the backward pass is three products deep (measured worst: 9e-7 of
	// the scale against the reference, the float32 sum of 517 bias
	// gradients, and 9e-7 between backends). One weight skipped wrongly
	// moves an entry by ~1/sqrt(128) ~ 10% of a typical one.
	const refTol, backendTol = 2e-5, 1e-5
	// ReLU: rows are drawn until no hidden pre-activation is within
	// kinkMargin of zero (float32 errors on them are ~1e-5 at most), so
	// every backend and the reference agree on each unit's state.
	const kinkMargin = 1e-3

	backends := []blas.Gemm{blas.NewGo(3)}
	if blas.HasAVX512() {
		for _, threads := range []int{1, 3} { // 3: tiles split across workers
			g, _ := blas.NewAVX512(threads)
			backends = append(backends, g)
		}
	} else {
		t.Log("no AVX-512 on this machine: its span-skipping path is not tested")
	}
	for _, threads := range []int{1, 3} {
		if g, err := blas.NewAVX2(threads); err == nil {
			backends = append(backends, g)
		}
		if g, err := blas.NewNEON(threads); err == nil {
			backends = append(backends, g)
		}
	}
	if o, err := blas.LoadOpenBLAS(1); err == nil {
		backends = append(backends, o)
	}
	pure := blas.NewGo(1)

	_, degHid, degOut := MADEDegrees(d, 0, hidden, 2)
	degs := append([][]int{make([]int, d)}, degHid...)
	for i := range degs[0] {
		degs[0][i] = i + 1
	}
	degs = append(degs, degOut)

	for _, act := range []nn.Activation{nn.ReLU{}, nn.Tanh{}} {
		rng := rand.New(rand.NewPCG(28, 128))
		made, err := NewMADE("m", d, 0, hidden, 2, act, rng)
		if err != nil {
			t.Fatal(err)
		}
		ref := newMLP64(made)
		for l, layer := range made.Layers {
			// The design's rule: hidden W[i][j] = 1 if d_j >= d_i, output
			// W[i][j] = 1 if d_j > d_i (i an input of the layer, j an output).
			strict := l == len(made.Layers)-1
			mask := make([]float64, layer.In*layer.Out)
			for i, di := range degs[l] {
				for j, dj := range degs[l+1] {
					if dj > di || (!strict && dj == di) {
						mask[i*layer.Out+j] = 1
					}
				}
			}
			ref.mask[l] = mask
			// Noisy weights, non-zero everywhere before masking.
			sd := 1 / math.Sqrt(float64(layer.In))
			for i := range layer.W.Value {
				for layer.W.Value[i] == 0 {
					layer.W.Value[i] = float32(sd * rng.NormFloat64())
				}
			}
			for i := range layer.B.Value {
				layer.B.Value[i] = float32(0.3 * rng.NormFloat64())
			}
			layer.W.ApplyMask()
			for i, m := range layer.W.Mask {
				if float64(m) != mask[i] {
					t.Fatalf("layer %d: mask[%d] = %g, the degree rule gives %g", l, i, m, mask[i])
				}
			}
			copy(ref.w[l], to64(layer.W.Value))
			copy(ref.b[l], to64(layer.B.Value))
		}
		params := made.Params()

		for _, rows := range []int{512, 1, 13, 517} {
			t.Run(fmt.Sprintf("%s/rows=%d", act.Name(), rows), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(rows), 5))
				x := randBatch(rng, rows, d)
				pending := make([]int, rows) // rows still to screen
				for r := range pending {
					pending[r] = r
				}
				for try := 0; act.Name() == "relu" && len(pending) > 0; try++ {
					if try == 100 {
						t.Fatalf("no rows with every pre-activation %g away from a ReLU kink", kinkMargin)
					}
					sub := make([]float64, 0, len(pending)*d)
					for _, r := range pending {
						sub = append(sub, to64(x[r*d:r*d+d])...)
					}
					_, pre, _ := ref.forward(sub, len(pending))
					var next []int
					for k, r := range pending {
						for _, p := range pre {
							n := len(p) / len(pending)
							if minAbs([][]float64{p[k*n : k*n+n]}) <= kinkMargin {
								for i := r * d; i < r*d+d; i++ {
									x[i] = float32(rng.NormFloat64())
								}
								next = append(next, r)
								break
							}
						}
					}
					pending = next
				}
				gout := randBatch(rng, rows, 2*d)
				prior := make([][]float32, len(params))
				for k, p := range params {
					prior[k] = randBatch(rng, 1, len(p.Grad))
					for i := range prior[k] {
						if p.Mask != nil && p.Mask[i] == 0 {
							prior[k][i] = 0
						}
					}
				}

				x64 := to64(x)
				out64, pre, post := ref.forward(x64, rows)
				gx64, gw64, gb64 := ref.backward(x64, pre, post, to64(gout), rows)
				want := [][]float64{out64, gx64}
				for l := range gw64 {
					want = append(want, gw64[l], gb64[l])
				}
				for k := range params {
					for i, v := range prior[k] {
						want[2+k][i] += float64(v)
					}
				}
				names := []string{"output", "dL/dx"}
				for _, p := range params {
					names = append(names, "dL/d"+p.Name)
				}

				// run returns the output, dL/dx and the accumulated
				// parameter gradients on backend g.
				run := func(g blas.Gemm) [][]float32 {
					out, gx := make([]float32, rows*2*d), make([]float32, rows*d)
					for k, p := range params {
						copy(p.Grad, prior[k])
					}
					made.Forward(g, out, x, rows)
					made.Backward(g, gx, gout, rows)
					res := [][]float32{out, gx}
					for _, p := range params {
						res = append(res, append([]float32(nil), p.Grad...))
					}
					return res
				}
				base := run(pure)
				for _, g := range append([]blas.Gemm{pure}, backends...) {
					got := run(g)
					name := g.Name()
					if th, ok := g.(interface{ Threads() int }); ok {
						name = fmt.Sprintf("%s/%d threads", name, th.Threads())
					}
					for k := range got {
						var scale float64
						for _, v := range want[k] {
							scale = math.Max(scale, math.Abs(v))
						}
						for i, v := range got[k] {
							if math.Abs(float64(v)-want[k][i]) > refTol*scale {
								t.Fatalf("%s: %s[%d] = %.7g, float64 reference %.7g", name, names[k], i, v, want[k][i])
							}
							if math.Abs(float64(v-base[k][i])) > backendTol*scale {
								t.Fatalf("%s: %s[%d] = %.7g, pure Go %.7g", name, names[k], i, v, base[k][i])
							}
							if k >= 2 && params[k-2].Mask != nil && params[k-2].Mask[i] == 0 && v != 0 {
								t.Fatalf("%s: %s[%d] is masked but has gradient %g", name, names[k], i, v)
							}
						}
					}
				}
			})
		}
	}
}
