package flow

// CoordMap is a per-coordinate monotone map z_i = f(x_i; theta_i) whose
// parameters a conditioner network predicts (MADE for an autoregressive
// flow, an MLP on the passive half for a coupling): the map knows nothing of
// the network and the network nothing of the map but ParamsPerCoord, so a
// new map is one new type (zuko's split of transform and hypernetwork).
//
// A call handles one block of n = len(x) coordinates of one event, with the
// parameters laid out parameter-major: theta[p*n+i] is parameter p of
// coordinate i (for the affine map: the n shifts, then the n log-scales).
type CoordMap interface {
	// ParamsPerCoord is the number of raw parameters per coordinate.
	ParamsPerCoord() int
	// Forward writes z = f(x) and returns sum_i log f'(x_i).
	Forward(z, x, theta []float32) float64
	// Inverse writes x = f^-1(z) and returns sum_i log (f^-1)'(z_i).
	Inverse(x, z, theta []float32) float64
	// Backward, for Forward at (x, theta), takes gz = dL/dz and gld =
	// dL/d(sum log f') and writes gx = dL/dx and gtheta = dL/dtheta. gx may
	// be nil.
	Backward(gx, gtheta, gz, x, theta []float32, gld float64)
}
