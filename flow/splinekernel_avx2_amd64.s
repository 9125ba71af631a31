//go:build amd64 && !purego

#include "textflag.h"
#include "splinekernel_amd64.h"

// The AVX2 spline kernels: splinekernel_amd64.s's steps on four float64
// lanes, without mask registers (lane masks are vectors, merges are
// blends), for whole groups of four coordinates (the Go wrappers finish the
// tails in Go). Only 16 vector registers: the long-lived values of a group
// live in the frame. Constants: splinekernel_amd64.h.

// EXP2(a, out): out = Exp64(a) on four lanes, exp64AVX512's operations.
// Clobbers Y1-Y7 (a must not be one of them; out may).
#define EXP2(a, out) \
	VMOVUPD EXPFLOOR, Y1 \
	VMAXPD a, Y1, a \
	VMULPD EXPINV, a, Y1 \
	VADDPD EXPMAGIC, Y1, Y1 \
	VSUBPD EXPMAGIC, Y1, Y2 \
	VMULPD LN2HI, Y2, Y3 \
	VSUBPD Y3, a, Y3 \
	VMULPD LN2LO, Y2, Y4 \
	VSUBPD Y4, Y3, Y3 \
	VMULPD C120, Y3, Y4 \
	VADDPD C24, Y4, Y4 \
	VMULPD Y4, Y3, Y4 \
	VADDPD C6, Y4, Y4 \
	VMULPD Y4, Y3, Y4 \
	VADDPD C2, Y4, Y4 \
	VMULPD Y4, Y3, Y4 \
	VADDPD ONE, Y4, Y4 \
	VMULPD Y4, Y3, Y4 \
	VADDPD ONE, Y4, Y4 \
	VPAND I63, Y1, Y5 \
	VPCMPEQQ Y6, Y6, Y6 \
	VGATHERQPD Y6, 2496(AX)(Y5*8), Y7 \
	VMULPD Y4, Y7, Y7 \
	VPSRLQ $6, Y1, Y5 \
	VPSLLQ $52, Y5, Y5 \
	VPADDQ Y5, Y7, out

// LOG2(w, out): out = log64(w) for positive normal w, log64's operations.
// Clobbers Y1-Y6 (w and out must not be among them).
#define LOG2(w, out) \
	VPSRLQ $52, w, Y1 \
	VPSRLQ $45, w, Y2 \
	VPAND I127, Y2, Y2 \
	VPAND MANT, w, Y3 \
	VPOR ONEBITS, Y3, Y3 \
	VPOR QTWO52, Y2, Y4 \
	VSUBPD QTWO52, Y4, Y4 \
	VMULPD INV128, Y4, Y4 \
	VADDPD ONE, Y4, Y4 \
	VADDPD C256, Y4, Y4 \
	VSUBPD Y4, Y3, Y3 \
	VPSLLQ $1, Y2, Y2 \
	VPCMPEQQ Y6, Y6, Y6 \
	VGATHERQPD Y6, 3016(AX)(Y2*8), Y4 \
	VMULPD Y4, Y3, Y3 \
	VMULPD L6, Y3, Y4 \
	VADDPD L5, Y4, Y4 \
	VMULPD Y4, Y3, Y4 \
	VADDPD L4, Y4, Y4 \
	VMULPD Y4, Y3, Y4 \
	VADDPD L3, Y4, Y4 \
	VMULPD Y4, Y3, Y4 \
	VADDPD L2, Y4, Y4 \
	VMULPD Y4, Y3, Y4 \
	VADDPD ONE, Y4, Y4 \
	VMULPD Y4, Y3, Y4 \
	VPCMPEQQ Y6, Y6, Y6 \
	VGATHERQPD Y6, 3008(AX)(Y2*8), Y5 \
	VPOR QTWO52, Y1, Y1 \
	VSUBPD QTWO52, Y1, Y1 \
	VSUBPD QF1023, Y1, Y1 \
	VMULPD LN2, Y1, Y1 \
	VADDPD Y5, Y1, Y1 \
	VADDPD Y4, Y1, out

// DERIV2(u, d, ev, w): RQSpline.deriv on four lanes: ev = Exp64(-|u|),
// w = 1 + ev, d = (MinDerivative + max(u, 0)) + log64(w). Clobbers Y0-Y7.
#define DERIV2(u, d, ev, w) \
	VORPD SIGN, u, Y0 \
	EXP2(Y0, ev) \
	VADDPD ONE, ev, w \
	LOG2(w, Y0) \
	VXORPD Y1, Y1, Y1 \
	VMAXPD u, Y1, Y1 \
	VADDPD MIND, Y1, Y1 \
	VADDPD Y0, Y1, d

// GATHERU(idx, m, mx, out): out = float64(theta[idx]) (byte offsets idx
// from R8) where the qword lane mask m (mx its low half) is set, 0
// elsewhere. Clobbers X1, X2.
#define GATHERU(idx, m, mx, out) \
	VEXTRACTI128 $1, m, X2 \
	VSHUFPS $0x88, X2, mx, X1 \
	VXORPS X2, X2, X2 \
	VGATHERQPS X1, (R8)(idx*1), X2 \
	VCVTPS2PD X2, out

// SUMS2(l): Y2, Y3 = the inverses of the width and height exponentials'
// sums for the group at DX. Clobbers BX, CX, Y4. Loop label l.
#define SUMS2(l) \
	VXORPD Y2, Y2, Y2 \
	VXORPD Y3, Y3, Y3 \
	MOVQ DX, BX \
	MOVQ kk-496(SP), CX \
l: \
	VADDPD (BX), Y2, Y2 \
	VADDPD (BX)(R14*1), Y3, Y3 \
	ADDQ R10, BX \
	DECQ CX \
	JNZ  l \
	VMOVUPD ONE, Y4 \
	VDIVPD Y2, Y4, Y2 \
	VDIVPD Y3, Y4, Y3

// SCAN2(inv, scale, min, l): SCAN on four lanes: the bin of v (Y0) among
// the knots of the floored softmax at BX, for the lanes of the mask Y1
// (cleared on the way), into Y8, its knots into Y6 and Y7. Clobbers BX, CX,
// Y1, Y4, Y5, Y9-Y11. Loop label l.
#define SCAN2(inv, scale, min, l) \
	VXORPD Y4, Y4, Y4 \
	VMOVUPD NEGB, Y5 \
	VXORPD Y8, Y8, Y8 \
	VXORPD Y9, Y9, Y9 \
	MOVQ kk-496(SP), CX \
	DECQ CX \
l: \
	VMULPD (BX), inv, Y10 \
	VMULPD scale, Y10, Y10 \
	VADDPD min, Y10, Y10 \
	VADDPD Y10, Y4, Y4 \
	VMULPD TWOB, Y4, Y11 \
	VADDPD NEGB, Y11, Y11 \
	VCMPPD $0x11, Y11, Y0, Y10 \
	VANDPD Y1, Y10, Y10 \
	VBLENDVPD Y10, Y5, Y6, Y6 \
	VBLENDVPD Y10, Y11, Y7, Y7 \
	VBLENDVPD Y10, Y9, Y8, Y8 \
	VANDNPD Y1, Y10, Y1 \
	VMOVAPD Y11, Y5 \
	VPADDQ QONE, Y9, Y9 \
	ADDQ R10, BX \
	DECQ CX \
	JNZ  l \
	VBLENDVPD Y1, Y5, Y6, Y6 \
	VMOVUPD POSB, Y10 \
	VBLENDVPD Y1, Y10, Y7, Y7 \
	VBLENDVPD Y1, Y9, Y8, Y8

// PAIR2(inv, scale, min, l): PAIR on four lanes: knots b and b+1 (b in Y8)
// of the floored softmax at BX into Y12 and Y13, for the inside lanes
// (reloaded into Y1). Clobbers BX, CX, Y4, Y9-Y11, Y14. Loop label l.
#define PAIR2(inv, scale, min, l) \
	VMOVUPD in-64(SP), Y1 \
	VXORPD Y4, Y4, Y4 \
	VXORPD Y9, Y9, Y9 \
	MOVQ kk-496(SP), CX \
	DECQ CX \
l: \
	VPCMPEQQ Y9, Y8, Y14 \
	VANDPD Y1, Y14, Y14 \
	VMULPD TWOB, Y4, Y11 \
	VADDPD NEGB, Y11, Y11 \
	VBLENDVPD Y14, Y11, Y12, Y12 \
	VMULPD (BX), inv, Y10 \
	VMULPD scale, Y10, Y10 \
	VADDPD min, Y10, Y10 \
	VADDPD Y10, Y4, Y4 \
	VMULPD TWOB, Y4, Y11 \
	VADDPD NEGB, Y11, Y11 \
	VBLENDVPD Y14, Y11, Y13, Y13 \
	VPADDQ QONE, Y9, Y9 \
	ADDQ R10, BX \
	DECQ CX \
	JNZ  l \
	VPCMPEQQ Y9, Y8, Y14 \
	VANDPD Y1, Y14, Y14 \
	VMULPD TWOB, Y4, Y11 \
	VADDPD NEGB, Y11, Y11 \
	VBLENDVPD Y14, Y11, Y12, Y12 \
	VMOVUPD POSB, Y10 \
	VBLENDVPD Y14, Y10, Y13, Y13

// DERIVAT0: the derivative at knot b (1 at b = 0; the inside lanes Y1, the
// bins Y8): Y12 = D0, Y15 = its mask (also at m-480(SP)), Y11 its raw
// parameter, Y13 and Y14 e^-|u| and 1 + e^-|u|, Y10 = 1, Y9 the parameter
// row offsets. DERIVAT1: the same at knot b+1 (1 at b = K-1), from the row
// after Y9's (reloads the bins and the inside mask).
#define DERIVAT0 \
	VPXOR Y10, Y10, Y10 \
	VPCMPEQQ Y10, Y8, Y10 \
	VANDNPD Y1, Y10, Y15 \
	VMOVUPD Y15, m-480(SP) \
	VPADDQ Q2KM1, Y8, Y9 \
	VPMULUDQ lt4-448(SP), Y9, Y9 \
	VPADDQ QIOTA4, Y9, Y9 \
	GATHERU(Y9, Y15, X15, Y11) \
	DERIV2(Y11, Y12, Y13, Y14) \
	VMOVUPD m-480(SP), Y15 \
	VMOVUPD ONE, Y10 \
	VBLENDVPD Y15, Y12, Y10, Y12

#define DERIVAT1 \
	VMOVDQU b-224(SP), Y8 \
	VPCMPEQQ QKM1, Y8, Y10 \
	VANDNPD in-64(SP), Y10, Y15 \
	VMOVUPD Y15, m-480(SP) \
	VPADDQ lt4-448(SP), Y9, Y9 \
	GATHERU(Y9, Y15, X15, Y11) \
	DERIV2(Y11, Y12, Y13, Y14) \
	VMOVUPD m-480(SP), Y15 \
	VMOVUPD ONE, Y10 \
	VBLENDVPD Y15, Y12, Y10, Y12

// func splineLatentAVX2(a *splineArgs)
//
// splineLatentVector on four lanes for the first a.cnt&^3
// coordinates. Frame slots (32 bytes): v, inside, X, xhi (then W), Y, yhi
// (then H), bins, D0, D1, sig0, invW, invH, sig1, lt*4 in every lane, the
// mask of the derivative being computed.
TEXT ·splineLatentAVX2(SB), $512-8
	MOVQ a+0(FP), BX
	MOVQ 0(BX), DI
	MOVQ 8(BX), SI
	MOVQ 16(BX), DX
	MOVQ 24(BX), R8
	MOVQ 32(BX), R9
	SHLQ $2, R9
	MOVQ 40(BX), R13
	MOVQ R13, R10
	SHLQ $3, R10
	MOVQ 48(BX), R11
	MOVQ 56(BX), CX
	SHLQ $3, CX
	MOVQ CX, fs8-488(SP)
	MOVQ 64(BX), R12
	MOVQ 72(BX), CX
	MOVQ CX, kk-496(SP)
	MOVQ R10, R14
	IMULQ CX, R14
	MOVQ 80(BX), AX
	MOVQ R9, X0
	VPBROADCASTQ X0, Y0
	VMOVDQU Y0, lt4-448(SP)

agroup:
	CMPQ R13, $4
	JLT  adone
	VMOVUPS (DI), X15
	VCVTPS2PD X15, Y0
	VMOVUPD Y0, v-32(SP)
	VCMPPD $0x1d, NEGB, Y0, Y1
	VCMPPD $0x11, POSB, Y0, Y2
	VANDPD Y2, Y1, Y1
	VMOVUPD Y1, in-64(SP)
	VMOVMSKPD Y1, BX
	VMOVDQU QMINUS1, Y14 // bins outside
	TESTL BX, BX
	JZ    astore

	SUMS2(asums)
	VMOVUPD Y2, invw-352(SP)
	VMOVUPD Y3, invh-384(SP)

	MOVQ DX, BX
	SCAN2(Y2, SCALEW, MINW, ascan)
	VMOVUPD Y6, x-96(SP)
	VMOVUPD Y7, xhi-128(SP)
	VMOVDQU Y8, b-224(SP)

	// pair over the heights: Y12 ylo, Y13 yhi.
	LEAQ (DX)(R14*1), BX
	PAIR2(Y3, SCALEH, MINH, apair)
	VMOVUPD Y12, y-160(SP)
	VMOVUPD Y13, yhi-192(SP)

	// D0 (1 at b = 0) from parameter row 2K-1+b, D1 (1 at b = K-1) from
	// the next row.
	DERIVAT0
	VMOVUPD Y12, d0-256(SP)
	VXORPD Y1, Y1, Y1
	VCMPPD $0x1d, Y1, Y11, Y1
	VBLENDVPD Y1, Y10, Y13, Y2
	VDIVPD Y14, Y2, Y2
	VANDPD Y15, Y2, Y2
	VMOVUPD Y2, sig0-320(SP)

	DERIVAT1
	VMOVUPD Y12, d1-288(SP)
	VXORPD Y1, Y1, Y1
	VCMPPD $0x1d, Y1, Y11, Y1
	VBLENDVPD Y1, Y10, Y13, Y2
	VDIVPD Y14, Y2, Y2
	VANDPD Y15, Y2, Y2
	VMOVUPD Y2, sig1-416(SP)

	// local.value: Y0 v, Y2 X, Y3 W, Y4 Y, Y5 H, Y6 D0, Y7 D1.
	VMOVUPD v-32(SP), Y0
	VMOVUPD x-96(SP), Y2
	VMOVUPD xhi-128(SP), Y3
	VSUBPD Y2, Y3, Y3
	VMOVUPD Y3, xhi-128(SP) // now W
	VMOVUPD y-160(SP), Y4
	VMOVUPD yhi-192(SP), Y5
	VSUBPD Y4, Y5, Y5
	VMOVUPD Y5, yhi-192(SP) // now H
	VMOVUPD d0-256(SP), Y6
	VMOVUPD d1-288(SP), Y7
	VSUBPD Y2, Y0, Y8
	VDIVPD Y3, Y8, Y8    // xi
	VDIVPD Y3, Y5, Y9    // s
	VMOVUPD ONE, Y10
	VSUBPD Y8, Y10, Y10  // 1 - xi
	VMULPD Y10, Y8, Y11  // t
	VADDPD Y7, Y6, Y12
	VADDPD Y9, Y9, Y13   // 2s
	VSUBPD Y13, Y12, Y12
	VMULPD Y11, Y12, Y12
	VADDPD Y12, Y9, Y12  // den
	VMULPD Y8, Y9, Y14
	VMULPD Y8, Y14, Y14
	VMULPD Y11, Y6, Y15
	VADDPD Y15, Y14, Y14 // num
	VMULPD Y14, Y5, Y14
	VDIVPD Y12, Y14, Y14
	VADDPD Y14, Y4, Y14  // z
	VMULPD Y8, Y7, Y15
	VMULPD Y8, Y15, Y15
	VMULPD Y11, Y13, Y13
	VADDPD Y13, Y15, Y15
	VMULPD Y10, Y6, Y13
	VMULPD Y10, Y13, Y13
	VADDPD Y13, Y15, Y15 // m
	VDIVPD Y12, Y9, Y13  // q
	VMULPD Y13, Y13, Y13
	VMULPD Y15, Y13, Y13 // slope

	// The outputs: z (x outside), the fields, the bins (-1 outside).
	VCVTPD2PSY Y14, X14
	VMOVUPD in-64(SP), Y1
	VEXTRACTI128 $1, Y1, X2
	VSHUFPS $0x88, X2, X1, X2
	VMOVUPS (DI), X15
	VBLENDVPS X2, X14, X15, X15
	MOVQ fs8-488(SP), CX
	MOVQ R11, BX
	VMOVUPD x-96(SP), Y2
	VMOVUPD Y2, (BX)
	ADDQ CX, BX
	VMOVUPD xhi-128(SP), Y2
	VMOVUPD Y2, (BX)
	ADDQ CX, BX
	VMOVUPD Y4, (BX)
	ADDQ CX, BX
	VMOVUPD Y5, (BX)
	ADDQ CX, BX
	VMOVUPD Y6, (BX)
	ADDQ CX, BX
	VMOVUPD Y7, (BX)
	ADDQ CX, BX
	VMOVUPD invw-352(SP), Y2
	VMOVUPD Y2, (BX)
	ADDQ CX, BX
	VMOVUPD invh-384(SP), Y2
	VMOVUPD Y2, (BX)
	ADDQ CX, BX
	VMOVUPD sig0-320(SP), Y2
	VMOVUPD Y2, (BX)
	ADDQ CX, BX
	VMOVUPD sig1-416(SP), Y2
	VMOVUPD Y2, (BX)
	ADDQ CX, BX
	VMOVUPD Y13, (BX)
	VMOVDQU b-224(SP), Y8
	VMOVDQU QMINUS1, Y14
	VBLENDVPD Y1, Y8, Y14, Y14

astore:
	VMOVUPS X15, (SI)
	VEXTRACTI128 $1, Y14, X2
	VSHUFPS $0x88, X2, X14, X2
	VMOVUPS X2, (R12)
	ADDQ $16, DI
	ADDQ $16, SI
	ADDQ $32, DX
	ADDQ $16, R8
	ADDQ $32, R11
	ADDQ $16, R12
	SUBQ $4, R13
	JMP  agroup

adone:
	VZEROUPPER
	RET

// func splinePrepareAVX2(e *float64, theta *float32, lt, cnt, rows int, c *splineConsts) uint32
//
// splinePrepareVector on four lanes, for the first cnt&^3 values of each
// row.
TEXT ·splinePrepareAVX2(SB), NOSPLIT, $0-52
	MOVQ e+0(FP), DI
	MOVQ theta+8(FP), SI
	MOVQ lt+16(FP), R9
	SHLQ $2, R9
	MOVQ cnt+24(FP), R10
	MOVQ rows+32(FP), R11
	MOVQ c+40(FP), AX
	VPXOR X9, X9, X9

prow:
	MOVQ DI, DX
	MOVQ SI, R8
	MOVQ R10, R13

planes:
	CMPQ R13, $4
	JLT  pnext
	VMOVUPS (R8), X0
	VPAND IABS, X0, X8
	VPMAXUD X8, X9, X9
	VCVTPS2PD X0, Y0
	EXP2(Y0, Y0)
	VMOVUPD Y0, (DX)
	ADDQ $32, DX
	ADDQ $16, R8
	SUBQ $4, R13
	JMP  planes

pnext:
	LEAQ (DI)(R10*8), DI
	ADDQ R9, SI
	DECQ R11
	JNZ  prow

	VPSHUFD $0x4e, X9, X1
	VPMAXUD X1, X9, X9
	VPSHUFD $0xb1, X9, X1
	VPMAXUD X1, X9, X9
	VMOVD X9, BX
	MOVL BX, ret+48(FP)
	VZEROUPPER
	RET

// SOFTMAXGRADS2(invs, scale, ga, gb, l1, l2): SOFTMAXGRADS on four lanes:
// the K softmax inputs whose exponentials start at BX (rows R10 apart),
// gradients to R15 (rows R9 apart); invs, ga, gb are frame slots (gb
// already 0 at b = K-1), Y8 the bins, Y14 the inside mask. Leaves BX and
// R15 K rows further on. Clobbers CX, Y0-Y7, Y9-Y13.
#define SOFTMAXGRADS2(invs, scale, ga, gb, l1, l2) \
	VMOVUPD ga, Y0 \
	VADDPD gb, Y0, Y0 \
	VMULPD scale, Y0, Y10 \
	VMOVUPD gb, Y0 \
	VMULPD scale, Y0, Y11 \
	VXORPD Y12, Y12, Y12 \
	VXORPD Y13, Y13, Y13 \
	VPXOR Y9, Y9, Y9 \
	MOVQ kk-784(SP), CX \
l1: \
	VMOVUPD (BX), Y0 \
	VPCMPGTQ Y9, Y8, Y1 \
	VANDPD Y14, Y1, Y1 \
	VADDPD Y0, Y12, Y2 \
	VBLENDVPD Y1, Y2, Y12, Y12 \
	VPCMPEQQ Y9, Y8, Y1 \
	VANDPD Y14, Y1, Y1 \
	VBLENDVPD Y1, Y0, Y13, Y13 \
	VPADDQ QONE, Y9, Y9 \
	ADDQ R10, BX \
	DECQ CX \
	JNZ l1 \
	VMULPD Y12, Y10, Y12 \
	VMULPD Y13, Y11, Y13 \
	VADDPD Y13, Y12, Y12 \
	VMULPD invs, Y12, Y12 \
	VXORPD SIGN, Y12, Y12 \
	SUBQ ke8-792(SP), BX \
	VPXOR Y9, Y9, Y9 \
	VMOVUPD invs, Y7 \
	MOVQ kk-784(SP), CX \
l2: \
	VPCMPGTQ Y9, Y8, Y1 \
	VANDPD Y14, Y1, Y1 \
	VADDPD Y10, Y12, Y2 \
	VBLENDVPD Y1, Y2, Y12, Y2 \
	VPCMPEQQ Y9, Y8, Y1 \
	VANDPD Y14, Y1, Y1 \
	VADDPD Y11, Y2, Y3 \
	VBLENDVPD Y1, Y3, Y2, Y2 \
	VMULPD (BX), Y7, Y0 \
	VMULPD Y2, Y0, Y0 \
	VANDPD Y14, Y0, Y0 \
	VCVTPD2PSY Y0, X0 \
	VMOVUPS X0, (R15) \
	VPADDQ QONE, Y9, Y9 \
	ADDQ R10, BX \
	ADDQ R9, R15 \
	DECQ CX \
	JNZ l2

// func splineBackwardAVX2(a *splineBackArgs)
//
// splineBackwardVector on four lanes, for the first a.n&^3 coordinates.
// Registers as there; the group's intermediate values live in frame slots.
TEXT ·splineBackwardAVX2(SB), $800-8
	MOVQ a+0(FP), BX
	MOVQ 0(BX), DI
	MOVQ 8(BX), SI
	MOVQ 16(BX), DX
	MOVQ 24(BX), R8
	MOVQ 32(BX), R14
	MOVQ 40(BX), R11
	MOVQ 48(BX), R12
	MOVQ 56(BX), R13
	MOVQ R13, R9
	SHLQ $2, R9
	MOVQ R13, R10
	SHLQ $3, R10
	MOVQ 64(BX), CX
	SHLQ $3, CX
	MOVQ CX, fs8-776(SP)
	MOVQ 72(BX), CX
	MOVQ CX, kk-784(SP)
	IMULQ R10, CX
	MOVQ CX, ke8-792(SP)
	VBROADCASTSD 80(BX), Y0
	VMOVUPD Y0, gld-768(SP)
	MOVQ 88(BX), AX

cgroup:
	CMPQ R13, $4
	JLT  cdone
	VMOVUPS (R12), X0
	VPMOVSXDQ X0, Y8
	VMOVDQU Y8, b-96(SP)
	VMOVDQU QMINUS1, Y0
	VPCMPGTQ Y0, Y8, Y14 // bin >= 0
	VMOVUPD Y14, in-64(SP)
	VMOVUPS (SI), X0
	VCVTPS2PD X0, Y1
	VMOVUPD Y1, gz-32(SP)
	VMOVUPS (DI), X0
	VCVTPS2PD X0, Y0

	// local.grads: Y3 W, Y4 H, Y5 D0, Y6 D1.
	MOVQ fs8-776(SP), CX
	MOVQ R11, BX
	VSUBPD (BX), Y0, Y10
	ADDQ CX, BX
	VMOVUPD (BX), Y3
	ADDQ CX, BX
	ADDQ CX, BX
	VMOVUPD (BX), Y4
	ADDQ CX, BX
	VMOVUPD (BX), Y5
	ADDQ CX, BX
	VMOVUPD (BX), Y6
	VDIVPD Y3, Y10, Y10  // xi
	VDIVPD Y3, Y4, Y11   // s
	VMOVUPD ONE, Y7
	VSUBPD Y10, Y7, Y12  // 1 - xi
	VMULPD Y12, Y10, Y13 // t
	VADDPD Y11, Y11, Y15 // 2s
	VADDPD Y6, Y5, Y14
	VSUBPD Y15, Y14, Y14 // c
	VMULPD Y10, Y11, Y8
	VMULPD Y10, Y8, Y8
	VMULPD Y13, Y5, Y9
	VADDPD Y9, Y8, Y8    // num
	VMULPD Y13, Y14, Y9
	VADDPD Y9, Y11, Y9   // den
	VMOVUPD Y10, xi-128(SP)
	VMOVUPD Y11, s-160(SP)
	VMOVUPD Y12, omx-192(SP)
	VMOVUPD Y13, t-224(SP)
	VMOVUPD Y15, twos-256(SP)
	VMOVUPD Y14, c-288(SP)
	VMOVUPD Y8, num-320(SP)
	VMOVUPD Y9, den-352(SP)
	VMULPD Y10, Y6, Y0
	VMULPD Y10, Y0, Y0
	VMULPD Y13, Y15, Y2
	VADDPD Y2, Y0, Y0
	VMULPD Y12, Y5, Y2
	VMULPD Y12, Y2, Y2
	VADDPD Y2, Y0, Y0    // m
	VMOVUPD Y0, m-384(SP)
	VADDPD Y10, Y10, Y2
	VSUBPD Y2, Y7, Y2    // 1 - 2xi
	VMOVUPD Y2, o2x-416(SP)
	VMULPD Y10, Y10, Y1  // xi^2
	VMOVUPD Y1, ns-448(SP)
	VMULPD Y9, Y9, Y1    // den^2
	VMOVUPD Y1, den2-480(SP)
	VADDPD Y13, Y13, Y1  // 2t
	VMOVUPD Y1, t2-512(SP)

	// gD0 sig0 and gD1 sig1.
	VDIVPD Y9, Y1, Y2    // 2t / den
	VMULPD Y12, Y12, Y7
	VDIVPD Y0, Y7, Y7
	VSUBPD Y2, Y7, Y7    // lD0
	VMOVUPD ns-448(SP), Y1
	VDIVPD Y0, Y1, Y1
	VSUBPD Y2, Y1, Y1    // lD1
	VMULPD Y9, Y13, Y2
	VMULPD Y13, Y8, Y0
	VSUBPD Y0, Y2, Y2
	VMULPD Y2, Y4, Y2
	VDIVPD den2-480(SP), Y2, Y2 // zD0
	VMULPD gz-32(SP), Y2, Y2
	VMULPD gld-768(SP), Y7, Y7
	VADDPD Y7, Y2, Y2    // gD0
	VXORPD SIGN, Y8, Y0
	VMULPD Y13, Y0, Y0
	VMULPD Y0, Y4, Y0
	VDIVPD den2-480(SP), Y0, Y0 // zD1
	VMULPD gz-32(SP), Y0, Y0
	VMULPD gld-768(SP), Y1, Y1
	VADDPD Y1, Y0, Y0    // gD1
	MOVQ fs8-776(SP), CX
	MOVQ CX, BX
	SHLQ $3, BX // atSig0 = 8
	ADDQ R11, BX
	VMULPD (BX), Y2, Y2
	VMOVUPD Y2, gd0-544(SP)
	ADDQ CX, BX
	VMULPD (BX), Y0, Y0
	VMOVUPD Y0, gd1-576(SP)

	// qXi, qS.
	VMULPD Y10, Y15, Y0
	VMULPD o2x-416(SP), Y5, Y1
	VADDPD Y1, Y0, Y0    // nXi
	VMULPD o2x-416(SP), Y14, Y1 // dXi
	VMULPD Y9, Y0, Y0
	VMULPD Y1, Y8, Y2
	VSUBPD Y2, Y0, Y0
	VMULPD Y0, Y4, Y0
	VDIVPD den2-480(SP), Y0, Y0 // zXi
	VADDPD Y6, Y6, Y2
	VMULPD Y10, Y2, Y2
	VMULPD o2x-416(SP), Y15, Y7
	VADDPD Y7, Y2, Y2
	VADDPD Y5, Y5, Y7
	VMULPD Y12, Y7, Y7
	VSUBPD Y7, Y2, Y2    // mXi
	VDIVPD m-384(SP), Y2, Y2
	VADDPD Y1, Y1, Y1
	VDIVPD Y9, Y1, Y1
	VSUBPD Y1, Y2, Y2    // lXi
	VMULPD gz-32(SP), Y0, Y0
	VMULPD gld-768(SP), Y2, Y2
	VADDPD Y2, Y0, Y0    // qXi
	VMOVUPD ONE, Y1
	VSUBPD t2-512(SP), Y1, Y1 // dS
	VMOVUPD ns-448(SP), Y2
	VMULPD Y9, Y2, Y2
	VMULPD Y1, Y8, Y7
	VSUBPD Y7, Y2, Y2
	VMULPD Y2, Y4, Y2
	VDIVPD den2-480(SP), Y2, Y2 // zS
	VMOVUPD TWO, Y7
	VDIVPD Y11, Y7, Y7   // 2/s
	VMOVUPD t2-512(SP), Y6
	VDIVPD m-384(SP), Y6, Y6
	VADDPD Y6, Y7, Y7
	VADDPD Y1, Y1, Y1
	VDIVPD Y9, Y1, Y1
	VSUBPD Y1, Y7, Y7    // lS
	VMULPD gz-32(SP), Y2, Y2
	VMULPD gld-768(SP), Y7, Y7
	VADDPD Y7, Y2, Y2    // qS

	// gx, gX, gW, gH.
	VDIVPD Y3, Y0, Y1    // gx
	VXORPD SIGN, Y0, Y5
	VDIVPD Y3, Y5, Y5    // gX
	VMULPD Y0, Y10, Y6
	VMULPD Y2, Y11, Y7
	VADDPD Y7, Y6, Y6
	VXORPD SIGN, Y6, Y6
	VDIVPD Y3, Y6, Y6    // gW
	VDIVPD Y3, Y2, Y7
	VMULPD gz-32(SP), Y8, Y8
	VDIVPD Y9, Y8, Y8
	VADDPD Y8, Y7, Y7    // gH

	TESTQ DX, DX
	JZ    cnogx
	VCVTPD2PSY Y1, X1
	VMOVUPD in-64(SP), Y14
	VEXTRACTI128 $1, Y14, X2
	VSHUFPS $0x88, X2, X14, X2
	VMOVUPS (SI), X3
	VBLENDVPS X2, X1, X3, X3
	VMOVUPS X3, (DX)
	ADDQ $16, DX

cnogx:
	// b = K-1 drops dL/dc_(b+1); ga and gb of both softmaxes to slots.
	VMOVDQU b-96(SP), Y8
	VPCMPEQQ QKM1, Y8, Y0
	VSUBPD Y6, Y5, Y5    // widths' ga = gX - gW
	VMOVUPD Y5, wga-672(SP)
	VANDNPD Y6, Y0, Y6
	VMOVUPD Y6, wgb-704(SP)
	VMOVUPD gz-32(SP), Y5
	VSUBPD Y7, Y5, Y5    // heights' ga = gz - gH
	VMOVUPD Y5, hga-608(SP)
	VANDNPD Y7, Y0, Y7
	VMOVUPD Y7, hgb-736(SP)
	MOVQ fs8-776(SP), CX
	IMUL3Q $6, CX, BX // atInvW = 6
	VMOVUPD (R11)(BX*1), Y0
	VMOVUPD Y0, invw-640(SP)
	ADDQ CX, BX
	VMOVUPD (R11)(BX*1), Y0
	VMOVUPD Y0, invh-352(SP)
	VMOVUPD in-64(SP), Y14
	MOVQ R14, BX
	MOVQ R8, R15
	SOFTMAXGRADS2(invw-640(SP), GSCALEW, wga-672(SP), wgb-704(SP), cwsum, cwgrad)
	SOFTMAXGRADS2(invh-352(SP), GSCALEH, hga-608(SP), hgb-736(SP), chsum, chgrad)

	// Derivative parameters j = 1..K-1 (gt rows 2K.., R15 is there).
	VPADDQ QONE, Y8, Y6 // b+1
	VMOVDQU QONE, Y9
	VMOVUPD gd0-544(SP), Y2
	VMOVUPD gd1-576(SP), Y3
	MOVQ kk-784(SP), CX
	DECQ CX

cderivs:
	VPCMPEQQ Y9, Y8, Y0
	VANDPD Y14, Y0, Y0
	VPCMPEQQ Y9, Y6, Y1
	VANDPD Y14, Y1, Y1
	VANDPD Y2, Y0, Y0
	VANDPD Y3, Y1, Y1
	VORPD Y1, Y0, Y0
	VCVTPD2PSY Y0, X0
	VMOVUPS X0, (R15)
	ADDQ R9, R15
	VPADDQ QONE, Y9, Y9
	DECQ CX
	JNZ  cderivs

	ADDQ $16, DI
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $32, R11
	ADDQ $16, R12
	ADDQ $32, R14
	SUBQ $4, R13
	JMP  cgroup

cdone:
	VZEROUPPER
	RET

// GOMAX02(r, t): t = Go's max(r, 0) on four lanes (+0 for -0 and below,
// NaN kept). Clobbers Y0 (r and t must not be Y0).
#define GOMAX02(r, t) \
	VXORPD Y0, Y0, Y0 \
	VMAXPD Y0, r, t \
	VCMPPD $3, r, r, Y0 \
	VBLENDVPD Y0, r, t, t

// func splineInverseAVX2(a *splineInvArgs)
//
// splineInverseVector on four lanes, for the first a.cnt&^3 coordinates.
// Frame slots as in splineLatentAVX2 (X, xhi then W, Y, yhi then H, D0, D1).
TEXT ·splineInverseAVX2(SB), $512-8
	MOVQ a+0(FP), BX
	MOVQ 0(BX), DI  // z
	MOVQ 8(BX), SI  // x
	MOVQ 16(BX), DX
	MOVQ 24(BX), R8
	MOVQ 32(BX), R9
	SHLQ $2, R9
	MOVQ 40(BX), R13
	MOVQ R13, R10
	SHLQ $3, R10
	MOVQ 48(BX), R11 // lg
	MOVQ 56(BX), R12 // slope
	MOVQ 64(BX), CX
	MOVQ CX, kk-496(SP)
	MOVQ R10, R14
	IMULQ CX, R14
	MOVQ 72(BX), AX
	MOVQ R9, X0
	VPBROADCASTQ X0, Y0
	VMOVDQU Y0, lt4-448(SP)

igroup2:
	CMPQ R13, $4
	JLT  idone2
	VMOVUPS (DI), X15
	VCVTPS2PD X15, Y0
	VMOVUPD Y0, v-32(SP)
	VCMPPD $0x1d, NEGB, Y0, Y1
	VCMPPD $0x11, POSB, Y0, Y2
	VANDPD Y2, Y1, Y1
	VMOVUPD Y1, in-64(SP)
	VMOVUPD ONE, Y13   // slope 1 outside
	VXORPD Y14, Y14, Y14 // log 0 outside
	VMOVMSKPD Y1, BX
	TESTL BX, BX
	JZ    istore2

	SUMS2(isums2)

	// The bin from the heights: Y6 ylo, Y7 yhi.
	LEAQ (DX)(R14*1), BX
	SCAN2(Y3, SCALEH, MINH, iscan2)
	VMOVUPD Y6, y-160(SP)
	VMOVUPD Y7, yhi-192(SP)
	VMOVDQU Y8, b-224(SP)

	// Its x knots from the widths: Y12, Y13.
	MOVQ DX, BX
	PAIR2(Y2, SCALEW, MINW, ipair2)
	VMOVUPD Y12, x-96(SP)
	VMOVUPD Y13, xhi-128(SP)

	// D0 and D1 as in splineLatentAVX2.
	DERIVAT0
	VMOVUPD Y12, d0-256(SP)

	DERIVAT1
	VMOVUPD Y12, d1-288(SP)

	// local.invert: Y2 X, Y3 W, Y4 Y, Y5 H, Y6 D0, Y7 D1, Y8 s, Y9 dy,
	// Y10 c.
	VMOVUPD x-96(SP), Y2
	VMOVUPD xhi-128(SP), Y3
	VSUBPD Y2, Y3, Y3
	VMOVUPD y-160(SP), Y4
	VMOVUPD yhi-192(SP), Y5
	VSUBPD Y4, Y5, Y5
	VMOVUPD d0-256(SP), Y6
	VMOVUPD Y12, Y7
	VDIVPD Y3, Y5, Y8    // s
	VMOVUPD v-32(SP), Y9
	VSUBPD Y4, Y9, Y9    // dy
	VADDPD Y7, Y6, Y10
	VADDPD Y8, Y8, Y11
	VSUBPD Y11, Y10, Y10 // c
	VSUBPD Y6, Y8, Y11
	VMULPD Y11, Y5, Y11
	VMULPD Y10, Y9, Y12  // dy c
	VADDPD Y12, Y11, Y11 // a
	VMULPD Y6, Y5, Y13
	VSUBPD Y12, Y13, Y13 // b
	VXORPD SIGN, Y8, Y14
	VMULPD Y9, Y14, Y14  // cc
	VMULPD Y13, Y13, Y12
	VADDPD Y11, Y11, Y15
	VADDPD Y15, Y15, Y15
	VMULPD Y14, Y15, Y15
	VSUBPD Y15, Y12, Y12
	GOMAX02(Y12, Y15)    // disc
	VSQRTPD Y15, Y15
	VXORPD SIGN, Y13, Y13
	VSUBPD Y15, Y13, Y13 // den
	VADDPD Y14, Y14, Y14
	VDIVPD Y13, Y14, Y14
	GOMAX02(Y14, Y15)
	VMOVUPD ONE, Y1
	VMINPD Y15, Y1, Y15
	VXORPD Y0, Y0, Y0
	VCMPPD $0, Y0, Y13, Y1 // den == 0: 0
	VBLENDVPD Y1, Y0, Y15, Y15
	VMULPD Y3, Y15, Y15
	VADDPD Y15, Y2, Y15  // x = X + q W

	// local.value's slope at x, and its logarithm.
	VSUBPD Y2, Y15, Y11
	VDIVPD Y3, Y11, Y11  // xi
	VMOVUPD ONE, Y12
	VSUBPD Y11, Y12, Y12 // 1 - xi
	VMULPD Y12, Y11, Y13 // t
	VMULPD Y13, Y10, Y14
	VADDPD Y14, Y8, Y14  // den
	VMULPD Y11, Y7, Y9
	VMULPD Y11, Y9, Y9
	VADDPD Y8, Y8, Y0
	VMULPD Y13, Y0, Y0
	VADDPD Y0, Y9, Y9
	VMULPD Y12, Y6, Y0
	VMULPD Y12, Y0, Y0
	VADDPD Y0, Y9, Y9    // m
	VDIVPD Y14, Y8, Y13
	VMULPD Y13, Y13, Y13
	VMULPD Y9, Y13, Y13  // slope
	VCVTPD2PSY Y15, X15
	VMOVUPD in-64(SP), Y1
	VEXTRACTI128 $1, Y1, X2
	VSHUFPS $0x88, X2, X1, X2
	VMOVUPS (DI), X3
	VBLENDVPS X2, X15, X3, X15
	VMOVUPD Y13, Y7
	LOG2(Y7, Y14)
	VMOVUPD in-64(SP), Y1
	VANDPD Y1, Y14, Y14
	VMOVUPD ONE, Y2
	VBLENDVPD Y1, Y13, Y2, Y13

istore2:
	VMOVUPS X15, (SI)
	VMOVUPD Y14, (R11)
	VMOVUPD Y13, (R12)
	ADDQ $16, DI
	ADDQ $16, SI
	ADDQ $32, DX
	ADDQ $16, R8
	ADDQ $32, R11
	ADDQ $32, R12
	SUBQ $4, R13
	JMP  igroup2

idone2:
	VZEROUPPER
	RET

// func splineMax0AVX2(dst, src *[8]float64)
//
// GOMAX02 on two groups of four, for the tests (see splineMax0Vector).
TEXT ·splineMax0AVX2(SB), NOSPLIT, $0-16
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	VMOVUPD (SI), Y1
	GOMAX02(Y1, Y2)
	VMOVUPD Y2, (DI)
	VMOVUPD 32(SI), Y1
	GOMAX02(Y1, Y2)
	VMOVUPD Y2, 32(DI)
	VZEROUPPER
	RET
