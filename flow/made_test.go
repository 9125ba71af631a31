package flow

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"hepflow/nn"
)

// TestMADEAutoregressive perturbs input i and checks that only outputs of
// degree > i+1 move, and that each of them does move for some input (the mask
// is not simply empty).
func TestMADEAutoregressive(t *testing.T) {
	for _, d := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprintf("D=%d", d), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(d), 1))
			made, err := NewMADE("m", d, []int{max(2*d, 4), max(2*d, 4)}, 2, nn.Tanh{}, rng)
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
	in, hid, out := MADEDegrees(4, []int{7}, 2)
	if fmt.Sprint(in) != "[1 2 3 4]" || fmt.Sprint(hid[0]) != "[1 1 1 2 2 3 3]" || fmt.Sprint(out) != "[1 2 3 4 1 2 3 4]" {
		t.Fatalf("degrees: in %v hidden %v out %v", in, hid, out)
	}
	masks := MADEMasks(4, []int{7}, 2)
	// hidden unit 5 (degree 3) sees inputs 1..3; output 3 (dimension 4) sees
	// hidden degree <= 3, output 2 (dimension 3) only degree <= 2.
	if masks[0][0*7+5] != 1 || masks[0][2*7+5] != 1 || masks[0][3*7+5] != 0 {
		t.Errorf("input mask wrong: %v", masks[0])
	}
	if masks[1][5*8+3] != 1 || masks[1][5*8+2] != 0 || masks[1][3*8+2] != 1 {
		t.Errorf("output mask wrong: %v", masks[1])
	}
}
