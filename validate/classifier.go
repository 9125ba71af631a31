package validate

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Classifier is a probabilistic binary classifier for the two-sample test.
// Fit trains on rows x cols row-major features x with labels y in {0, 1}
// and optional per-event weights w (nil = unit). Predict writes P(class 1 | x)
// for each of rows events of x into dst (len rows). A fitted classifier must
// be safe to call Predict on from one goroutine at a time.
type Classifier interface {
	Fit(ctx context.Context, x []float64, rows, cols int, y, w []float64) error
	Predict(dst, x []float64, rows int)
}

// Logistic is L2-regularised logistic regression fitted by Newton's method
// (IRLS) on internally standardised features: a fast, deterministic
// baseline classifier. It detects shifts of means (and, through the
// correlations, of linear structure), not changes of shape; use a neural
// classifier for those.
type Logistic struct {
	// L2 is the ridge penalty on the standardised coefficients, per unit of
	// (normalised) weight; 0 means 1e-6, enough to keep separable data finite.
	L2 float64
	// MaxIter bounds the Newton steps (0 means 50).
	MaxIter int

	cols  int
	mean  []float64
	scale []float64
	beta  []float64 // intercept first, then one per standardised feature
}

// Coefficients returns the fitted intercept and per-feature coefficients in
// the original (unstandardised) units.
func (l *Logistic) Coefficients() (intercept float64, coef []float64) {
	if l.beta == nil {
		return 0, nil
	}
	intercept = l.beta[0]
	coef = make([]float64, l.cols)
	for j := range coef {
		coef[j] = l.beta[j+1] / l.scale[j]
		intercept -= coef[j] * l.mean[j]
	}
	return intercept, coef
}

// Fit implements Classifier.
func (l *Logistic) Fit(ctx context.Context, x []float64, rows, cols int, y, w []float64) error {
	if rows <= 0 || cols <= 0 || len(x) != rows*cols || len(y) != rows || (w != nil && len(w) != rows) {
		return fmt.Errorf("logistic: inconsistent shapes (x %d, rows %d, cols %d, y %d)", len(x), rows, cols, len(y))
	}
	lambda := l.L2
	if lambda <= 0 {
		lambda = 1e-6
	}
	maxIter := l.MaxIter
	if maxIter <= 0 {
		maxIter = 50
	}
	wt := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	var sw float64
	for i := range rows {
		sw += wt(i)
	}
	if sw <= 0 {
		return errors.New("logistic: total weight is not positive")
	}
	l.cols = cols
	l.mean, l.scale = make([]float64, cols), make([]float64, cols)
	for i := range rows {
		for j, v := range x[i*cols : (i+1)*cols] {
			l.mean[j] += wt(i) * v
		}
	}
	for j := range l.mean {
		l.mean[j] /= sw
	}
	for i := range rows {
		for j, v := range x[i*cols : (i+1)*cols] {
			d := v - l.mean[j]
			l.scale[j] += wt(i) * d * d
		}
	}
	for j := range l.scale {
		l.scale[j] = math.Sqrt(l.scale[j] / sw)
		if !(l.scale[j] > 0) {
			l.scale[j] = 1
		}
	}

	p := cols + 1
	beta := make([]float64, p)
	grad := make([]float64, p)
	hess := mat.NewSymDense(p, nil)
	z := make([]float64, p)
	z[0] = 1
	feat := func(i int) []float64 {
		for j, v := range x[i*cols : (i+1)*cols] {
			z[j+1] = (v - l.mean[j]) / l.scale[j]
		}
		return z
	}
	loss := func(b []float64) float64 {
		var s float64
		for i := range rows {
			f := dot(b, feat(i))
			// log(1+e^f) - y f, computed without overflow.
			s += wt(i) * (softplus(f) - y[i]*f)
		}
		s /= sw
		for _, v := range b[1:] {
			s += 0.5 * lambda * v * v
		}
		return s
	}
	cur := loss(beta)
	hd := make([]float64, p*p)
	for range maxIter {
		if err := ctx.Err(); err != nil {
			return err
		}
		clear(grad)
		clear(hd)
		for i := range rows {
			zi := feat(i)
			q := sigmoid(dot(beta, zi))
			g := wt(i) * (q - y[i]) / sw
			h := wt(i) * q * (1 - q) / sw
			for a := range p {
				grad[a] += g * zi[a]
				ha := h * zi[a]
				row := hd[a*p:]
				for b := a; b < p; b++ {
					row[b] += ha * zi[b]
				}
			}
		}
		for a := range p {
			if a > 0 {
				grad[a] += lambda * beta[a]
				hd[a*p+a] += lambda
			}
			for b := a; b < p; b++ {
				hess.SetSym(a, b, hd[a*p+b])
			}
		}
		hess.SetSym(0, 0, hd[0]+1e-12)
		var chol mat.Cholesky
		if !chol.Factorize(hess) {
			return errors.New("logistic: Hessian not positive definite")
		}
		var step mat.VecDense
		if err := chol.SolveVecTo(&step, mat.NewVecDense(p, grad)); err != nil {
			return fmt.Errorf("logistic: newton step: %w", err)
		}
		// Damped Newton: halve the step until the loss does not increase.
		next := make([]float64, p)
		t := 1.0
		var nl float64
		for range 30 {
			for a := range p {
				next[a] = beta[a] - t*step.AtVec(a)
			}
			if nl = loss(next); nl <= cur {
				break
			}
			t /= 2
		}
		if nl > cur {
			break
		}
		copy(beta, next)
		dec := cur - nl
		cur = nl
		if dec < 1e-12*math.Max(1, cur) {
			break
		}
	}
	l.beta = beta
	return nil
}

// Predict implements Classifier.
func (l *Logistic) Predict(dst, x []float64, rows int) {
	for i := range rows {
		f := l.beta[0]
		for j, v := range x[i*l.cols : (i+1)*l.cols] {
			f += l.beta[j+1] * (v - l.mean[j]) / l.scale[j]
		}
		dst[i] = sigmoid(f)
	}
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func sigmoid(f float64) float64 {
	if f >= 0 {
		return 1 / (1 + math.Exp(-f))
	}
	e := math.Exp(f)
	return e / (1 + e)
}

// softplus is log(1 + e^f) without overflow.
func softplus(f float64) float64 {
	if f > 0 {
		return f + math.Log1p(math.Exp(-f))
	}
	return math.Log1p(math.Exp(f))
}

// logit is log(p/(1-p)) with p clamped away from 0 and 1.
func logit(p float64) float64 {
	const eps = 1e-15
	p = math.Min(math.Max(p, eps), 1-eps)
	return math.Log(p) - math.Log1p(-p)
}
