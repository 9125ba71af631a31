package flow

import (
	"math"
	"math/rand/v2"
)

// Base is the distribution of the latent space.
type Base interface {
	Dim() int
	// LogProb writes log p(z) for each row.
	LogProb(dst []float64, z []float32, rows int)
	// GradLogProb writes d log p(z)/dz.
	GradLogProb(g, z []float32, rows int)
	// Sample draws rows independent points into z.
	Sample(z []float32, rows int, rng *rand.Rand)
}

// StdNormal is N(0, I) in D dimensions.
type StdNormal struct{ D int }

// Dim implements Base.
func (b StdNormal) Dim() int { return b.D }

// LogProb implements Base.
func (b StdNormal) LogProb(dst []float64, z []float32, rows int) {
	c := -0.5 * float64(b.D) * math.Log(2*math.Pi)
	for r := 0; r < rows; r++ {
		var s float64
		for _, v := range z[r*b.D : r*b.D+b.D] {
			s += float64(v) * float64(v)
		}
		dst[r] = c - 0.5*s
	}
}

// GradLogProb implements Base.
func (b StdNormal) GradLogProb(g, z []float32, rows int) {
	for i, v := range z[:rows*b.D] {
		g[i] = -v
	}
}

// Sample implements Base.
func (b StdNormal) Sample(z []float32, rows int, rng *rand.Rand) {
	for i := range z[:rows*b.D] {
		z[i] = float32(rng.NormFloat64())
	}
}
