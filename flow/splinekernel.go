package flow

import "math"

// splineKernel evaluates a SplineMap's per-coordinate work on a prepared
// block: in Go (RQSpline.latentGo) or, where the CPU has AVX-512, eight
// coordinates at a time in assembly that does the same float64 operations
// in the same order (no fused multiply-adds, the bins by comparisons
// instead of an early exit), so both give the same bits.
type splineKernel struct {
	s RQSpline
	c *splineConsts // the assembly's constants and tables
}

// splineConsts is the assembly's read-only data (splinekernel_amd64.s
// addresses it by byte offset: keep the layout in step, TestSplineConsts
// checks the offsets): 32 float64 vectors (bits of some of them integers),
// 6 int32 vectors, the lane masks of a partial group, exp64's 2^(j/64)
// table and log64's table.
type splineConsts struct {
	f     [32][8]float64
	i     [6][16]int32
	masks [64]uint8
	exp2  [64]float64
	logt  [128][2]float64
	g     [3][8]float64 // Backward's: 2B(1 - K MinBinWidth), 2B(1 - K MinBinHeight), 2
	q     [7][4]int64   // the AVX2 kernels' int64 vectors (sq* indices)
}

// Indices of splineConsts.f and splineConsts.i, in the assembly's order.
const (
	scNegB = iota
	scPosB
	scTwoB
	scMinW
	scScaleW
	scMinH
	scScaleH
	scMinD
	scOne
	scExpFloor
	scExpInv
	scExpMagic
	scExpLn2Hi
	scExpLn2Lo
	scC120
	scC24
	scC6
	scC2
	scMant
	scOneBits
	sc127
	sc63
	sc1023
	scInv128
	scC256
	scL6
	scL5
	scL4
	scL3
	scL2
	scLn2
	scSign
)

// Indices of splineConsts.q: lane offsets 0, 4, 8, 12, then 1, -1, K-1,
// 2K-1 in every lane, 2^52's bits (added to an integer below 2^52 they make
// 2^52 + it as a float64) and 1023 as a float64.
const (
	sqIota4 = iota
	sqOne
	sqMinus1
	sqKMinus1
	sqTwoKMinus1
	sqTwo52
	sqF1023
)

const (
	siIota4 = iota
	siOne
	siMinus1
	siKMinus1
	siTwoKMinus1
	siAbs
)

// Exp64's constants (nn/vec's, repeated here for the assembly: the tests
// compare the kernel's exponentials with vec.Exp64).
const (
	splineExpInv   = 64 / math.Ln2
	splineExpMagic = 0x1.8p52
	splineExpLn2Hi = 0x1.62e42fefa0000p-7
	splineExpLn2Lo = 0x1.cf79abc9e3b3ap-46
)

func newSplineKernel(s RQSpline) *splineKernel {
	c := new(splineConsts)
	k := float64(s.K)
	bits := func(u uint64) float64 { return math.Float64frombits(u) }
	vals := [32]float64{
		scNegB: -s.B, scPosB: s.B, scTwoB: 2 * s.B,
		scMinW: MinBinWidth, scScaleW: 1 - float64(MinBinWidth*k), scMinH: MinBinHeight, scScaleH: 1 - float64(MinBinHeight*k),
		scMinD: MinDerivative, scOne: 1,
		scExpFloor: -700, scExpInv: splineExpInv, scExpMagic: splineExpMagic, scExpLn2Hi: splineExpLn2Hi, scExpLn2Lo: splineExpLn2Lo,
		scC120: 1.0 / 120, scC24: 1.0 / 24, scC6: 1.0 / 6, scC2: 1.0 / 2,
		scMant: bits(1<<52 - 1), scOneBits: bits(1023 << 52), sc127: bits(127), sc63: bits(63), sc1023: bits(1023),
		scInv128: 1.0 / 128, scC256: 1.0 / 256,
		scL6: -1.0 / 6, scL5: 1.0 / 5, scL4: -1.0 / 4, scL3: 1.0 / 3, scL2: -1.0 / 2, scLn2: math.Ln2,
		scSign: bits(1 << 63),
	}
	for v, x := range vals {
		for l := range c.f[v] {
			c.f[v][l] = x
		}
	}
	for l := range 8 {
		c.i[siIota4][l] = int32(4 * l)
		c.i[siOne][l] = 1
		c.i[siMinus1][l] = -1
		c.i[siKMinus1][l] = int32(s.K - 1)
		c.i[siTwoKMinus1][l] = int32(2*s.K - 1)
		c.i[siAbs][l] = 0x7fffffff
	}
	for r := 0; r <= 8; r++ {
		c.masks[r] = uint8(1<<r - 1)
	}
	for j := range c.exp2 {
		c.exp2[j] = math.Exp2(float64(j) / 64)
	}
	for l := range 8 {
		c.g[0][l] = 2 * s.B * (1 - float64(MinBinWidth*k))
		c.g[1][l] = 2 * s.B * (1 - float64(MinBinHeight*k))
		c.g[2][l] = 2
	}
	for l := range 4 {
		c.q[sqIota4][l] = int64(4 * l)
		c.q[sqOne][l] = 1
		c.q[sqMinus1][l] = -1
		c.q[sqKMinus1][l] = int64(s.K - 1)
		c.q[sqTwoKMinus1][l] = int64(2*s.K - 1)
		c.q[sqTwo52][l] = int64(math.Float64bits(0x1p52))
		c.q[sqF1023][l] = int64(math.Float64bits(1023))
	}
	for j := range c.logt {
		c.logt[j] = [2]float64{logTable[j].log, logTable[j].inv}
	}
	return &splineKernel{s: s, c: c}
}

// splineArgs are the assembly's arguments (8-byte fields, offsets 0 to 80).
type splineArgs struct {
	x, z   *float32
	e      *float64
	theta  *float32
	lt     int
	cnt    int
	at     *float64
	fs     int
	bins   *int32
	k      int
	consts *splineConsts
}

// prepare is SplineMap.prepare's conversion and exponentials on the vector
// path when it is enabled: it writes Exp64 of the rows raw parameter rows
// at theta (stride lt) into e (rows of cnt) and returns the largest |theta|
// as float32 bits (NaN above +Inf), or ok = false if it did nothing.
func (k *splineKernel) prepare(e []float64, theta []float32, lt, cnt, rows int) (worst uint32, ok bool) {
	if !useSplineVector || cnt == 0 {
		return 0, false
	}
	_ = e[rows*cnt-1]
	_ = theta[(rows-1)*lt+cnt-1]
	if useSplineAVX512 {
		return splinePrepareVector(&e[0], &theta[0], lt, cnt, rows, k.c), true
	}
	// The AVX2 kernel does whole groups of four; Go the rest.
	if cnt >= 4 {
		worst = splinePrepareAVX2(&e[0], &theta[0], lt, cnt, rows, k.c)
	}
	for j := range rows {
		for i := cnt &^ 3; i < cnt; i++ {
			v := theta[j*lt+i]
			e[j*cnt+i] = exp64(float64(v))
			worst = max(worst, math.Float32bits(v)&0x7fffffff)
		}
	}
	return worst, true
}

// gatherable reports whether the kernels' 32-bit gather offsets reach
// every parameter row of stride lt (always, for the flows' chunks).
func (k *splineKernel) gatherable(lt int) bool { return (3*k.s.K)*lt*4 < 1<<31 }

// latent is RQSpline.latentGo, on the vector path when it is enabled.
func (k *splineKernel) latent(z, x []float32, e []float64, theta []float32, lt, cnt int, at []float64, fs int, bins []int32) {
	if !useSplineVector || cnt == 0 || !k.gatherable(lt) {
		k.s.latentGo(z, x, e, theta, lt, cnt, at, fs, bins)
		return
	}
	// The assembly checks no bounds: every element it may touch, here.
	K := k.s.K
	_, _, _ = z[cnt-1], x[cnt-1], bins[cnt-1]
	_ = e[2*K*cnt-1]
	_ = theta[(3*K-2)*lt+cnt-1]
	_ = at[(atFields-1)*fs+cnt-1]
	a := splineArgs{x: &x[0], z: &z[0], e: &e[0], theta: &theta[0], lt: lt, cnt: cnt,
		at: &at[0], fs: fs, bins: &bins[0], k: K, consts: k.c}
	if useSplineAVX512 {
		splineLatentVector(&a)
		return
	}
	// The AVX2 kernel does whole groups of four; Go the rest.
	if cnt >= 4 {
		splineLatentAVX2(&a)
	}
	k.s.latentGoFrom(cnt&^3, z, x, e, theta, lt, cnt, at, fs, bins)
}

// backward is RQSpline.backwardGo (one row of len(x) coordinates), on the
// vector path when it is enabled.
func (k *splineKernel) backward(gx, gt, gz []float32, gld float64, x []float32, e, at []float64, fs int, bins []int32) {
	n := len(x)
	if !useSplineVector || n == 0 {
		k.s.backwardGo(gx, gt, gz, gld, x, e, at, fs, bins)
		return
	}
	K := k.s.K
	_, _ = gz[n-1], bins[n-1]
	_ = gt[(3*K-1)*n-1]
	_ = e[2*K*n-1]
	_ = at[(atFields-1)*fs+n-1]
	a := splineBackArgs{x: &x[0], gz: &gz[0], gt: &gt[0], e: &e[0], at: &at[0], bins: &bins[0],
		n: n, fs: fs, k: K, gld: gld, consts: k.c}
	if gx != nil {
		_ = gx[n-1]
		a.gx = &gx[0]
	}
	if useSplineAVX512 {
		splineBackwardVector(&a)
		return
	}
	if n >= 4 {
		splineBackwardAVX2(&a)
	}
	k.s.backwardGoFrom(n&^3, gx, gt, gz, gld, x, e, at, fs, bins)
}

// splineBackArgs are the backward assembly's arguments (8-byte fields,
// offsets 0 to 88).
type splineBackArgs struct {
	x, gz  *float32
	gx     *float32 // nil: not wanted
	gt     *float32
	e      *float64
	at     *float64
	bins   *int32
	n      int
	fs     int
	k      int
	gld    float64
	consts *splineConsts
}

// inverse is RQSpline.inverseGo, on the vector path when it is enabled.
// The assembly's logarithm takes positive normal slopes only; the few
// others (NaN, Inf, 0 from extreme parameters) get log64's, which is
// math.Log's for them.
func (k *splineKernel) inverse(x, z []float32, e []float64, theta []float32, lt, cnt int, lg, slope []float64) {
	if !useSplineVector || cnt == 0 || !k.gatherable(lt) {
		k.s.inverseGo(x, z, e, theta, lt, cnt, lg, slope)
		return
	}
	K := k.s.K
	_, _, _, _ = x[cnt-1], z[cnt-1], lg[cnt-1], slope[cnt-1]
	_ = e[2*K*cnt-1]
	_ = theta[(3*K-2)*lt+cnt-1]
	a := splineInvArgs{z: &z[0], x: &x[0], e: &e[0], theta: &theta[0], lt: lt, cnt: cnt,
		lg: &lg[0], slope: &slope[0], k: K, consts: k.c}
	if useSplineAVX512 {
		splineInverseVector(&a)
	} else {
		if cnt >= 4 {
			splineInverseAVX2(&a)
		}
		k.s.inverseGoFrom(cnt&^3, x, z, e, theta, lt, cnt, lg, slope)
	}
	for i, sl := range slope[:cnt] {
		if be := math.Float64bits(sl) >> 52; be == 0 || be >= 0x7ff {
			lg[i] = log64(sl)
		}
	}
}

// splineInvArgs are the inverse assembly's arguments (8-byte fields,
// offsets 0 to 72).
type splineInvArgs struct {
	z, x   *float32
	e      *float64
	theta  *float32
	lt     int
	cnt    int
	lg     *float64
	slope  *float64
	k      int
	consts *splineConsts
}
