package validate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// MLP is the small neural classifier of the two-sample test, built from the
// flow engine's layers: standardised inputs, hidden layers with SiLU, one
// logit output, weighted binary cross-entropy, Adam, and early stopping on
// an internal validation split (the best weights are kept). Unlike Logistic
// it sees changes of shape and of non-linear correlations.
type MLP struct {
	Hidden   []int     // default [64, 64]
	Epochs   int       // maximum epochs, default 40
	Batch    int       // default 256
	LR       float64   // default 1e-3
	Patience int       // default 5 epochs
	Seed     uint64    // initial weights, shuffling and the validation split
	Gemm     blas.Gemm // default: pure Go, one thread

	cols        int
	mean, scale []float64
	net         *nn.MLP
	g           blas.Gemm
}

func (m *MLP) defaults() {
	if m.Hidden == nil {
		m.Hidden = []int{64, 64}
	}
	if m.Epochs == 0 {
		m.Epochs = 40
	}
	if m.Batch == 0 {
		m.Batch = 256
	}
	if m.LR == 0 {
		m.LR = 1e-3
	}
	if m.Patience == 0 {
		m.Patience = 5
	}
	m.g = m.Gemm
	if m.g == nil {
		m.g = blas.NewGo(1)
	}
}

// Fit implements Classifier.
func (m *MLP) Fit(ctx context.Context, x []float64, rows, cols int, y, w []float64) error {
	if rows < 4 || cols <= 0 || len(x) != rows*cols || len(y) != rows || (w != nil && len(w) != rows) {
		return fmt.Errorf("mlp classifier: inconsistent shapes (x %d, rows %d, cols %d, y %d)", len(x), rows, cols, len(y))
	}
	m.defaults()
	m.cols = cols
	m.mean, m.scale = standardisation(x, rows, cols)
	rng := rand.New(rand.NewPCG(m.Seed, 0xc1a5))
	net, err := nn.NewMLP("c2st", append(append([]int{cols}, m.Hidden...), 1), nil, nn.SiLU{}, rng)
	if err != nil {
		return err
	}
	m.net = net
	xs := m.standardise(x, rows)
	perm := rng.Perm(rows)
	nv := max(rows/10, 1)
	val, tr := perm[:nv], perm[nv:]
	batch := min(m.Batch, len(tr))
	params := net.Params()
	opt := nn.NewAdam(params, m.LR, 0)
	xb := make([]float32, batch*cols)
	yb, wb := make([]float64, batch), make([]float64, batch)
	logit, glogit := make([]float32, max(batch, len(val))), make([]float32, batch)
	xv := make([]float32, len(val)*cols)
	for i, r := range val {
		copy(xv[i*cols:(i+1)*cols], xs[r*cols:(r+1)*cols])
	}
	weight := func(r int) float64 {
		if w == nil {
			return 1
		}
		return w[r]
	}
	valLoss := func() float64 {
		net.Forward(m.g, logit[:len(val)], xv, len(val))
		var s, sw float64
		for i, r := range val {
			s += weight(r) * bce(y[r], float64(logit[i]))
			sw += weight(r)
		}
		return s / sw
	}
	best, bad := math.Inf(1), 0
	var bestW [][]float32
	for ep := 0; ep < m.Epochs && bad < m.Patience; ep++ {
		rng.Shuffle(len(tr), func(i, j int) { tr[i], tr[j] = tr[j], tr[i] })
		for s := 0; s+batch <= len(tr); s += batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			var sw float64
			for i, r := range tr[s : s+batch] {
				copy(xb[i*cols:(i+1)*cols], xs[r*cols:(r+1)*cols])
				yb[i], wb[i] = y[r], weight(r)
				sw += wb[i]
			}
			if sw <= 0 {
				continue
			}
			net.Forward(m.g, logit[:batch], xb, batch)
			for i := range glogit {
				glogit[i] = float32(wb[i] * (sigmoid(float64(logit[i])) - yb[i]) / sw)
			}
			nn.ZeroGrad(params)
			net.Backward(m.g, nil, glogit, batch)
			nn.ClipGradNorm(params, 5)
			opt.Step()
		}
		if l := valLoss(); l < best {
			best, bad, bestW = l, 0, nn.Snapshot(params)
		} else {
			bad++
		}
	}
	if bestW != nil {
		nn.Restore(params, bestW)
	}
	return nil
}

// Predict implements Classifier.
func (m *MLP) Predict(dst, x []float64, rows int) {
	xs := m.standardise(x, rows)
	logit := make([]float32, rows)
	m.net.Forward(m.g, logit, xs, rows)
	for i, l := range logit {
		dst[i] = sigmoid(float64(l))
	}
}

func (m *MLP) standardise(x []float64, rows int) []float32 {
	out := make([]float32, rows*m.cols)
	for r := 0; r < rows; r++ {
		for j := 0; j < m.cols; j++ {
			out[r*m.cols+j] = float32((x[r*m.cols+j] - m.mean[j]) / m.scale[j])
		}
	}
	return out
}

// standardisation returns per-column mean and standard deviation (1 for a
// constant column, so it maps to 0).
func standardisation(x []float64, rows, cols int) (mean, scale []float64) {
	mean, scale = make([]float64, cols), make([]float64, cols)
	for r := 0; r < rows; r++ {
		for j := 0; j < cols; j++ {
			mean[j] += x[r*cols+j] / float64(rows)
		}
	}
	for r := 0; r < rows; r++ {
		for j := 0; j < cols; j++ {
			d := x[r*cols+j] - mean[j]
			scale[j] += d * d / float64(rows)
		}
	}
	for j := range scale {
		scale[j] = math.Sqrt(scale[j])
		if scale[j] == 0 {
			scale[j] = 1
		}
	}
	return mean, scale
}
