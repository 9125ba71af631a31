package resonant

import (
	"fmt"
	"math"
	"math/rand/v2"

	"hepflow/data"
)

// The mass model.
const (
	// MassLo and MassHi bound the resonant variable m of every event.
	MassLo, MassHi = 1.0, 7.0
	// BackgroundMassScale is the scale of the background's truncated
	// exponential: p(m) ∝ exp(-(m - MassLo) / BackgroundMassScale).
	BackgroundMassScale = 1.5
	// SignalMass and SignalWidth are the mean and standard deviation of
	// the signal's normal m distribution (truncated to [MassLo, MassHi],
	// which removes a fraction 2 Phi(-20), about 5e-89, of it).
	SignalMass, SignalWidth = 4.0, 0.15
	// SignalRegionLo and SignalRegionHi are the default signal region,
	// SignalMass ± 2 SignalWidth.
	SignalRegionLo, SignalRegionHi = 3.7, 4.3
)

// Label is the name of the truth column: 1 for signal, 0 for background.
const Label = "label"

// nFeat is the number of features, x1..x4.
const nFeat = 4

// Background features given m: x_j ~ bgMean0[j] + bgMean1[j] m, standard
// deviation bgSD0[j] + bgSD1[j] m (positive on [MassLo, MassHi]), and
// correlation bgCorr.
var (
	bgMean0 = [nFeat]float64{0, 0.5, 0, 1}
	bgMean1 = [nFeat]float64{0.5, -0.3, 0.2, -0.1}
	bgSD0   = [nFeat]float64{1, 1, 0.5, 0.8}
	bgSD1   = [nFeat]float64{0, 0, 0.2, 0}
	bgCorr  = [nFeat][nFeat]float64{
		{1, 0.4, 0.2, 0},
		{0.4, 1, 0.3, 0.1},
		{0.2, 0.3, 1, 0.2},
		{0, 0.1, 0.2, 1},
	}
	// bgChol is the lower Cholesky factor of bgCorr.
	bgChol = cholesky(bgCorr)
)

// Signal x1 and x2: independent normals, whatever m.
const (
	sigX1Mean, sigX1SD = 3.5, 0.3
	sigX2Mean, sigX2SD = -1.5, 0.3
)

// Columns returns the column names of a generated table: m, x1..x4, label.
func Columns() []string { return []string{"m", "x1", "x2", "x3", "x4", Label} }

// Synthetic describes a data set to generate: how many background and
// signal events, and the seed of the random stream.
type Synthetic struct {
	Background int    // number of background events
	Signal     int    // number of signal events
	Seed       uint64 // seed of the PCG random stream
}

// Generate draws s.Background background and s.Signal signal events into a
// table with the columns of Columns, the rows shuffled so that the classes
// are mixed. The same Synthetic always gives the same table (a PCG stream
// seeded from Seed). It panics if a count is negative.
func (s Synthetic) Generate() *data.Table {
	if s.Background < 0 || s.Signal < 0 {
		panic(fmt.Sprintf("resonant: negative event count (background %d, signal %d)", s.Background, s.Signal))
	}
	cols := Columns()
	w := len(cols)
	n := s.Background + s.Signal
	r := rand.New(rand.NewPCG(s.Seed, 0x9e3779b97f4a7c15))
	rows := make([]float64, n*w)
	for i := range n {
		row := rows[i*w : (i+1)*w]
		if i < s.Background {
			sampleBackground(r, row)
		} else {
			sampleSignal(r, row)
			row[w-1] = 1
		}
	}
	r.Shuffle(n, func(i, j int) {
		a, b := rows[i*w:(i+1)*w], rows[j*w:(j+1)*w]
		for k := range a {
			a[k], b[k] = b[k], a[k]
		}
	})
	t, err := data.New(cols, rows)
	if err != nil {
		panic(fmt.Sprintf("resonant: %v", err)) // fixed, valid columns
	}
	return t
}

// backgroundMassNorm is 1 - exp(-(MassHi - MassLo) / BackgroundMassScale),
// the untruncated exponential's mass on [MassLo, MassHi].
var backgroundMassNorm = -math.Expm1(-(MassHi - MassLo) / BackgroundMassScale)

// signalMassLogNorm is the log of the signal normal's mass on [MassLo, MassHi].
var signalMassLogNorm = math.Log1p(-0.5 * (math.Erfc((MassHi-SignalMass)/(SignalWidth*math.Sqrt2)) +
	math.Erfc((SignalMass-MassLo)/(SignalWidth*math.Sqrt2))))

// sampleBackground fills row[0:5] with a background event: m by inverse
// CDF, then the features as bgMean(m) + D(m) L z with z ~ N(0, I).
func sampleBackground(r *rand.Rand, row []float64) {
	m := MassLo - BackgroundMassScale*math.Log1p(-r.Float64()*backgroundMassNorm)
	row[0] = m
	copy(row[1:1+nFeat], BackgroundAt(m, r))
}

// BackgroundAt draws the features x1..x4 of one background event at mass
// m from the true conditional distribution: the perfect background model
// of Idealized.
func BackgroundAt(m float64, r *rand.Rand) []float64 {
	row := make([]float64, nFeat)
	var z [nFeat]float64
	for k := range z {
		z[k] = r.NormFloat64()
	}
	for j := range nFeat {
		var v float64
		for k := 0; k <= j; k++ {
			v += bgChol[j][k] * z[k]
		}
		row[j] = bgMean0[j] + bgMean1[j]*m + (bgSD0[j]+bgSD1[j]*m)*v
	}
	return row
}

// sampleSignal fills row[0:5] with a signal event.
func sampleSignal(r *rand.Rand, row []float64) {
	m := math.Inf(1)
	for m < MassLo || m > MassHi { // practically never repeats
		m = SignalMass + SignalWidth*r.NormFloat64()
	}
	row[0] = m
	row[1] = sigX1Mean + sigX1SD*r.NormFloat64()
	row[2] = sigX2Mean + sigX2SD*r.NormFloat64()
	// (x3, x4) from the background's conditional distribution at m.
	rho := bgCorr[2][3]
	u := r.NormFloat64()
	v := rho*u + math.Sqrt(1-rho*rho)*r.NormFloat64()
	row[3] = bgMean0[2] + bgMean1[2]*m + (bgSD0[2]+bgSD1[2]*m)*u
	row[4] = bgMean0[3] + bgMean1[3]*m + (bgSD0[3]+bgSD1[3]*m)*v
}

// LogDensityMassBackground returns the log density of the background's m
// distribution: log(exp(-(m - MassLo)/s) / (s (1 - exp(-(MassHi -
// MassLo)/s)))) with s = BackgroundMassScale on [MassLo, MassHi], -Inf
// outside.
func LogDensityMassBackground(m float64) float64 {
	if !(m >= MassLo && m <= MassHi) {
		return math.Inf(-1)
	}
	return -(m-MassLo)/BackgroundMassScale - math.Log(BackgroundMassScale*backgroundMassNorm)
}

// LogDensityMassSignal returns the log density of the signal's m
// distribution: normal (SignalMass, SignalWidth) truncated to [MassLo,
// MassHi], -Inf outside.
func LogDensityMassSignal(m float64) float64 {
	if !(m >= MassLo && m <= MassHi) {
		return math.Inf(-1)
	}
	return logNormal(m, SignalMass, SignalWidth) - signalMassLogNorm
}

// LogDensityBackground returns the exact log density of background events
// at row = (m, x1, x2, x3, x4); a longer row (one with its label) is read
// up to its fifth value. It is -Inf for m outside [MassLo, MassHi]. It
// panics if row has fewer than 5 values.
func LogDensityBackground(row []float64) float64 {
	m := row[0]
	lm := LogDensityMassBackground(m)
	if math.IsInf(lm, -1) {
		return lm
	}
	// Solve L w = D(m)^-1 (x - mean(m)); log N = -|w|^2/2 - log det(D L) - 2 log 2π.
	var w [nFeat]float64
	logDet := 0.0
	q := 0.0
	for j := range nFeat {
		sd := bgSD0[j] + bgSD1[j]*m
		v := (row[1+j] - bgMean0[j] - bgMean1[j]*m) / sd
		for k := range j {
			v -= bgChol[j][k] * w[k]
		}
		w[j] = v / bgChol[j][j]
		q += w[j] * w[j]
		logDet += math.Log(sd * bgChol[j][j])
	}
	return lm - q/2 - logDet - float64(nFeat)/2*math.Log(2*math.Pi)
}

// LogDensitySignal returns the exact log density of signal events at
// row = (m, x1, x2, x3, x4), read as LogDensityBackground reads it. It is
// -Inf for m outside [MassLo, MassHi]. It panics if row has fewer than 5
// values.
func LogDensitySignal(row []float64) float64 {
	m := row[0]
	lm := LogDensityMassSignal(m)
	if math.IsInf(lm, -1) {
		return lm
	}
	// (x3, x4): bivariate normal with the background's conditional
	// moments at m.
	rho := bgCorr[2][3]
	s3, s4 := bgSD0[2]+bgSD1[2]*m, bgSD0[3]+bgSD1[3]*m
	u := (row[3] - bgMean0[2] - bgMean1[2]*m) / s3
	v := (row[4] - bgMean0[3] - bgMean1[3]*m) / s4
	l34 := -(u*u-2*rho*u*v+v*v)/(2*(1-rho*rho)) - math.Log(2*math.Pi*s3*s4*math.Sqrt(1-rho*rho))
	return lm + logNormal(row[1], sigX1Mean, sigX1SD) + logNormal(row[2], sigX2Mean, sigX2SD) + l34
}

// OptimalScore returns the log likelihood ratio LogDensitySignal(row) -
// LogDensityBackground(row). Any classifier's output that is optimal for
// signal against background, or (as in CATHODE) for data with any signal
// fraction against background, is a monotone function of it, so its ROC
// and SIC curves are the best reachable with m and all four features.
// Subtracting LogDensityMassSignal(m) - LogDensityMassBackground(m) gives
// the ratio of the feature densities given m, optimal for a classifier that
// conditions on m. Rows with m outside [MassLo, MassHi], where neither
// class has events, score -Inf.
func OptimalScore(row []float64) float64 {
	ls := LogDensitySignal(row)
	if math.IsInf(ls, -1) {
		return ls
	}
	return ls - LogDensityBackground(row)
}

// logNormal is the log density of N(mu, sd^2) at x.
func logNormal(x, mu, sd float64) float64 {
	z := (x - mu) / sd
	return -z*z/2 - math.Log(sd) - 0.5*math.Log(2*math.Pi)
}

// cholesky returns the lower Cholesky factor of a symmetric positive
// definite matrix; it panics otherwise, as the matrix is a fixed parameter.
func cholesky(a [nFeat][nFeat]float64) [nFeat][nFeat]float64 {
	var l [nFeat][nFeat]float64
	for j := range nFeat {
		d := a[j][j]
		for k := range j {
			d -= l[j][k] * l[j][k]
		}
		if !(d > 0) {
			panic("resonant: correlation matrix not positive definite")
		}
		l[j][j] = math.Sqrt(d)
		for i := j + 1; i < nFeat; i++ {
			v := a[i][j]
			for k := range j {
				v -= l[i][k] * l[j][k]
			}
			l[i][j] = v / l[j][j]
		}
	}
	return l
}
