package validate

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Chi2Result is a binned two-sample chi2 test.
type Chi2Result struct {
	Chi2   float64 `json:"chi2"`
	Dof    int     `json:"dof"`
	P      float64 `json:"p"`
	Method string  `json:"method"` // "UU" (unweighted) or "SPD" (weighted)
}

// Chi2Test compares two histograms with the same binning (under/overflow
// included as ordinary bins; bins empty in both samples are dropped,
// dof = used bins - 1).
//
// Unweighted samples (every SumW2 equal to Sum, i.e. unit weights) use the
// DESIGN.md formula (Gagunashvili's "UU" statistic):
//
//	chi2 = sum_b (c1*hA_b - c2*hB_b)^2 / (hA_b + hB_b), c1 = sqrt(NB/NA), c2 = sqrt(NA/NB).
//
// Weighted samples ("SPD") treat each bin's sum of weights as a scaled
// Poisson variable, h = k*Poisson(h/k) with scale k_b = sumw2_b/h_b (G. Bohm,
// G. Zech, "Statistics of weighted Poisson events and its applications",
// Nucl. Instrum. Meth. A 748 (2014) 1). With W the total weights, under H0
// both hX_b/WX estimate one q_b, and Var(hX_b) = q_b WX kX_b, so
//
//	q_b = (hA_b/kA_b + hB_b/kB_b) / (WA/kA_b + WB/kB_b)   (inverse-variance pooled),
//
// and y_b = hA_b/WA - hB_b/WB. Because the weighted normalisations WX are
// random too, the y_b are correlated beyond the multinomial pattern; the
// statistic is y^T Sigma^-1 y with the full delta-method covariance (see
// chi2SPD), chi2(bins-1) under H0. With unit weights (k = 1) it is exactly
// the UU formula. k_b is estimated from the bin's weights, pooled with its
// neighbours until at least 20 raw events contribute (a ratio over a
// handful of weights is too noisy for a variance); a sample with no event
// nearby takes its global scale sumw2/sumw. The pooled H0 variances keep it
// calibrated where a sample has
// few events in a bin; Gagunashvili's WW statistic (observed variances,
// NIM A 614 (2010) 287) is not: a bin empty in A but holding a few
// small-weight B events contributes about B's effective count there, which
// gave a 47% false-alarm rate at alpha = 0.05 in our importance-weighting
// test; using only the diagonal of Sigma gave 8%.
func Chi2Test(a, b Hist) Chi2Result {
	ha, va := a.withFlow()
	hb, vb := b.withFlow()
	if isUnit(ha, va) && isUnit(hb, vb) {
		return chi2UU(ha, hb)
	}
	return chi2SPD(ha, va, a.countsWithFlow(), hb, vb, b.countsWithFlow())
}

// isUnit reports whether a histogram was filled with unit weights.
func isUnit(h, w2 []float64) bool {
	for i := range h {
		if h[i] != w2[i] || h[i] != math.Trunc(h[i]) {
			return false
		}
	}
	return true
}

func chi2UU(ha, hb []float64) Chi2Result {
	var na, nb float64
	for i := range ha {
		na += ha[i]
		nb += hb[i]
	}
	r := Chi2Result{Method: "UU"}
	if na == 0 || nb == 0 {
		r.P = 1 // nothing to compare: no evidence against H0
		return r
	}
	c1, c2 := math.Sqrt(nb/na), math.Sqrt(na/nb)
	used := 0
	for i := range ha {
		s := ha[i] + hb[i]
		if s == 0 {
			continue
		}
		d := c1*ha[i] - c2*hb[i]
		r.Chi2 += d * d / s
		used++
	}
	return finishChi2(r, used)
}

// spdMinEntries is the number of raw events a bin's weight-scale estimate is
// pooled over (see localScales). Measured on 2,000-event samples over 2,000
// trials: 1 (no pooling) rejects 39% at alpha 0.05 for Exp(1) weights; 20
// gives 4.7-5.6%, and 3.8-4.4% when the weights vary steeply with x.
const spdMinEntries = 20

func chi2SPD(ha, va []float64, na []int, hb, vb []float64, nb []int) Chi2Result {
	var wa, wb, sa, sb float64
	for i := range ha {
		wa += ha[i]
		wb += hb[i]
		sa += va[i]
		sb += vb[i]
	}
	r := Chi2Result{Method: "SPD"}
	if wa <= 0 || wb <= 0 || sa <= 0 || sb <= 0 {
		r.P = 1 // nothing to compare: no evidence against H0
		return r
	}
	ka, kb := sa/wa, sb/wb // global scales, for bins empty in one sample
	kA, kB := localScales(ha, va, na, ka, spdMinEntries), localScales(hb, vb, nb, kb, spdMinEntries)
	// Per used bin: the difference of normalised contents y, the pooled
	// normalised content q and each sample's expected sum of w^2 under H0.
	var y, q, ea, eb []float64
	for i := range ha {
		if ha[i] <= 0 && hb[i] <= 0 {
			continue
		}
		kai, kbi := kA[i], kB[i]
		qi := (math.Max(ha[i], 0)/kai + math.Max(hb[i], 0)/kbi) / (wa/kai + wb/kbi)
		if !(qi > 0) {
			continue
		}
		y = append(y, ha[i]/wa-hb[i]/wb)
		q = append(q, qi)
		ea = append(ea, qi*wa*kai)
		eb = append(eb, qi*wb*kbi)
	}
	m := len(y)
	if m < 2 {
		return finishChi2(r, m)
	}
	var qs, eas, ebs float64
	for i := range m {
		qs += q[i]
		eas += ea[i]
		ebs += eb[i]
	}
	for i := range m {
		q[i] /= qs
	}
	// Delta-method covariance of h/W for a weighted sample, X = A, B:
	// (diag(e) - e q^T - q e^T + E q q^T)/W^2, E = sum e. The contents sum
	// to one, so drop the last bin and use the full (m-1)x(m-1) matrix:
	// chi2 = y^T Sigma^-1 y ~ chi2(m-1). For unit weights this is exactly
	// Pearson's (UU) statistic; the diagonal alone would be anti-conservative.
	k := m - 1
	cov := mat.NewSymDense(k, nil)
	for i := range k {
		for j := i; j < k; j++ {
			var c float64
			if i == j {
				c = ea[i]/(wa*wa) + eb[i]/(wb*wb)
			}
			c += (-ea[i]*q[j]-q[i]*ea[j]+eas*q[i]*q[j])/(wa*wa) +
				(-eb[i]*q[j]-q[i]*eb[j]+ebs*q[i]*q[j])/(wb*wb)
			cov.SetSym(i, j, c)
		}
	}
	var chol mat.Cholesky
	yv := mat.NewVecDense(k, y[:k])
	var x mat.VecDense
	if chol.Factorize(cov) && chol.SolveVecTo(&x, yv) == nil {
		r.Chi2 = mat.Dot(yv, &x)
	} else {
		// Not positive definite (e.g. negative weights): diagonal only.
		for i := range m {
			r.Chi2 += y[i] * y[i] / (ea[i]/(wa*wa) + eb[i]/(wb*wb))
		}
	}
	return finishChi2(r, m)
}

// localScales estimates each bin's scale k_b = E[w^2]/E[w] from the bin and,
// where it holds fewer than minN raw events, its nearest neighbours: the
// window grows symmetrically until it holds minN events. A ratio of sums over
// a handful of weights is too noisy (and too often tiny) for a variance.
func localScales(h, v []float64, n []int, global float64, minN int) []float64 {
	m := len(h)
	out := make([]float64, m)
	for i := range m {
		lo, hi := i, i
		cnt := n[i]
		for cnt < minN && (lo > 0 || hi < m-1) {
			if lo > 0 {
				lo--
				cnt += n[lo]
			}
			if hi < m-1 {
				hi++
				cnt += n[hi]
			}
		}
		var sh, sv float64
		for j := lo; j <= hi; j++ {
			sh += h[j]
			sv += v[j]
		}
		out[i] = global
		if sh > 0 && sv > 0 {
			out[i] = sv / sh
		}
	}
	return out
}

func finishChi2(r Chi2Result, used int) Chi2Result {
	r.Dof = used - 1
	if r.Dof < 1 {
		r.P = 1
		return r
	}
	r.P = distuv.ChiSquared{K: float64(r.Dof)}.Survival(r.Chi2)
	return r
}

// probabilities returns a histogram's bins (with under/overflow) normalised
// to sum 1; negative contents (negative weights) count as zero.
func probabilities(h Hist) []float64 {
	s, _ := h.withFlow()
	var t float64
	for i, v := range s {
		s[i] = math.Max(v, 0)
		t += s[i]
	}
	if t > 0 {
		for i := range s {
			s[i] /= t
		}
	}
	return s
}

// KLDivergence returns the binned Kullback-Leibler divergence KL(A||B) =
// sum_b pA_b log(pA_b/pB_b) in nats, over the bins with under/overflow.
// Empty bins are regularised with the Krichevsky-Trofimov rule: half an
// (effective) event is added to every bin of each histogram,
// p_b = (n_b + 1/2)/(N + K/2), so a bin empty in B gives a large but finite
// term and the estimate vanishes for identical histograms.
func KLDivergence(a, b Hist) float64 {
	pa, pb := smoothed(a), smoothed(b)
	var kl float64
	for i := range pa {
		kl += pa[i] * math.Log(pa[i]/pb[i])
	}
	return math.Max(kl, 0)
}

func smoothed(h Hist) []float64 {
	p := probabilities(h)
	_, w2 := h.withFlow()
	var sw2 float64
	for _, v := range w2 {
		sw2 += v
	}
	t := h.Total()
	neff := float64(h.Entries)
	if sw2 > 0 {
		neff = t * t / sw2
	}
	if neff <= 0 {
		neff = 1
	}
	eps := 0.5 / neff
	k := float64(len(p))
	for i := range p {
		p[i] = (p[i] + eps) / (1 + k*eps)
	}
	return p
}

// Chi2Distance is the symmetric chi2 distance of the seed talk,
// 0.5*sum_b (pA_b - pB_b)^2/(pA_b + pB_b) on histograms normalised to unit
// sum (under/overflow included). It is 0 for identical and 1 for disjoint
// histograms.
func Chi2Distance(a, b Hist) float64 {
	pa, pb := probabilities(a), probabilities(b)
	var d float64
	for i := range pa {
		s := pa[i] + pb[i]
		if s > 0 {
			x := pa[i] - pb[i]
			d += x * x / s
		}
	}
	return 0.5 * d
}
