//go:build amd64 && !purego

#include "textflag.h"
#include "splinekernel_amd64.h"

// The AVX-512 spline kernels; the constants' offsets are in
// splinekernel_amd64.h.

// LOG64(w): Z18 = log64(w) for positive normal w (no special cases: the
// callers handle the rest), log64's operations in its order. Z29 holds 1.
// Clobbers Z19-Z22 and K7.
#define LOG64(w) \
	VPSRLQ $52, w, Z18 \
	VPSRLQ $45, w, Z19 \
	VPANDQ I127, Z19, Z19 \
	VPANDQ MANT, w, Z20 \
	VPORQ ONEBITS, Z20, Z20 \
	VCVTQQ2PD Z19, Z21 \
	VMULPD INV128, Z21, Z21 \
	VADDPD Z29, Z21, Z21 \
	VADDPD C256, Z21, Z21 \
	VSUBPD Z21, Z20, Z20 \
	VPSLLQ $1, Z19, Z19 \
	KXNORB K7, K7, K7 \
	VGATHERQPD 3016(AX)(Z19*8), K7, Z21 \
	VMULPD Z21, Z20, Z20 \
	VMULPD L6, Z20, Z21 \
	VADDPD L5, Z21, Z21 \
	VMULPD Z21, Z20, Z21 \
	VADDPD L4, Z21, Z21 \
	VMULPD Z21, Z20, Z21 \
	VADDPD L3, Z21, Z21 \
	VMULPD Z21, Z20, Z21 \
	VADDPD L2, Z21, Z21 \
	VMULPD Z21, Z20, Z21 \
	VADDPD Z29, Z21, Z21 \
	VMULPD Z21, Z20, Z21 \
	KXNORB K7, K7, K7 \
	VGATHERQPD 3008(AX)(Z19*8), K7, Z22 \
	VPSUBQ I1023, Z18, Z18 \
	VCVTQQ2PD Z18, Z18 \
	VMULPD LN2, Z18, Z18 \
	VADDPD Z22, Z18, Z18 \
	VADDPD Z21, Z18, Z18

// DERIV(u, d, ev): the derivative at a knot from its raw parameter u
// (float64 lanes): ev = Exp64(-|u|), d = (MinDerivative + max(u, 0)) +
// log64(1 + ev), RQSpline.deriv's operations in its order. Z29 holds 1.
// Clobbers Z17-Z23 and K7.
#define DERIV(u, d, ev) \
	VPORQ SIGN, u, Z17 \
	VCMPPD $0x11, EXPFLOOR, Z17, K7 \
	VMOVUPD EXPFLOOR, K7, Z17 \
	VMULPD EXPINV, Z17, Z18 \
	VADDPD EXPMAGIC, Z18, Z18 \
	VSUBPD EXPMAGIC, Z18, Z19 \
	VMULPD LN2HI, Z19, Z20 \
	VSUBPD Z20, Z17, Z20 \
	VMULPD LN2LO, Z19, Z21 \
	VSUBPD Z21, Z20, Z20 \
	VMULPD C120, Z20, Z21 \
	VADDPD C24, Z21, Z21 \
	VMULPD Z21, Z20, Z21 \
	VADDPD C6, Z21, Z21 \
	VMULPD Z21, Z20, Z21 \
	VADDPD C2, Z21, Z21 \
	VMULPD Z21, Z20, Z21 \
	VADDPD Z29, Z21, Z21 \
	VMULPD Z21, Z20, Z21 \
	VADDPD Z29, Z21, Z21 \
	VPANDQ I63, Z18, Z22 \
	KXNORB K7, K7, K7 \
	VGATHERQPD 2496(AX)(Z22*8), K7, Z23 \
	VMULPD Z21, Z23, Z23 \
	VPSRLQ $6, Z18, Z22 \
	VPSLLQ $52, Z22, Z22 \
	VPADDQ Z22, Z23, ev \
	VADDPD Z29, ev, Z17 \
	LOG64(Z17) \
	VXORPD Z19, Z19, Z19 \
	VMAXPD u, Z19, Z19 \
	VADDPD MIND, Z19, Z19 \
	VADDPD Z18, Z19, d

// SIGMOID(u, ev): ev = the softplus's slope at u where K3 is set (0
// elsewhere), from ev = e^-|u| and Z17 = 1 + ev as DERIV leaves them:
// softplusSlope's (u >= 0 ? 1 : ev) / (1 + ev). Clobbers Z18, Z20, K7.
#define SIGMOID(u, ev) \
	VXORPD Z20, Z20, Z20 \
	VCMPPD $0x1d, Z20, u, K7 \
	VBLENDMPD Z29, ev, K7, Z18 \
	VDIVPD Z17, Z18, Z18 \
	VMOVAPD.Z Z18, K3, ev

// SUMS(l): Z1, Z2 = the inverses of the width and height exponentials'
// sums (sums: 0 + e_0 + e_1 + ...) for the group at DX. Loop label l.
#define SUMS(l) \
	VXORPD Z1, Z1, Z1 \
	VXORPD Z2, Z2, Z2 \
	MOVQ DX, BX \
	MOVQ kk-8(SP), CX \
l: \
	VMOVUPD.Z (BX), K1, Z15 \
	VADDPD Z15, Z1, Z1 \
	VMOVUPD.Z (BX)(R14*1), K1, Z16 \
	VADDPD Z16, Z2, Z2 \
	ADDQ R10, BX \
	DECQ CX \
	JNZ  l \
	VDIVPD Z1, Z29, Z1 \
	VDIVPD Z2, Z29, Z2

// SCAN(inv, scale, min, negb, lo, hi, l): RQSpline.scan for the inside
// lanes (K2) against v (Z0): the floored softmax whose exponentials start
// at BX (inverse sum inv, floor min, scale 1 - K min), its knots -B +
// 2B*running sum (negb holds -B); Y7 = the first bin whose upper knot is
// above v, lo and hi its knots. Clobbers BX, CX, Z3, Z4, Z15, Z16, Y8, K5,
// K6. Loop label l.
#define SCAN(inv, scale, min, negb, lo, hi, l) \
	VXORPD  Z3, Z3, Z3 \
	VMOVAPD negb, Z4 \
	VPXORD  Y8, Y8, Y8 \
	KMOVB   K2, K6 \
	MOVQ kk-8(SP), CX \
	DECQ CX \
l: \
	VMOVUPD.Z (BX), K1, Z15 \
	VMULPD inv, Z15, Z15 \
	VMULPD scale, Z15, Z15 \
	VADDPD min, Z15, Z15 \
	VADDPD Z15, Z3, Z3 \
	VMULPD TWOB, Z3, Z16 \
	VADDPD negb, Z16, Z16 \
	VCMPPD $0x11, Z16, Z0, K6, K5 \
	VMOVAPD Z4, K5, lo \
	VMOVAPD Z16, K5, hi \
	VMOVDQA32 Y8, K5, Y7 \
	KANDNB K6, K5, K6 \
	VMOVAPD Z16, Z4 \
	VPADDD IONE, Y8, Y8 \
	ADDQ R10, BX \
	DECQ CX \
	JNZ  l \
	VMOVAPD Z4, K6, lo \
	VMOVAPD Z28, K6, hi \
	VMOVDQA32 Y8, K6, Y7

// PAIR(inv, scale, min, negb, lo, hi, l): RQSpline.pair: knots b and b+1
// (b in Y7) of the floored softmax whose exponentials start at BX, the same
// running sum read at j = b and b+1, into lo and hi (K2's lanes).
// Clobbers BX, CX, Z3, Z15, Z16, Y8, K5. Loop label l.
#define PAIR(inv, scale, min, negb, lo, hi, l) \
	VXORPD Z3, Z3, Z3 \
	VPXORD Y8, Y8, Y8 \
	MOVQ kk-8(SP), CX \
	DECQ CX \
l: \
	VPCMPEQD Y8, Y7, K2, K5 \
	VMULPD TWOB, Z3, Z16 \
	VADDPD negb, Z16, Z16 \
	VMOVAPD Z16, K5, lo \
	VMOVUPD.Z (BX), K1, Z15 \
	VMULPD inv, Z15, Z15 \
	VMULPD scale, Z15, Z15 \
	VADDPD min, Z15, Z15 \
	VADDPD Z15, Z3, Z3 \
	VMULPD TWOB, Z3, Z16 \
	VADDPD negb, Z16, Z16 \
	VMOVAPD Z16, K5, hi \
	VPADDD IONE, Y8, Y8 \
	ADDQ R10, BX \
	DECQ CX \
	JNZ  l \
	VPCMPEQD Y8, Y7, K2, K5 \
	VMULPD TWOB, Z3, Z16 \
	VADDPD negb, Z16, Z16 \
	VMOVAPD Z16, K5, lo \
	VMOVAPD Z28, K5, hi

// UPARAM0: Z16 = float64 of the raw parameter of the derivative at knot b
// (row 2K-1+b, at R8 with rows Y30 = lt*4 bytes apart) where K3 = K2 and
// b != 0, 0 elsewhere; Y15 keeps the row offsets. UPARAM1: the same for
// knot b+1 (the next row), K3 = K2 and b != K-1. Clobbers K4.
#define UPARAM0 \
	VPTESTMD Y7, Y7, K2, K3 \
	VPADDD I2KM1, Y7, Y15 \
	VPMULLD Y30, Y15, Y15 \
	VPADDD IOTA4, Y15, Y15 \
	VXORPS Y16, Y16, Y16 \
	KMOVB K3, K4 \
	VGATHERDPS (R8)(Y15*1), K4, Y16 \
	VCVTPS2PD Y16, Z16

#define UPARAM1 \
	VPCMPD $4, IKM1, Y7, K2, K3 \
	VPADDD Y30, Y15, Y15 \
	VXORPS Y16, Y16, Y16 \
	KMOVB K3, K4 \
	VGATHERDPS (R8)(Y15*1), K4, Y16 \
	VCVTPS2PD Y16, Z16

// func splineLatentVector(a *splineArgs)
//
// RQSpline.latentGo for a.cnt coordinates, eight per group (the last group
// masked). Per group: Z0 the inputs v, K1 the group's lanes, K2 those inside
// [-B, B); Z1, Z2 the inverse sums; Y7 the bins; Z5, Z6 the bin's x knots
// (then X, W), Z9, Z10 its y knots (then Y, H); Z11-Z14 D0, D1 and the softplus slopes at them.
//
// Registers: AX the constants, DX/DI/SI/R8/R11/R12 the group's e, x, z,
// theta, at and bins, R9 lt*4, R10 cnt*8 (a row of e), R13 coordinates
// left, R14 K*cnt*8 (the heights' rows), Y30 lt*4 in every lane, Z27-Z29
// -B, B, 1.
TEXT ·splineLatentVector(SB), NOSPLIT, $16-8
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
	MOVQ CX, fs8-16(SP)
	MOVQ 64(BX), R12
	MOVQ 72(BX), CX
	MOVQ CX, kk-8(SP)
	MOVQ R10, R14
	IMULQ CX, R14
	MOVQ 80(BX), AX
	VPBROADCASTD R9, Y30
	VMOVUPD 512(AX), Z29 // 1
	VMOVUPD 64(AX), Z28  // B
	VMOVUPD 0(AX), Z27   // -B

group:
	TESTQ R13, R13
	JLE   done
	MOVQ  $8, BX
	CMPQ  R13, BX
	CMOVQLT R13, BX
	KMOVB 2432(AX)(BX*1), K1

	VMOVUPS.Z (DI), K1, Y24 // x, kept for the outside lanes' z
	VCVTPS2PD Y24, Z0
	VCMPPD $0x1d, Z27, Z0, K1, K2 // v >= -B (ordered: false for NaN)
	VCMPPD $0x11, Z28, Z0, K2, K2 // and v < B
	KORTESTB K2, K2
	JZ    store

	// The softmax sums, the bin among the widths' knots and the bin's y
	// knots among the heights'.
	SUMS(sums)
	MOVQ DX, BX
	SCAN(Z1, SCALEW, MINW, Z27, Z5, Z6, scan)
	LEAQ (DX)(R14*1), BX
	PAIR(Z2, SCALEH, MINH, Z27, Z9, Z10, pair)

	// D0 from parameter row 2K-1+b (1 at b = 0), D1 from the next row
	// (1 at b = K-1): gathered where needed, 0 elsewhere.
	UPARAM0
	DERIV(Z16, Z11, Z13)
	SIGMOID(Z16, Z13)
	VBLENDMPD Z11, Z29, K3, Z11

	UPARAM1
	DERIV(Z16, Z12, Z14)
	SIGMOID(Z16, Z14)
	VBLENDMPD Z12, Z29, K3, Z12

	// local.value.
	VSUBPD Z5, Z6, Z6    // W
	VSUBPD Z9, Z10, Z10  // H
	VSUBPD Z5, Z0, Z15
	VDIVPD Z6, Z15, Z15  // xi
	VDIVPD Z6, Z10, Z16  // s
	VSUBPD Z15, Z29, Z17 // 1 - xi
	VMULPD Z17, Z15, Z18 // t
	VADDPD Z12, Z11, Z19
	VADDPD Z16, Z16, Z20 // 2s
	VSUBPD Z20, Z19, Z19
	VMULPD Z18, Z19, Z19
	VADDPD Z19, Z16, Z19 // den
	VMULPD Z15, Z16, Z21
	VMULPD Z15, Z21, Z21
	VMULPD Z18, Z11, Z22
	VADDPD Z22, Z21, Z21 // num
	VMULPD Z21, Z10, Z21
	VDIVPD Z19, Z21, Z21
	VADDPD Z21, Z9, Z21  // z
	VMULPD Z15, Z12, Z22
	VMULPD Z15, Z22, Z22
	VMULPD Z18, Z20, Z23
	VADDPD Z23, Z22, Z22
	VMULPD Z17, Z11, Z23
	VMULPD Z17, Z23, Z23
	VADDPD Z23, Z22, Z22 // m
	VDIVPD Z19, Z16, Z23 // q
	VMULPD Z23, Z23, Z23
	VMULPD Z22, Z23, Z23 // slope
	VCVTPD2PS Z21, Y21
	VMOVAPS Y21, K2, Y24

	MOVQ fs8-16(SP), CX
	MOVQ R11, BX
	VMOVUPD Z5, K1, (BX)
	ADDQ CX, BX
	VMOVUPD Z6, K1, (BX)
	ADDQ CX, BX
	VMOVUPD Z9, K1, (BX)
	ADDQ CX, BX
	VMOVUPD Z10, K1, (BX)
	ADDQ CX, BX
	VMOVUPD Z11, K1, (BX)
	ADDQ CX, BX
	VMOVUPD Z12, K1, (BX)
	ADDQ CX, BX
	VMOVUPD Z1, K1, (BX)
	ADDQ CX, BX
	VMOVUPD Z2, K1, (BX)
	ADDQ CX, BX
	VMOVUPD Z13, K1, (BX)
	ADDQ CX, BX
	VMOVUPD Z14, K1, (BX)
	ADDQ CX, BX
	VMOVUPD Z23, K1, (BX)

store:
	VMOVDQU32 IMINUS1, Y25
	VMOVDQA32 Y7, K2, Y25
	VMOVDQU32 Y25, K1, (R12)
	VMOVUPS Y24, K1, (SI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $64, DX
	ADDQ $32, R8
	ADDQ $64, R11
	ADDQ $32, R12
	SUBQ $8, R13
	JMP  group

done:
	VZEROUPPER
	RET


// func splinePrepareVector(e *float64, theta *float32, lt, cnt, rows int, c *splineConsts) uint32
//
// For each of rows rows: e[j*cnt+i] = Exp64(float64(theta[j*lt+i])), i <
// cnt, eight at a time (the last group masked), while Y9 keeps the largest
// |theta| bits (unsigned max, NaN above +Inf). Exp64 as exp64AVX512 in
// nn/vec: the same operations in the same order.
TEXT ·splinePrepareVector(SB), NOSPLIT, $0-52
	MOVQ e+0(FP), DI
	MOVQ theta+8(FP), SI
	MOVQ lt+16(FP), R9
	SHLQ $2, R9
	MOVQ cnt+24(FP), R10
	MOVQ rows+32(FP), R11
	MOVQ c+40(FP), AX
	VMOVUPD 512(AX), Z29 // 1
	VPXORD Y9, Y9, Y9

row:
	MOVQ DI, DX
	MOVQ SI, R8
	MOVQ R10, R13

lanes:
	MOVQ  $8, BX
	CMPQ  R13, BX
	CMOVQLT R13, BX
	KMOVB 2432(AX)(BX*1), K1
	VMOVUPS.Z (R8), K1, Y0
	VPANDD IABS, Y0, Y1
	VPMAXUD Y1, Y9, Y9
	VCVTPS2PD Y0, Z17
	VCMPPD $0x11, EXPFLOOR, Z17, K7
	VMOVUPD EXPFLOOR, K7, Z17
	VMULPD EXPINV, Z17, Z18
	VADDPD EXPMAGIC, Z18, Z18
	VSUBPD EXPMAGIC, Z18, Z19
	VMULPD LN2HI, Z19, Z20
	VSUBPD Z20, Z17, Z20
	VMULPD LN2LO, Z19, Z21
	VSUBPD Z21, Z20, Z20
	VMULPD C120, Z20, Z21
	VADDPD C24, Z21, Z21
	VMULPD Z21, Z20, Z21
	VADDPD C6, Z21, Z21
	VMULPD Z21, Z20, Z21
	VADDPD C2, Z21, Z21
	VMULPD Z21, Z20, Z21
	VADDPD Z29, Z21, Z21
	VMULPD Z21, Z20, Z21
	VADDPD Z29, Z21, Z21
	VPANDQ I63, Z18, Z22
	KXNORB K7, K7, K7
	VGATHERQPD 2496(AX)(Z22*8), K7, Z23
	VMULPD Z21, Z23, Z23
	VPSRLQ $6, Z18, Z22
	VPSLLQ $52, Z22, Z22
	VPADDQ Z22, Z23, Z23
	VMOVUPD Z23, K1, (DX)
	ADDQ $64, DX
	ADDQ $32, R8
	SUBQ $8, R13
	JG   lanes

	LEAQ (DI)(R10*8), DI
	ADDQ R9, SI
	DECQ R11
	JNZ  row

	VEXTRACTI128 $1, Y9, X1
	VPMAXUD X1, X9, X9
	VPSHUFD $0x4e, X9, X1
	VPMAXUD X1, X9, X9
	VPSHUFD $0xb1, X9, X1
	VPMAXUD X1, X9, X9
	VMOVD X9, BX
	MOVL BX, ret+48(FP)
	VZEROUPPER
	RET


// SOFTMAXGRADS(inv, scale, ga, gb, l1, l2): softmaxGrads for one
// softmax's K inputs, whose exponentials start at BX (rows R10 apart) and
// whose gradients go to R15 (rows R9 apart); ga and gb are dL/dc_b and
// dL/dc_(b+1) (gb already 0 at b = K-1); l1 and l2 name its loops. Leaves
// BX and R15 K rows further on. Clobbers CX, Y8, Z3-Z6, Z10-Z12, K5, K6.
#define SOFTMAXGRADS(inv, scale, ga, gb, l1, l2) \
	VADDPD gb, ga, Z3 \
	VMULPD scale, Z3, Z3 \
	VMULPD scale, gb, Z4 \
	VXORPD Z5, Z5, Z5 \
	VXORPD Z6, Z6, Z6 \
	VPXORD Y8, Y8, Y8 \
	MOVQ kk-16(SP), CX \
l1: \
	VMOVUPD.Z (BX), K1, Z10 \
	VPCMPD $1, Y7, Y8, K2, K5 \
	VADDPD Z10, Z5, K5, Z5 \
	VPCMPEQD Y8, Y7, K2, K6 \
	VMOVAPD Z10, K6, Z6 \
	VPADDD IONE, Y8, Y8 \
	ADDQ R10, BX \
	DECQ CX \
	JNZ l1 \
	VMULPD Z5, Z3, Z11 \
	VMULPD Z6, Z4, Z12 \
	VADDPD Z12, Z11, Z11 \
	VMULPD inv, Z11, Z11 \
	VXORPD Z28, Z11, Z11 \
	SUBQ ke8-24(SP), BX \
	VPXORD Y8, Y8, Y8 \
	MOVQ kk-16(SP), CX \
l2: \
	VMOVUPD.Z (BX), K1, Z10 \
	VMOVAPD Z11, Z12 \
	VPCMPD $1, Y7, Y8, K2, K5 \
	VADDPD Z3, Z12, K5, Z12 \
	VPCMPEQD Y8, Y7, K2, K6 \
	VADDPD Z4, Z12, K6, Z12 \
	VMULPD inv, Z10, Z10 \
	VMULPD Z12, Z10, Z10 \
	VMOVAPD.Z Z10, K2, Z10 \
	VCVTPD2PS Z10, Y10 \
	VMOVUPS Y10, K1, (R15) \
	VPADDD IONE, Y8, Y8 \
	ADDQ R10, BX \
	ADDQ R9, R15 \
	DECQ CX \
	JNZ l2

// func splineBackwardVector(a *splineBackArgs)
//
// RQSpline.backwardGo for a.n coordinates of one row, eight per group (the
// last group masked). Per group: K1 the group's lanes, K2 those inside the
// interval (bin >= 0), Y7 the bins, Z1 gz, Z9 gld.
//
// Registers: AX the constants, DI/SI/DX/R8/R11/R12/R14 the group's x, gz,
// gx (0: not wanted), gt, at, bins and e, R9 n*4 (a row of gt), R10 n*8 (a
// row of e), R13 coordinates left; Z27 0, Z28 the sign bit, Z29 1.
TEXT ·splineBackwardVector(SB), NOSPLIT, $24-8
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
	MOVQ CX, fs8-8(SP)
	MOVQ 72(BX), CX
	MOVQ CX, kk-16(SP)
	IMULQ R10, CX
	MOVQ CX, ke8-24(SP)
	VBROADCASTSD 80(BX), Z9 // gld
	MOVQ 88(BX), AX
	VXORPD Z27, Z27, Z27
	VMOVUPD SIGN, Z28
	VMOVUPD 512(AX), Z29

bgroup:
	TESTQ R13, R13
	JLE   bdone
	MOVQ  $8, BX
	CMPQ  R13, BX
	CMOVQLT R13, BX
	KMOVB 2432(AX)(BX*1), K1

	VMOVDQU32.Z (R12), K1, Y7
	VPXORD Y8, Y8, Y8
	VPCMPD $5, Y8, Y7, K1, K2 // bin >= 0
	VMOVUPS.Z (SI), K1, Y1
	VCVTPS2PD Y1, Z1          // gz
	VMOVUPS.Z (DI), K1, Y0
	VCVTPS2PD Y0, Z0          // x

	// The bin's spline: X, W, H, D0, D1 (Y is not needed: dL/dY = gz).
	MOVQ fs8-8(SP), CX
	MOVQ R11, BX
	VMOVUPD.Z (BX), K1, Z2 // X
	ADDQ CX, BX
	VMOVUPD.Z (BX), K1, Z3 // W
	ADDQ CX, BX
	ADDQ CX, BX
	VMOVUPD.Z (BX), K1, Z4 // H
	ADDQ CX, BX
	VMOVUPD.Z (BX), K1, Z5 // D0
	ADDQ CX, BX
	VMOVUPD.Z (BX), K1, Z6 // D1

	// local.grads, its operations in its order.
	VSUBPD Z2, Z0, Z10
	VDIVPD Z3, Z10, Z10  // xi
	VDIVPD Z3, Z4, Z11   // s
	VSUBPD Z10, Z29, Z12 // 1 - xi
	VMULPD Z12, Z10, Z13 // t
	VADDPD Z11, Z11, Z15 // 2s
	VADDPD Z6, Z5, Z14
	VSUBPD Z15, Z14, Z14 // c
	VMULPD Z10, Z11, Z16
	VMULPD Z10, Z16, Z16
	VMULPD Z13, Z5, Z17
	VADDPD Z17, Z16, Z16 // num
	VMULPD Z13, Z14, Z17
	VADDPD Z17, Z11, Z17 // den
	VMULPD Z10, Z6, Z18
	VMULPD Z10, Z18, Z18
	VMULPD Z13, Z15, Z19
	VADDPD Z19, Z18, Z18
	VMULPD Z12, Z5, Z19
	VMULPD Z12, Z19, Z19
	VADDPD Z19, Z18, Z18 // m
	VADDPD Z10, Z10, Z19
	VSUBPD Z19, Z29, Z19 // 1 - 2xi
	VMULPD Z10, Z10, Z21 // xi^2 (nS, mD1)
	VMULPD Z17, Z17, Z25 // den^2
	VADDPD Z13, Z13, Z0  // 2t (mS, 2 dD0, 2 dD1)

	// gD0, gD1 times the softplus slopes.
	VDIVPD Z17, Z0, Z2   // 2 dD0 / den
	VMULPD Z12, Z12, Z20 // mD0
	VDIVPD Z18, Z20, Z20
	VSUBPD Z2, Z20, Z20  // lD0
	VDIVPD Z18, Z21, Z22
	VSUBPD Z2, Z22, Z22  // lD1
	VMULPD Z17, Z13, Z23
	VMULPD Z13, Z16, Z24
	VSUBPD Z24, Z23, Z23
	VMULPD Z23, Z4, Z23
	VDIVPD Z25, Z23, Z23 // zD0
	VMULPD Z23, Z1, Z23
	VMULPD Z20, Z9, Z20
	VADDPD Z20, Z23, Z23 // gD0
	VXORPD Z28, Z16, Z24
	VMULPD Z13, Z24, Z24
	VMULPD Z24, Z4, Z24
	VDIVPD Z25, Z24, Z24 // zD1
	VMULPD Z24, Z1, Z24
	VMULPD Z22, Z9, Z22
	VADDPD Z22, Z24, Z24 // gD1
	MOVQ fs8-8(SP), CX
	MOVQ CX, BX
	SHLQ $3, BX // atSig0 = 8
	ADDQ R11, BX
	VMOVUPD.Z (BX), K1, Z20
	VMULPD Z20, Z23, Z23 // gD0 sig0
	ADDQ CX, BX
	VMOVUPD.Z (BX), K1, Z20
	VMULPD Z20, Z24, Z24 // gD1 sig1

	// qXi and qS.
	VMULPD Z10, Z15, Z2
	VMULPD Z19, Z5, Z20
	VADDPD Z20, Z2, Z2   // nXi
	VMULPD Z19, Z14, Z20 // dXi
	VMULPD Z17, Z2, Z2
	VMULPD Z20, Z16, Z22
	VSUBPD Z22, Z2, Z2
	VMULPD Z2, Z4, Z2
	VDIVPD Z25, Z2, Z2   // zXi
	VADDPD Z6, Z6, Z22
	VMULPD Z10, Z22, Z22
	VMULPD Z19, Z15, Z26
	VADDPD Z26, Z22, Z22
	VADDPD Z5, Z5, Z26
	VMULPD Z12, Z26, Z26
	VSUBPD Z26, Z22, Z22 // mXi
	VDIVPD Z18, Z22, Z22
	VADDPD Z20, Z20, Z20
	VDIVPD Z17, Z20, Z20
	VSUBPD Z20, Z22, Z22 // lXi
	VMULPD Z2, Z1, Z2
	VMULPD Z22, Z9, Z22
	VADDPD Z22, Z2, Z2   // qXi
	VSUBPD Z0, Z29, Z20  // dS = 1 - 2t
	VMULPD Z17, Z21, Z22
	VMULPD Z20, Z16, Z26
	VSUBPD Z26, Z22, Z22
	VMULPD Z22, Z4, Z22
	VDIVPD Z25, Z22, Z22 // zS
	VMOVUPD TWO, Z26
	VDIVPD Z11, Z26, Z26 // 2/s
	VDIVPD Z18, Z0, Z0   // mS/m
	VADDPD Z0, Z26, Z26
	VADDPD Z20, Z20, Z20
	VDIVPD Z17, Z20, Z20
	VSUBPD Z20, Z26, Z26 // lS
	VMULPD Z22, Z1, Z22
	VMULPD Z26, Z9, Z26
	VADDPD Z26, Z22, Z22 // qS

	// gx, gX, gW, gH (gY = gz).
	VDIVPD Z3, Z2, Z0    // gx
	VXORPD Z28, Z2, Z20
	VDIVPD Z3, Z20, Z20  // gX
	VMULPD Z2, Z10, Z26
	VMULPD Z22, Z11, Z21
	VADDPD Z21, Z26, Z26
	VXORPD Z28, Z26, Z26
	VDIVPD Z3, Z26, Z26  // gW
	VDIVPD Z3, Z22, Z21
	VMULPD Z16, Z1, Z16
	VDIVPD Z17, Z16, Z16
	VADDPD Z16, Z21, Z21 // gH

	TESTQ DX, DX
	JZ    nogx
	VCVTPD2PS Z0, Y0
	VMOVUPS.Z (SI), K1, Y3
	VMOVAPS Y0, K2, Y3   // outside: gz
	VMOVUPS Y3, K1, (DX)
	ADDQ $32, DX

nogx:
	// b = K-1 drops dL/dc_(b+1) (c_K is fixed), in both softmaxes.
	VPCMPD $0, IKM1, Y7, K2, K4
	MOVQ R14, BX
	MOVQ R8, R15
	// Widths: ga = gX - gW, gb = gW.
	VSUBPD Z26, Z20, Z20
	VMOVAPD Z27, K4, Z26
	MOVQ fs8-8(SP), CX
	IMUL3Q $6, CX, CX // atInvW = 6
	VMOVUPD.Z (R11)(CX*1), K1, Z30
	VMOVUPD GSCALEW, Z31
	SOFTMAXGRADS(Z30, Z31, Z20, Z26, wsum, wgrad)
	// Heights, the next K rows of e and gt: ga = gz - gH, gb = gH.
	VSUBPD Z21, Z1, Z20
	VMOVAPD Z27, K4, Z21
	MOVQ fs8-8(SP), CX
	IMUL3Q $7, CX, CX // atInvH = 7
	VMOVUPD.Z (R11)(CX*1), K1, Z30
	VMOVUPD GSCALEH, Z31
	SOFTMAXGRADS(Z30, Z31, Z20, Z21, hsum, hgrad)

	// Derivative parameters j = 1..K-1 (gt rows 2K..3K-2, R15 is at row
	// 2K): gD0 sig0 at j = b, gD1 sig1 at j = b+1, 0 elsewhere.
	VPADDD IONE, Y7, Y6 // b+1
	VMOVDQU32 IONE, Y8  // j
	MOVQ kk-16(SP), CX
	DECQ CX

derivs:
	VPCMPEQD Y8, Y7, K2, K5
	VPCMPEQD Y8, Y6, K2, K6
	VMOVAPD Z27, Z10
	VMOVAPD Z23, K5, Z10
	VMOVAPD Z24, K6, Z10
	VCVTPD2PS Z10, Y10
	VMOVUPS Y10, K1, (R15)
	ADDQ R9, R15
	VPADDD IONE, Y8, Y8
	DECQ CX
	JNZ  derivs

	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $64, R11
	ADDQ $32, R12
	ADDQ $64, R14
	SUBQ $8, R13
	JMP  bgroup

bdone:
	VZEROUPPER
	RET

// GOMAX0(r, t): t = Go's max(r, 0): +0 for -0 and below, NaN for NaN.
// Clobbers K7.
#define GOMAX0(r, t) \
	VMAXPD Z27, r, t \
	VCMPPD $3, r, r, K7 \
	VMOVAPD r, K7, t

// func splineInverseVector(a *splineInvArgs)
//
// RQSpline.inverseGo for a.cnt coordinates, eight per group (the last
// group masked): latent's steps with the roles of x and y exchanged (the
// bin from the heights, the x knots from the widths), then local.invert,
// local.value's slope at the root, and its log64. Register use as in
// splineLatentVector; R11 and R12 walk lg and slope; Z27 holds 0.
TEXT ·splineInverseVector(SB), NOSPLIT, $16-8
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
	MOVQ CX, kk-8(SP)
	MOVQ R10, R14
	IMULQ CX, R14
	MOVQ 72(BX), AX
	VPBROADCASTD R9, Y30
	VMOVUPD 512(AX), Z29
	VMOVUPD 64(AX), Z28
	VMOVUPD 0(AX), Z27
	VMOVAPD Z27, Z26 // -B (Z27 becomes 0 below)
	VXORPD Z27, Z27, Z27

igroup:
	TESTQ R13, R13
	JLE   idone
	MOVQ  $8, BX
	CMPQ  R13, BX
	CMOVQLT R13, BX
	KMOVB 2432(AX)(BX*1), K1

	VMOVUPS.Z (DI), K1, Y24
	VCVTPS2PD Y24, Z0
	VCMPPD $0x1d, Z26, Z0, K1, K2
	VCMPPD $0x11, Z28, Z0, K2, K2
	VMOVAPD Z29, Z23 // slope 1 outside
	VXORPD Z18, Z18, Z18 // log 0 outside
	KORTESTB K2, K2
	JZ    istore

	// The roles of x and y exchanged: the bin among the heights' knots,
	// its x knots among the widths'.
	SUMS(isums)
	LEAQ (DX)(R14*1), BX
	SCAN(Z2, SCALEH, MINH, Z26, Z9, Z10, iscan)
	MOVQ DX, BX
	PAIR(Z1, SCALEW, MINW, Z26, Z5, Z6, ipair)

	// D0 and D1 as in splineLatentVector.
	UPARAM0
	DERIV(Z16, Z11, Z13)
	VBLENDMPD Z11, Z29, K3, Z11

	UPARAM1
	DERIV(Z16, Z12, Z14)
	VBLENDMPD Z12, Z29, K3, Z12

	// local.invert.
	VSUBPD Z5, Z6, Z6    // W
	VSUBPD Z9, Z10, Z10  // H
	VDIVPD Z6, Z10, Z16  // s
	VSUBPD Z9, Z0, Z15   // dy
	VADDPD Z12, Z11, Z17
	VADDPD Z16, Z16, Z18
	VSUBPD Z18, Z17, Z17 // c
	VSUBPD Z11, Z16, Z18
	VMULPD Z18, Z10, Z18
	VMULPD Z17, Z15, Z19 // dy c
	VADDPD Z19, Z18, Z18 // a
	VMULPD Z11, Z10, Z20
	VSUBPD Z19, Z20, Z20 // b
	VXORPD SIGN, Z16, Z21
	VMULPD Z15, Z21, Z21 // cc = -s dy
	VMULPD Z20, Z20, Z22
	VADDPD Z18, Z18, Z23
	VADDPD Z23, Z23, Z23
	VMULPD Z21, Z23, Z23
	VSUBPD Z23, Z22, Z22
	GOMAX0(Z22, Z23)     // disc
	VSQRTPD Z23, Z23
	VXORPD SIGN, Z20, Z20
	VSUBPD Z23, Z20, Z20 // den
	VADDPD Z21, Z21, Z21
	VDIVPD Z20, Z21, Z21
	GOMAX0(Z21, Z22)
	VMINPD Z22, Z29, Z22
	VCMPPD $0, Z27, Z20, K7 // den == 0: 0
	VMOVAPD Z27, K7, Z22
	VMULPD Z6, Z22, Z22
	VADDPD Z22, Z5, Z22  // x = X + q W

	// local.value's slope at x, and its logarithm.
	VSUBPD Z5, Z22, Z15
	VDIVPD Z6, Z15, Z15  // xi
	VSUBPD Z15, Z29, Z18 // 1 - xi
	VMULPD Z18, Z15, Z19 // t
	VMULPD Z19, Z17, Z20
	VADDPD Z20, Z16, Z20 // den
	VMULPD Z15, Z12, Z21
	VMULPD Z15, Z21, Z21
	VADDPD Z16, Z16, Z23
	VMULPD Z19, Z23, Z23
	VADDPD Z23, Z21, Z21
	VMULPD Z18, Z11, Z23
	VMULPD Z18, Z23, Z23
	VADDPD Z23, Z21, Z21 // m
	VDIVPD Z20, Z16, Z23
	VMULPD Z23, Z23, Z23
	VMULPD Z21, Z23, Z23 // slope
	VCVTPD2PS Z22, Y22
	VMOVAPS Y22, K2, Y24
	VMOVAPD Z23, Z17
	LOG64(Z17)
	VMOVAPD.Z Z18, K2, Z18
	VBLENDMPD Z23, Z29, K2, Z23

istore:
	VMOVUPS Y24, K1, (SI)
	VMOVUPD Z18, K1, (R11)
	VMOVUPD Z23, K1, (R12)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $64, DX
	ADDQ $32, R8
	ADDQ $64, R11
	ADDQ $64, R12
	SUBQ $8, R13
	JMP  igroup

idone:
	VZEROUPPER
	RET

// func splineMax0Vector(dst, src *[8]float64)
//
// GOMAX0 on eight values, for the tests: the clamps of local.invert are
// never reached by random parameters in float64, so their semantics are
// checked here.
TEXT ·splineMax0Vector(SB), NOSPLIT, $0-16
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	VXORPD Z27, Z27, Z27
	VMOVUPD (SI), Z0
	GOMAX0(Z0, Z1)
	VMOVUPD Z1, (DI)
	VZEROUPPER
	RET
