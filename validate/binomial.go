package validate

import "math"

// BinomialHalfSurvival returns P(X >= k) for X ~ Binomial(n, 1/2) and its
// natural logarithm. It sums the pmf in log space starting at the tail's
// largest term (pmf(j+1)/pmf(j) = (n-j)/(j+1)) until terms no longer change
// the sum, with the first term from Loader's saddle-point formula, so it is
// accurate to ~1e-13 relative for n up to 1e6 and beyond (plain lgamma
// differences lose ~1e-10 there) and its log never underflows. For
// k <= n/2 it uses the symmetry P(X >= k) = 1 - P(X >= n-k+1).
func BinomialHalfSurvival(k, n int) (p, logp float64) {
	switch {
	case n < 0:
		return math.NaN(), math.NaN()
	case k <= 0:
		return 1, 0
	case k > n:
		return 0, math.Inf(-1)
	}
	if 2*k > n {
		lp := logUpperTail(k, n)
		return math.Exp(lp), lp
	}
	q := math.Exp(logUpperTail(n-k+1, n))
	return 1 - q, math.Log1p(-q)
}

// logUpperTail is log P(X >= k) for 2k > n, where the terms decrease.
func logUpperTail(k, n int) float64 {
	// sum_{j>=k} pmf(j)/pmf(k), accumulated term by term.
	sum, term := 1.0, 1.0
	for j := k; j < n; j++ {
		term *= float64(n-j) / float64(j+1)
		sum += term
		if term < 1e-17*sum {
			break
		}
	}
	return logBinomHalfPMF(k, n) + math.Log(sum)
}

// logBinomHalfPMF is log P(X = k) for X ~ Binomial(n, 1/2), by C. Loader,
// "Fast and accurate computation of binomial probabilities" (2000), the
// algorithm of R's dbinom: the Stirling remainders and the deviance bd0 are
// computed without the cancellation of lgamma differences.
func logBinomHalfPMF(k, n int) float64 {
	if k == 0 || k == n {
		return -float64(n) * math.Ln2
	}
	fn, fk, fm := float64(n), float64(k), float64(n-k)
	half := fn / 2
	lc := stirlerr(fn) - stirlerr(fk) - stirlerr(fm) - bd0(fk, half) - bd0(fm, half)
	return lc + 0.5*math.Log(fn/(2*math.Pi*fk*fm))
}

// stirlerr(n) = log(n!) - log(sqrt(2 pi n) (n/e)^n).
func stirlerr(n float64) float64 {
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	if n <= 15 {
		lg, _ := math.Lgamma(n + 1)
		return lg - (n+0.5)*math.Log(n) + n - 0.5*math.Log(2*math.Pi)
	}
	nn := n * n
	switch {
	case n > 500:
		return (s0 - s1/nn) / n
	case n > 80:
		return (s0 - (s1-s2/nn)/nn) / n
	case n > 35:
		return (s0 - (s1-(s2-s3/nn)/nn)/nn) / n
	default:
		return (s0 - (s1-(s2-(s3-s4/nn)/nn)/nn)/nn) / n
	}
}

// bd0(x, np) = x log(x/np) + np - x, by a series when x is close to np.
func bd0(x, np float64) float64 {
	if math.Abs(x-np) < 0.1*(x+np) {
		v := (x - np) / (x + np)
		s := (x - np) * v
		ej := 2 * x * v
		v *= v
		for j := 1; j < 1000; j++ {
			ej *= v
			s1 := s + ej/float64(2*j+1)
			if s1 == s {
				return s1
			}
			s = s1
		}
		return s
	}
	return x*math.Log(x/np) + np - x
}
