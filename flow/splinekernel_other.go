//go:build !amd64 || purego

package flow

// Off amd64 (or with the purego tag) the spline runs in Go only.
const (
	hasSplineAVX512 = false
	hasSplineAVX2   = false
	hasSplineVector = false
)

var (
	useSplineVector = false
	useSplineAVX512 = false
)

func splineLatentVector(a *splineArgs) {
	panic("flow: spline vector kernel called on a build without it")
}

func splinePrepareVector(e *float64, theta *float32, lt, cnt, rows int, c *splineConsts) uint32 {
	panic("flow: spline vector kernel called on a build without it")
}

func splineBackwardVector(a *splineBackArgs) {
	panic("flow: spline vector kernel called on a build without it")
}

func splineInverseVector(a *splineInvArgs) {
	panic("flow: spline vector kernel called on a build without it")
}

func splineMax0Vector(dst, src *[8]float64) {
	panic("flow: spline vector kernel called on a build without it")
}

func splineLatentAVX2(a *splineArgs) {
	panic("flow: spline vector kernel called on a build without it")
}

func splinePrepareAVX2(e *float64, theta *float32, lt, cnt, rows int, c *splineConsts) uint32 {
	panic("flow: spline vector kernel called on a build without it")
}

func splineBackwardAVX2(a *splineBackArgs) {
	panic("flow: spline vector kernel called on a build without it")
}

func splineInverseAVX2(a *splineInvArgs) {
	panic("flow: spline vector kernel called on a build without it")
}

func splineMax0AVX2(dst, src *[8]float64) {
	panic("flow: spline vector kernel called on a build without it")
}
