package flow

// CoordMap is a per-coordinate monotone map z_i = f(x_i; theta_i) whose
// parameters a conditioner network predicts (a MADE for an autoregressive
// block, an MLP on the passive half for a coupling). The map knows nothing
// of the network and the network nothing of the map but ParamsPerCoord, so
// a new map is one new type and serves every conditioner, fast paths
// included (zuko's split of transform and hypernetwork).
//
// Calls work on rows events of n coordinates each: x and z are rows x n,
// row-major, and the parameters of a row are laid out parameter-major,
// theta[r*P*n + p*n + i] is parameter p of coordinate i of row r (for the
// affine map: the n shifts, then the n raw log-scales).
//
// A CoordMap value belongs to one transform: Latent keeps references to its
// arguments and what Backward needs, so a Backward call refers to the latest
// Latent call. Data and DataColumn do not disturb that state.
type CoordMap interface {
	// ParamsPerCoord is the number of raw parameters per coordinate (P).
	ParamsPerCoord() int
	// Latent writes z = f(x) and adds each row's sum_i log f'(x_i) to logdet[r].
	Latent(z, x, theta []float32, n, rows int, logdet []float64)
	// Backward, for the latest Latent, takes gz = dL/dz and gld[r] =
	// dL/dlogdet[r] and writes gtheta = dL/dtheta (rows x P*n) and, when gx
	// is not nil, gx = dL/dx through the map alone (rows x n).
	Backward(gx, gtheta, gz []float32, gld []float64, n, rows int)
	// Data writes x = f^-1(z) and adds each row's sum of log dx/dz to logdet[r].
	Data(x, z, theta []float32, n, rows int, logdet []float64)
	// DataColumn inverts one coordinate of rows events whose parameters are
	// stored transposed, parameter p of event r at theta[p*stride+r] (the
	// layout of the one-pass autoregressive inverse), adding log dx/dz to
	// logdet[r].
	DataColumn(x, z, theta []float32, stride, rows int, logdet []float64)
}

// grow returns buf resized to n values, reusing its storage when it can.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}
