package nn

import (
	"fmt"
	"math"

	"hepflow/nn/vec"
)

// Adam is the Adam optimiser with bias correction and optional decoupled
// weight decay (AdamW). Masked entries receive zero gradient and, with zero
// initial moments, are never moved.
type Adam struct {
	LR          float64
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64

	params []*Param
	m, v   [][]float32
	t      int
}

// NewAdam returns Adam over ps with PyTorch's defaults (betas 0.9, 0.999, eps 1e-8).
func NewAdam(ps []*Param, lr, weightDecay float64) *Adam {
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay, params: ps}
	for _, p := range ps {
		a.m = append(a.m, make([]float32, len(p.Value)))
		a.v = append(a.v, make([]float32, len(p.Value)))
	}
	return a
}

// Steps is the number of updates made so far.
func (a *Adam) Steps() int { return a.t }

// AdamState is the optimiser's memory: the step count and the first and
// second moments of every parameter, in the order of the params.
type AdamState struct {
	T    int
	M, V [][]float32
}

// State returns a copy of the optimiser's memory (for a checkpoint).
func (a *Adam) State() AdamState {
	s := AdamState{T: a.t, M: make([][]float32, len(a.m)), V: make([][]float32, len(a.v))}
	for i := range a.m {
		s.M[i] = append([]float32(nil), a.m[i]...)
		s.V[i] = append([]float32(nil), a.v[i]...)
	}
	return s
}

// SetState restores a memory State returned, so that the next Step is the
// one the saved optimiser would have taken. It checks the shapes.
func (a *Adam) SetState(s AdamState) error {
	if len(s.M) != len(a.m) || len(s.V) != len(a.v) {
		return fmt.Errorf("optimiser state for %d/%d parameters, want %d", len(s.M), len(s.V), len(a.m))
	}
	for i := range a.m {
		if len(s.M[i]) != len(a.m[i]) || len(s.V[i]) != len(a.v[i]) {
			return fmt.Errorf("optimiser state of parameter %s: %d values, want %d", a.params[i].Name, len(s.M[i]), len(a.m[i]))
		}
	}
	if s.T < 0 {
		return fmt.Errorf("optimiser step count %d: want >= 0", s.T)
	}
	for i := range a.m {
		copy(a.m[i], s.M[i])
		copy(a.v[i], s.V[i])
	}
	a.t = s.T
	return nil
}

// Step applies one update from the gradients currently in the params.
// Masked entries have zero gradient and zero moments, so they do not move.
func (a *Adam) Step() {
	a.t++
	c1 := 1 - math.Pow(a.Beta1, float64(a.t))
	c2 := 1 - math.Pow(a.Beta2, float64(a.t))
	// lr_t folds both bias corrections into one scale, as PyTorch does.
	k := vec.Adam{
		Beta1: float32(a.Beta1),
		Beta2: float32(a.Beta2),
		LR:    float32(a.LR * math.Sqrt(c2) / c1),
		Eps:   float32(a.Eps * math.Sqrt(c2)),
		Decay: float32(1 - a.LR*a.WeightDecay),
	}
	for i, p := range a.params {
		vec.AdamStep(p.Value, p.Grad, a.m[i], a.v[i], k)
	}
}

// Schedule gives the learning rate for a step.
type Schedule interface {
	LR(step int) float64
}

// Constant is a fixed learning rate.
type Constant float64

// LR implements Schedule.
func (c Constant) LR(int) float64 { return float64(c) }

// Cosine anneals from Base to Min over Steps steps after Warmup linear steps.
type Cosine struct {
	Base, Min     float64
	Warmup, Steps int
}

// LR implements Schedule.
func (c Cosine) LR(step int) float64 {
	if step < c.Warmup {
		return c.Base * float64(step+1) / float64(c.Warmup)
	}
	if c.Steps <= c.Warmup {
		return c.Base
	}
	f := math.Min(1, float64(step-c.Warmup)/float64(c.Steps-c.Warmup))
	return c.Min + 0.5*(c.Base-c.Min)*(1+math.Cos(math.Pi*f))
}

// StepDecay multiplies Base by Gamma every Every steps.
type StepDecay struct {
	Base, Gamma float64
	Every       int
}

// LR implements Schedule.
func (s StepDecay) LR(step int) float64 {
	if s.Every <= 0 {
		return s.Base
	}
	return s.Base * math.Pow(s.Gamma, float64(step/s.Every))
}

// ScheduleByName builds a schedule: "constant", "cosine" (to 1% of base over
// total steps) or "step" (halving every quarter of the run).
func ScheduleByName(name string, base float64, total int) (Schedule, error) {
	switch name {
	case "", "constant":
		return Constant(base), nil
	case "cosine":
		return Cosine{Base: base, Min: base / 100, Steps: total}, nil
	case "step":
		return StepDecay{Base: base, Gamma: 0.5, Every: max(total/4, 1)}, nil
	}
	return nil, fmt.Errorf("unknown learning-rate schedule %q (want constant, cosine or step)", name)
}
