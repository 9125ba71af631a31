package flow

// SplineMap is the rational-quadratic spline RQSpline as a CoordMap: 3K-1
// parameters per coordinate, evaluated coordinate by coordinate in float64.
type SplineMap struct {
	s  RQSpline
	kn *knots

	x, theta []float32 // Latent's inputs (not owned)
	th       []float32 // DataColumn's gathered parameters of one event
}

var _ CoordMap = (*SplineMap)(nil)

// NewSplineMap returns the map of spline s, with its own scratch.
func NewSplineMap(s RQSpline) *SplineMap {
	return &SplineMap{s: s, kn: s.newKnots(), th: make([]float32, s.ParamsPerCoord())}
}

// Spline is the spline's shape (bins and interval).
func (m *SplineMap) Spline() RQSpline { return m.s }

// ParamsPerCoord implements CoordMap.
func (m *SplineMap) ParamsPerCoord() int { return m.s.ParamsPerCoord() }

// Latent implements CoordMap.
func (m *SplineMap) Latent(z, x, theta []float32, n, rows int, logdet []float64) {
	w := m.s.ParamsPerCoord() * n
	for r := 0; r < rows; r++ {
		logdet[r] += rqsForward(m.s, m.kn, z[r*n:(r+1)*n], x[r*n:(r+1)*n], theta[r*w:(r+1)*w])
	}
	m.x, m.theta = x, theta
}

// Backward implements CoordMap.
func (m *SplineMap) Backward(gx, gtheta, gz []float32, gld []float64, n, rows int) {
	w := m.s.ParamsPerCoord() * n
	for r := 0; r < rows; r++ {
		var gxr []float32
		if gx != nil {
			gxr = gx[r*n : (r+1)*n]
		}
		rqsBackward(m.s, m.kn, gxr, gtheta[r*w:(r+1)*w], gz[r*n:(r+1)*n], m.x[r*n:(r+1)*n], m.theta[r*w:(r+1)*w], gld[r])
	}
}

// Data implements CoordMap.
func (m *SplineMap) Data(x, z, theta []float32, n, rows int, logdet []float64) {
	w := m.s.ParamsPerCoord() * n
	for r := 0; r < rows; r++ {
		logdet[r] += rqsInverse(m.s, m.kn, x[r*n:(r+1)*n], z[r*n:(r+1)*n], theta[r*w:(r+1)*w])
	}
}

// DataColumn implements CoordMap.
func (m *SplineMap) DataColumn(x, z, theta []float32, stride, rows int, logdet []float64) {
	th := m.th
	for r := 0; r < rows; r++ {
		for p := range th {
			th[p] = theta[p*stride+r]
		}
		logdet[r] += rqsInverse(m.s, m.kn, x[r:r+1], z[r:r+1], th)
	}
}
