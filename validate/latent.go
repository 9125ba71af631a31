package validate

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// LatentDim is the check of one latent dimension against N(0, 1).
type LatentDim struct {
	Index int      `json:"index"`
	Mean  float64  `json:"mean"`
	Std   float64  `json:"std"`
	KS    KSResult `json:"ks"`
	Hist  Hist     `json:"hist"`
}

// LatentResult checks that latent codes z = flow(x) look like N(0, I): each
// dimension against N(0,1) and |z|^2 against chi2 with D degrees of freedom
// (the radial test catches wrong tails that every marginal can hide).
type LatentResult struct {
	Rows   int         `json:"rows"`
	Dims   []LatentDim `json:"dims"`
	MinP   float64     `json:"min_p"` // smallest per-dimension KS p-value
	Norm2  KSResult    `json:"norm2_ks"`
	Norm2H Hist        `json:"norm2_hist"` // histogram of |z|^2 for plotting
	// Norm2Mean should be close to D (the chi2 mean).
	Norm2Mean float64 `json:"norm2_mean"`
}

// LatentBins is the number of bins of the latent histograms.
const LatentBins = 40

// CheckLatent tests rows x cols latent codes z (row-major) against N(0, I):
// per-dimension one-sample KS against N(0,1), and |z|^2 one-sample KS against
// chi2(cols). The histograms (z in [-5, 5], |z|^2 in [0, chi2 quantile
// 0.999], with under/overflow) are for plots. Unweighted.
func CheckLatent(z []float64, rows, cols int) (LatentResult, error) {
	if rows <= 0 || cols <= 0 || len(z) != rows*cols {
		return LatentResult{}, fmt.Errorf("latent: %d values for %d x %d", len(z), rows, cols)
	}
	std := distuv.Normal{Mu: 0, Sigma: 1}
	chi := distuv.ChiSquared{K: float64(cols)}
	zb := equalBins(-5, 5, LatentBins)
	r := LatentResult{Rows: rows, MinP: 1}
	col := make([]float64, rows)
	for j := range cols {
		for i := range rows {
			col[i] = z[i*cols+j]
		}
		m, s := weightedMeanStd(col, nil)
		d := LatentDim{Index: j, Mean: m, Std: s, KS: KSOneSample(col, std.CDF), Hist: NewHist(zb, col, nil)}
		r.MinP = math.Min(r.MinP, d.KS.P)
		r.Dims = append(r.Dims, d)
	}
	n2 := make([]float64, rows)
	for i := range rows {
		var s float64
		for _, v := range z[i*cols : (i+1)*cols] {
			s += v * v
		}
		n2[i] = s
		r.Norm2Mean += s / float64(rows)
	}
	r.Norm2 = KSOneSample(n2, chi.CDF)
	r.Norm2H = NewHist(equalBins(0, chi.Quantile(0.999), LatentBins), n2, nil)
	return r, nil
}

func equalBins(lo, hi float64, n int) Binning {
	e := make([]float64, n+1)
	for i := range e {
		e[i] = lo + (hi-lo)*float64(i)/float64(n)
	}
	e[n] = hi
	return Binning{Edges: e}
}
