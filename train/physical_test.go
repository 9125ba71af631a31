package train

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"hepflow/data"
	"hepflow/flow"
)

// physicalFit trains FitModel (the default scaling: the seed's recipe with
// its tails) on rows of x and returns the held-out NLL over EVERY test event
// in physical units, and how many test events had no finite density.
func physicalFit(t *testing.T, cols []string, x, xt []float64, spec flow.Spec, cfg Config) (float64, int) {
	t.Helper()
	d := len(cols)
	tab, err := data.New(cols, x)
	if err != nil {
		t.Fatal(err)
	}
	spec.Dim = d
	res, err := FitModel(context.Background(), tab, nil, ModelOptions{Spec: spec, Config: cfg, ValFraction: 0.1, Gemm: testGemm(), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	n := len(xt) / d
	lp := make([]float64, n)
	if _, err := res.Model.LogProb(lp, xt, nil, n, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	var s float64
	bad := 0
	srt := append([]float64(nil), lp...)
	slices.Sort(srt)
	t.Logf("worst log p %.1f %.1f %.1f %.1f %.1f; median %.2f; val %v train %v epochs %d", srt[0], srt[1], srt[2], srt[3], srt[10], srt[n/2], res.ValNLL, res.TrainNLL, res.Summary.Epochs)
	var s2 float64
	for _, v := range srt[n/100:] {
		s2 -= v
	}
	t.Logf("mean without the worst 1%%: %.4f (the worst 1%% contribute %.4f)", s2/float64(n-n/100), (-s2-sum(srt))/float64(n))
	for _, v := range lp {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			bad++
		}
		s -= v
	}
	return s / float64(n), bad
}

// TestPhysicalGaussian: 8-D correlated Gaussian in physical units through the
// whole model (scaling with its Jacobian + MAF): 20k training and 10k test
// events. Test events beyond the training range land in the scaling's tails;
// every one counts. The held-out mean has a standard error of
// sqrt(D/2)/sqrt(10k) = 0.02, so 0.05 leaves room for noise, not for a poor fit.
func TestPhysicalGaussian(t *testing.T) {
	const d, n, nt = 8, 20000, 10000
	rng := rand.New(rand.NewPCG(42, 42))
	L := randomCholesky(rng, d, 0.6)
	x32, entropy := gaussian(rng, n, L)
	xt32, _ := gaussian(rng, nt, L)
	cols := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	cfg := Config{Epochs: 40, Batch: 256, LR: 2e-3, Schedule: "cosine", Patience: 8, Seed: 1, ClipNorm: 5}
	got, bad := physicalFit(t, cols, to64(x32), to64(xt32), flow.Spec{Kind: "maf", Blocks: 3, Hidden: []int{64, 64}, Activation: "tanh", Seed: 1}, cfg)
	t.Logf("test NLL %.4f over all %d test events, entropy %.4f, gap %.4f", got, nt, entropy, got-entropy)
	if bad > 0 || math.Abs(got-entropy) > 0.05 {
		t.Errorf("test NLL %.4f (%d events without a finite density) is %.4f nats from the entropy %.4f: want every event finite, within 0.05", got, bad, got-entropy, entropy)
	}
}

// TestPhysicalStudentT: a rotated 4-D Student-t with 3 degrees of freedom,
// heavy tails: with 5k training events, a good share of the 20k test events
// lie beyond the training range in some column. Every test event must have a
// finite density and the held-out NLL must be within 0.1 nats of the entropy.
func TestPhysicalStudentT(t *testing.T) {
	const d, nu, n, nt = 4, 3.0, 5000, 20000
	rng := rand.New(rand.NewPCG(7, 7))
	L := randomCholesky(rng, d, 0.5)
	draw := func(m int) []float64 {
		x := make([]float64, m*d)
		e := make([]float64, d)
		for r := 0; r < m; r++ {
			var chi2 float64
			for range int(nu) {
				g := rng.NormFloat64()
				chi2 += g * g
			}
			w := math.Sqrt(nu / chi2)
			for j := range e {
				e[j] = rng.NormFloat64()
			}
			for i := 0; i < d; i++ {
				var s float64
				for j := 0; j <= i; j++ {
					s += L.At(i, j) * e[j]
				}
				x[r*d+i] = s * w
			}
		}
		return x
	}
	x, xt := draw(n), draw(nt)
	// Entropy of the multivariate t: log det L + d/2 log(nu pi) + lgamma(nu/2)
	// - lgamma((nu+d)/2) + (nu+d)/2 (psi((nu+d)/2) - psi(nu/2)).
	var logdet float64
	for i := 0; i < d; i++ {
		logdet += math.Log(L.At(i, i))
	}
	lg1, _ := math.Lgamma(nu / 2)
	lg2, _ := math.Lgamma((nu + d) / 2)
	entropy := logdet + d/2*math.Log(nu*math.Pi) + lg1 - lg2 + (nu+d)/2*(digamma((nu+d)/2)-digamma(nu/2))
	cfg := Config{Epochs: 80, Batch: 128, LR: 2e-3, Schedule: "cosine", Patience: 15, Seed: 1, ClipNorm: 5}
	got, bad := physicalFit(t, []string{"a", "b", "c", "d"}, x, xt, flow.Spec{Kind: "maf", Blocks: 3, Hidden: []int{64, 64}, Activation: "tanh", Seed: 1}, cfg)
	t.Logf("test NLL %.4f over all %d test events, entropy %.4f, gap %.4f", got, nt, entropy, got-entropy)
	if bad > 0 || math.Abs(got-entropy) > 0.1 {
		t.Errorf("test NLL %.4f (%d events without a finite density) is %.4f nats from the entropy %.4f: want every event finite, within 0.1", got, bad, got-entropy, entropy)
	}
}

// digamma by recurrence and the asymptotic series (x > 0).
func digamma(x float64) float64 {
	var r float64
	for x < 6 {
		r -= 1 / x
		x++
	}
	f := 1 / (x * x)
	return r + math.Log(x) - 0.5/x - f*(1.0/12-f*(1.0/120-f*(1.0/252-f*(1.0/240-f/132))))
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

func to64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
