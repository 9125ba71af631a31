package nn

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// TestAdamFirstStep: with bias correction the first update of every entry
// is lr*sign(g) (up to eps), whatever the gradient's size.
func TestAdamFirstStep(t *testing.T) {
	p := NewParam("p", 3)
	copy(p.Value, []float32{1, 1, 1})
	copy(p.Grad, []float32{1e-3, -5, 200})
	a := NewAdam([]*Param{p}, 0.01, 0)
	a.Step()
	want := []float32{0.99, 1.01, 0.99}
	for i, w := range want {
		if math.Abs(float64(p.Value[i]-w)) > 1e-5 {
			t.Fatalf("entry %d: %g after one step, want %g", i, p.Value[i], w)
		}
	}
}

// TestAdamMinimisesQuadratic and keeps masked entries at zero; weight decay
// shrinks the optimum towards 0 by the expected factor.
func TestAdamMinimisesQuadratic(t *testing.T) {
	for _, wd := range []float64{0, 0.5} {
		p := NewParam("p", 2)
		p.Mask = []float32{1, 0}
		target := float32(3)
		a := NewAdam([]*Param{p}, 0.05, wd)
		for i := 0; i < 3000; i++ {
			ZeroGrad([]*Param{p})
			p.Grad[0] = 2 * (p.Value[0] - target)
			p.Grad[1] = 1 // masked: must be ignored
			p.maskGrad()
			a.Step()
		}
		// AdamW's fixed point: lr*wd*w = lr*m/sqrt(v) -> with g -> 0 near the
		// optimum the decay pulls w below the target; without decay it is the target.
		if wd == 0 && math.Abs(float64(p.Value[0]-target)) > 1e-2 {
			t.Fatalf("minimum found at %g, want %g", p.Value[0], target)
		}
		if wd > 0 && !(p.Value[0] < target-0.05 && p.Value[0] > 0) {
			t.Fatalf("weight decay %g left the minimum at %g", wd, p.Value[0])
		}
		if p.Value[1] != 0 {
			t.Fatalf("masked entry moved to %g", p.Value[1])
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	p := NewParam("p", 2)
	copy(p.Grad, []float32{3, 4})
	if n := ClipGradNorm([]*Param{p}, 1); math.Abs(n-5) > 1e-6 {
		t.Fatalf("norm before clipping %g, want 5", n)
	}
	if math.Abs(GradNorm([]*Param{p})-1) > 1e-6 || math.Abs(float64(p.Grad[0])-0.6) > 1e-6 {
		t.Fatalf("clipped gradient %v", p.Grad)
	}
	ClipGradNorm([]*Param{p}, 10)
	if math.Abs(GradNorm([]*Param{p})-1) > 1e-6 {
		t.Fatal("a norm below the bound was changed")
	}
}

func TestSchedules(t *testing.T) {
	c, _ := ScheduleByName("cosine", 1e-3, 1000)
	if c.LR(0) != 1e-3 || math.Abs(c.LR(500)-(1e-5+0.5*(1e-3-1e-5))) > 1e-12 || math.Abs(c.LR(1000)-1e-5) > 1e-12 {
		t.Fatalf("cosine: %g %g %g", c.LR(0), c.LR(500), c.LR(1000))
	}
	s, _ := ScheduleByName("step", 1, 400)
	if s.LR(99) != 1 || s.LR(100) != 0.5 || s.LR(250) != 0.25 {
		t.Fatalf("step: %g %g %g", s.LR(99), s.LR(100), s.LR(250))
	}
	w := Cosine{Base: 1, Min: 0, Warmup: 10, Steps: 110}
	if w.LR(0) != 0.1 || w.LR(9) != 1 {
		t.Fatalf("warm-up: %g %g", w.LR(0), w.LR(9))
	}
	if _, err := ScheduleByName("exp", 1, 1); err == nil {
		t.Fatal("unknown schedule accepted")
	}
}

func TestSafetensorsRejectsBadFiles(t *testing.T) {
	file := func(header string, data int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
		return append(append(b, header...), make([]byte, data)...)
	}
	for name, c := range map[string]struct {
		b    []byte
		want string
	}{
		"short":       {[]byte{1, 2}, "shorter than"},
		"zero header": {make([]byte, 16), "header length"},
		"not json":    {file("{{{{{", 0), "not JSON"},
		"bad dtype":   {file(`{"w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, 2), "F32 only"},
		"bad offsets": {file(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), "do not match"},
	} {
		if _, _, err := ReadSafetensors(c.b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, c.want)
		}
	}
	ok := file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4)
	if _, _, err := ReadSafetensors(ok); err != nil {
		t.Fatalf("a valid file refused: %v", err)
	}
}
