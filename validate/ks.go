package validate

import (
	"cmp"
	"math"
	"slices"
)

// KSResult is a Kolmogorov-Smirnov test.
type KSResult struct {
	D    float64 `json:"d"`     // sup |F_A - F_B| (or |F - F_0| for one sample)
	NEff float64 `json:"n_eff"` // the effective n used for the p-value
	P    float64 `json:"p"`
}

// KSTest is the two-sample Kolmogorov-Smirnov test of values a and b with
// optional weights (nil = unit). With weights the ECDFs are weighted and
// each sample size is Kish's effective n, (sum w)^2/sum w^2. The p-value is
// the asymptotic Kolmogorov distribution at
// lambda = (sqrt(ne) + 0.12 + 0.11/sqrt(ne)) * D, ne = nA*nB/(nA+nB), the
// small-sample correction of Stephens (Numerical Recipes 3rd ed. §14.3.3),
// which makes the asymptotic p-value accurate already for ne of a few.
// Ties are handled exactly (the ECDFs jump together). The inputs are not
// modified. O(n log n).
func KSTest(a, wa, b, wb []float64) KSResult {
	sa, swa := sortWeighted(a, wa)
	sb, swb := sortWeighted(b, wb)
	return ksSorted(sa, swa, sb, swb)
}

// sortWeighted returns sorted copies of x and its weights (nil stays nil).
func sortWeighted(x, w []float64) ([]float64, []float64) {
	if w == nil {
		return sortedCopy(x), nil
	}
	type vw struct{ v, w float64 }
	p := make([]vw, len(x))
	for i := range p {
		p[i] = vw{x[i], w[i]}
	}
	slices.SortFunc(p, func(a, b vw) int { return cmp.Compare(a.v, b.v) })
	sx, sw := make([]float64, len(x)), make([]float64, len(x))
	for k := range p {
		sx[k], sw[k] = p[k].v, p[k].w
	}
	return sx, sw
}

func weightStats(n int, w []float64) (sum, neff float64) {
	if w == nil {
		return float64(n), float64(n)
	}
	var s2 float64
	for _, v := range w {
		sum += v
		s2 += v * v
	}
	if s2 == 0 {
		return sum, 0
	}
	return sum, sum * sum / s2
}

func ksSorted(sa, wa, sb, wb []float64) KSResult {
	ta, na := weightStats(len(sa), wa)
	tb, nb := weightStats(len(sb), wb)
	if len(sa) == 0 || len(sb) == 0 || ta == 0 || tb == 0 {
		return KSResult{P: 1}
	}
	wt := func(w []float64, i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	var fa, fb, d float64
	i, j := 0, 0
	for i < len(sa) || j < len(sb) {
		// Advance past every value equal to the smallest remaining one in
		// both samples before comparing, so ties never create a fake step.
		var v float64
		switch {
		case i == len(sa):
			v = sb[j]
		case j == len(sb):
			v = sa[i]
		default:
			v = math.Min(sa[i], sb[j])
		}
		for i < len(sa) && sa[i] == v {
			fa += wt(wa, i)
			i++
		}
		for j < len(sb) && sb[j] == v {
			fb += wt(wb, j)
			j++
		}
		d = math.Max(d, math.Abs(fa/ta-fb/tb))
	}
	ne := na * nb / (na + nb)
	return KSResult{D: d, NEff: ne, P: ksPValue(d, ne)}
}

// ksPValue is P(D >= d) for a KS statistic with effective size ne.
func ksPValue(d, ne float64) float64 {
	if ne <= 0 {
		return 1
	}
	sq := math.Sqrt(ne)
	return KolmogorovSurvival((sq + 0.12 + 0.11/sq) * d)
}

// KolmogorovSurvival returns Q(lambda) = P(K > lambda) for the Kolmogorov
// distribution, Q = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 lambda^2). For small
// lambda, where that series converges slowly, it uses the dual (Jacobi
// theta) form 1 - sqrt(2 pi)/lambda sum_{k>=1} exp(-(2k-1)^2 pi^2/(8 lambda^2)).
func KolmogorovSurvival(lambda float64) float64 {
	switch {
	case lambda <= 0:
		return 1
	case lambda < 1.18:
		y := -math.Pi * math.Pi / (8 * lambda * lambda)
		var s float64
		for k := 1; k < 20; k++ {
			m := float64(2*k - 1)
			t := math.Exp(m * m * y)
			s += t
			if t < 1e-17*s {
				break
			}
		}
		return math.Min(1, math.Max(0, 1-math.Sqrt(2*math.Pi)/lambda*s))
	default:
		var s float64
		sign := 1.0
		for k := 1; k < 100; k++ {
			fk := float64(k)
			t := math.Exp(-2 * fk * fk * lambda * lambda)
			s += sign * t
			sign = -sign
			if t < 1e-17*math.Abs(s) {
				break
			}
		}
		return math.Min(1, math.Max(0, 2*s))
	}
}

// KSOneSample tests values x against a continuous CDF (unweighted),
// D = max_i max(i/n - F(x_(i)), F(x_(i)) - (i-1)/n), with the same
// Stephens-corrected asymptotic p-value as KSTest.
func KSOneSample(x []float64, cdf func(float64) float64) KSResult {
	n := len(x)
	if n == 0 {
		return KSResult{P: 1}
	}
	s := sortedCopy(x)
	var d float64
	fn := float64(n)
	for i, v := range s {
		f := cdf(v)
		d = math.Max(d, math.Max(float64(i+1)/fn-f, f-float64(i)/fn))
	}
	return KSResult{D: d, NEff: fn, P: ksPValue(d, fn)}
}
