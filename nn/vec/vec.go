// Package vec holds the vectorised float32 kernels of nn's elementwise
// passes: bias plus ReLU, the ReLU gradient mask, column sums for bias
// gradients, exp and tanh for the affine log-scales, and the Adam update.
//
// On amd64 CPUs with AVX2, and on arm64 (NEON), the kernels run hand-written
// assembly, chosen once at start-up (HEPFLOW_CPU can lower the choice, see
// EnvCPU); everywhere else they run the pure-Go loops in generic.go, which
// define what every kernel computes. The assembly does the same float32 operations in the same order
// (no fused multiply-adds), so all paths give bit-identical results, NaN
// payloads aside.
package vec

// ReluBias adds b to each of rows consecutive rows of len(b) values in y and
// applies ReLU in place: y[r*n+j] = max(y[r*n+j]+b[j], 0). The max clears
// every value whose sign bit is set, so -0 becomes +0, and a NaN keeps its
// bits unless its sign bit is set, when it becomes 0.
func ReluBias(y, b []float32, rows int) { reluBias(y, b, rows) }

// Relu writes max(x[i], 0) into dst[i] with ReluBias's convention: every
// value whose sign bit is set (including -0 and a negative NaN) becomes +0.
func Relu(dst, x []float32) { relu(dst, x) }

// AddBias adds b to each of rows consecutive rows of len(b) values in y:
// y[r*n+j] += b[j].
func AddBias(y, b []float32, rows int) { addBias(y, b, rows) }

// ReluGradMask zeroes g[i] wherever post[i] is +0 or -0 (the ReLU output is
// zero, so the gradient is cut). NaN in post keeps g[i].
func ReluGradMask(g, post []float32) { reluGradMask(g, post) }

// SumRows adds the rows consecutive rows of len(dst) values in g into dst:
// dst[j] += g[0*n+j] + g[1*n+j] + ..., summed in row order on both paths,
// so results are exact repeats of the scalar loop.
func SumRows(dst, g []float32, rows int) { sumRows(dst, g, rows) }

// Exp writes exp(s*x[i]) into dst[i] with Cephes' expf polynomial (about
// 2 ulp). s*x[i] must lie in [-87, 88]: there are no range checks, and
// outside it the result is meaningless (not inf or 0).
func Exp(dst, x []float32, s float32) { exp(dst, x, s) }

// TanhScaled writes c*tanh(x[i]/c) into dst[i] (Cephes' tanhf polynomial
// for |x/c| < 0.625, exp above; about 2 ulp). NaN gives NaN.
func TanhScaled(dst, x []float32, c float32) { tanhScaled(dst, x, c) }

// Adam holds the per-step scalars of one Adam(W) update.
type Adam struct {
	// Beta1 and Beta2 are the moment decay rates.
	Beta1, Beta2 float32
	// LR is the learning rate with both bias corrections folded in.
	LR float32
	// Eps is added to the square root of the second moment.
	Eps float32
	// Decay multiplies the weights first (1 - lr*weight decay; 1 for none).
	Decay float32
}

// AdamStep updates the moments m and v from the gradient g and then the
// weights w, all of len(w):
//
//	m = Beta1*m + (1-Beta1)*g
//	v = Beta2*v + (1-Beta2)*g*g
//	w = w*Decay - LR*m/(sqrt(v)+Eps)
func AdamStep(w, g, m, v []float32, a Adam) { adamStep(w, g, m, v, a) }
