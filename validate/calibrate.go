package validate

import "math"

// Platt is a Platt-scaling calibrator: P(class 1 | s) = sigmoid(A*logit(s) + B)
// for a raw classifier output s in (0, 1).
type Platt struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// Apply returns the calibrated probability of a raw score.
func (p Platt) Apply(s float64) float64 { return sigmoid(p.A*logit(s) + p.B) }

// LogRatio returns log D/(1-D) of the calibrated probability D, i.e. the log
// density ratio log p1(x)/p0(x) when the classes have equal priors.
func (p Platt) LogRatio(s float64) float64 { return p.A*logit(s) + p.B }

// FitPlatt fits Platt scaling on raw scores s with labels y in {0,1} and
// optional weights w, by Newton's method with backtracking on the
// regularised targets of Platt (1999): y=1 -> (N1+1)/(N1+2), y=0 -> 1/(N0+2)
// (N = summed weights), which keeps A and B finite for separable scores
// (H.-T. Lin, C.-J. Lin, R. C. Weng, Mach. Learn. 68 (2007) 267).
func FitPlatt(s, y, w []float64) Platt {
	var n1, n0 float64
	wt := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	for i := range s {
		if y[i] > 0.5 {
			n1 += wt(i)
		} else {
			n0 += wt(i)
		}
	}
	hi, lo := (n1+1)/(n1+2), 1/(n0+2)
	f := make([]float64, len(s))
	t := make([]float64, len(s))
	for i := range s {
		f[i] = logit(s[i])
		t[i] = lo
		if y[i] > 0.5 {
			t[i] = hi
		}
	}
	loss := func(a, b float64) float64 {
		var l float64
		for i := range f {
			z := a*f[i] + b
			l += wt(i) * (softplus(z) - t[i]*z)
		}
		return l
	}
	a, b := 1.0, 0.0
	cur := loss(a, b)
	for range 100 {
		var ga, gb, haa, hab, hbb float64
		for i := range f {
			q := sigmoid(a*f[i] + b)
			g := wt(i) * (q - t[i])
			h := wt(i) * q * (1 - q)
			ga += g * f[i]
			gb += g
			haa += h * f[i] * f[i]
			hab += h * f[i]
			hbb += h
		}
		// Tiny ridge keeps the 2x2 system solvable for degenerate scores.
		haa += 1e-12
		hbb += 1e-12
		det := haa*hbb - hab*hab
		if !(det > 0) {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		step := 1.0
		var na, nb, nl float64
		for range 30 {
			na, nb = a-step*da, b-step*db
			if nl = loss(na, nb); nl <= cur {
				break
			}
			step /= 2
		}
		if nl > cur {
			break
		}
		dec := cur - nl
		a, b, cur = na, nb, nl
		if dec < 1e-12*math.Max(1, math.Abs(cur)) {
			break
		}
	}
	return Platt{A: a, B: b}
}
