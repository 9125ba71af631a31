#include "textflag.h"

// NEON (Advanced SIMD) kernels, 4 float32 lanes per vector. Like
// vec_amd64.s they do generic.go's float32 operations in its order and
// never fuse a multiply into an add, so the results are the Go loops' to
// the last bit (NaN payloads aside).
//
// Go's assembler knows no floating-point vector arithmetic besides FMLA and
// FMLS (which fuse, so they are of no use here), nor CMLT or BIC, so those
// are written as their encodings through the macros below; each macro names
// the instruction in ARM's operand order (destination first), on the .4S
// (or .16B) arrangement. go tool objdump decodes them, and the tests that
// compare every kernel with the Go loops bit for bit run them (under
// qemu-user in CI, .ci/arm64).
// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD4(d, n, m) WORD $(0x4e20d400 | ((m)<<16) | ((n)<<5) | (d))
// FSUB Vd.4S, Vn.4S, Vm.4S
#define FSUB4(d, n, m) WORD $(0x4ea0d400 | ((m)<<16) | ((n)<<5) | (d))
// FMUL Vd.4S, Vn.4S, Vm.4S
#define FMUL4(d, n, m) WORD $(0x6e20dc00 | ((m)<<16) | ((n)<<5) | (d))
// FDIV Vd.4S, Vn.4S, Vm.4S
#define FDIV4(d, n, m) WORD $(0x6e20fc00 | ((m)<<16) | ((n)<<5) | (d))
// FCMGT Vd.4S, Vn.4S, Vm.4S: all ones where n > m
#define FCMGT4(d, n, m) WORD $(0x6ea0e400 | ((m)<<16) | ((n)<<5) | (d))
// FABS Vd.4S, Vn.4S
#define FABS4(d, n) WORD $(0x4ea0f800 | ((n)<<5) | (d))
// FSQRT Vd.4S, Vn.4S
#define FSQRT4(d, n) WORD $(0x6ea1f800 | ((n)<<5) | (d))
// FCVTZS Vd.4S, Vn.4S: to int32, toward zero
#define FCVTZS4(d, n) WORD $(0x4ea1b800 | ((n)<<5) | (d))
// CMLT Vd.4S, Vn.4S, #0: all ones where the sign bit is set
#define CMLT4(d, n) WORD $(0x4ea0a800 | ((n)<<5) | (d))
// BIC Vd.16B, Vn.16B, Vm.16B: n AND NOT m
#define BIC16(d, n, m) WORD $(0x4e601c00 | ((m)<<16) | ((n)<<5) | (d))

// Scalar constants, broadcast into registers at the top of expNEON and
// tanhNEON in this order (see there). The polynomials are Cephes' expf and
// tanhf, as in generic.go; the tanhf subtractions are additions of the
// negated constants, which IEEE arithmetic makes the same operation.
DATA constsNEON<>+0(SB)/4, $0x3fb8aa3b  // log2(e)
DATA constsNEON<>+4(SB)/4, $0x4b400000  // 1.5*2^23: rounds to an integer
DATA constsNEON<>+8(SB)/4, $0x3f318000  // ln2 high part 0.693359375
DATA constsNEON<>+12(SB)/4, $0xb95e8083 // ln2 low part -2.12194440e-4
DATA constsNEON<>+16(SB)/4, $0x39506967 // expf p0 1.9875691500e-4
DATA constsNEON<>+20(SB)/4, $0x3ab743ce // expf p1 1.3981999507e-3
DATA constsNEON<>+24(SB)/4, $0x3c088908 // expf p2 8.3334519073e-3
DATA constsNEON<>+28(SB)/4, $0x3d2aa9c1 // expf p3 4.1665795894e-2
DATA constsNEON<>+32(SB)/4, $0x3e2aaaaa // expf p4 1.6666665459e-1
DATA constsNEON<>+36(SB)/4, $0x3f000000 // expf p5 5.0000001201e-1
DATA constsNEON<>+40(SB)/4, $0x3f800000 // 1
DATA constsNEON<>+44(SB)/4, $0x40000000 // 2
DATA constsNEON<>+48(SB)/4, $0x41100000 // 9: tanh rounds to 1 above
DATA constsNEON<>+52(SB)/4, $0x80000000 // sign bit
DATA constsNEON<>+56(SB)/4, $0xbbbaf0ea // tanhf q0 -5.70498872745e-3
DATA constsNEON<>+60(SB)/4, $0x3ca9134e // tanhf q1 2.06390887954e-2
DATA constsNEON<>+64(SB)/4, $0xbd5c1e2d // tanhf q2 -5.37397155531e-2
DATA constsNEON<>+68(SB)/4, $0x3e088393 // tanhf q3 1.33314422036e-1
DATA constsNEON<>+72(SB)/4, $0xbeaaaa99 // tanhf q4 -3.33332819422e-1
DATA constsNEON<>+76(SB)/4, $0x3f200000 // 0.625: polynomial below, exp above
GLOBL constsNEON<>(SB), RODATA|NOPTR, $80

// func reluBiasNEON(y, b []float32, rows int)
// Columns [0, len(b)&^3) of each row: y = max(y+b, 0), clearing values whose
// sign bit is set.
TEXT ·reluBiasNEON(SB), NOSPLIT, $0-56
	MOVD y_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD b_len+32(FP), R2
	MOVD rows+48(FP), R3
	AND  $-4, R2, R4      // R4 = columns done here
	CBZ  R4, rbdone
	CMP  $0, R3
	BLE  rbdone
	SUB  R4, R2, R5
	LSL  $2, R5           // R5 = bytes from the last column done to the next row

rbrow:
	MOVD R1, R6
	MOVD R4, R7

rbloop:
	VLD1   (R0), [V0.S4]
	VLD1.P 16(R6), [V1.S4]
	FADD4(0, 0, 1)        // y + b
	CMLT4(2, 0)
	BIC16(0, 0, 2)        // cleared where the sign bit is set
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R7
	BNE    rbloop
	ADD    R5, R0
	SUBS   $1, R3
	BNE    rbrow

rbdone:
	RET

// func addBiasNEON(y, b []float32, rows int)
// Columns [0, len(b)&^3) of each row: y += b.
TEXT ·addBiasNEON(SB), NOSPLIT, $0-56
	MOVD y_base+0(FP), R0
	MOVD b_base+24(FP), R1
	MOVD b_len+32(FP), R2
	MOVD rows+48(FP), R3
	AND  $-4, R2, R4
	CBZ  R4, abdone
	CMP  $0, R3
	BLE  abdone
	SUB  R4, R2, R5
	LSL  $2, R5

abrow:
	MOVD R1, R6
	MOVD R4, R7

abloop:
	VLD1   (R0), [V0.S4]
	VLD1.P 16(R6), [V1.S4]
	FADD4(0, 0, 1)
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R7
	BNE    abloop
	ADD    R5, R0
	SUBS   $1, R3
	BNE    abrow

abdone:
	RET

// func reluNEON(dst, x []float32)
// len(x) is a multiple of 4 and len(dst) >= len(x).
TEXT ·reluNEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	CBZ  R2, rdone

rloop:
	VLD1.P 16(R1), [V0.S4]
	CMLT4(1, 0)
	BIC16(0, 0, 1)
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R2
	BNE    rloop

rdone:
	RET

// func reluGradNEON(g, post []float32)
// len(g) is a multiple of 4 and len(post) >= len(g): g is zeroed where
// post is +0 or -0 (|post| has no bit set).
TEXT ·reluGradNEON(SB), NOSPLIT, $0-48
	MOVD g_base+0(FP), R0
	MOVD g_len+8(FP), R2
	MOVD post_base+24(FP), R1
	CBZ  R2, rgdone
	MOVW $0x7fffffff, R3
	VDUP R3, V7.S4

rgloop:
	VLD1   (R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	VCMTST V7.S4, V1.S4, V2.S4 // all ones where |post| != 0
	VAND   V2.B16, V0.B16, V0.B16
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R2
	BNE    rgloop

rgdone:
	RET

// func sumRowsNEON(dst, g []float32, rows int)
// Columns [0, len(dst)&^3): dst += g[0 row] + g[1 row] + ..., added one row
// at a time in row order, as the Go loop does.
TEXT ·sumRowsNEON(SB), NOSPLIT, $0-56
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R2
	MOVD g_base+24(FP), R1
	MOVD rows+48(FP), R3
	AND  $-4, R2, R4
	CBZ  R4, srdone
	CMP  $0, R3
	BLE  srdone
	LSL  $2, R2, R5       // R5 = row stride in bytes

srcol:
	VLD1 (R0), [V0.S4]
	MOVD R1, R6
	MOVD R3, R7

srrow:
	VLD1.P (R6)(R5), [V1.S4]
	FADD4(0, 0, 1)
	SUBS   $1, R7
	BNE    srrow
	VST1.P [V0.S4], 16(R0)
	ADD    $16, R1
	SUBS   $4, R4
	BNE    srcol

srdone:
	RET

// Registers of the exp and tanh kernels: V16 log2e, V17 magic, V18 ln2h,
// V19 ln2l, V20-V25 p0-p5, V26 1, V27 2, V28 9, V29 sign bit, V9-V13 q0-q4,
// V14 0.625; V15 the scale s (exp) or 1/c (tanh), V31 c.
#define LOADCONSTS \
	MOVD    $constsNEON<>(SB), R4; \
	VLD1R.P 4(R4), [V16.S4]; \
	VLD1R.P 4(R4), [V17.S4]; \
	VLD1R.P 4(R4), [V18.S4]; \
	VLD1R.P 4(R4), [V19.S4]; \
	VLD1R.P 4(R4), [V20.S4]; \
	VLD1R.P 4(R4), [V21.S4]; \
	VLD1R.P 4(R4), [V22.S4]; \
	VLD1R.P 4(R4), [V23.S4]; \
	VLD1R.P 4(R4), [V24.S4]; \
	VLD1R.P 4(R4), [V25.S4]; \
	VLD1R.P 4(R4), [V26.S4]; \
	VLD1R.P 4(R4), [V27.S4]; \
	VLD1R.P 4(R4), [V28.S4]; \
	VLD1R.P 4(R4), [V29.S4]; \
	VLD1R.P 4(R4), [V9.S4]; \
	VLD1R.P 4(R4), [V10.S4]; \
	VLD1R.P 4(R4), [V11.S4]; \
	VLD1R.P 4(R4), [V12.S4]; \
	VLD1R.P 4(R4), [V13.S4]; \
	VLD1R.P 4(R4), [V14.S4]

// EXPCORE(v, n, p, t, vn, vp) sets Vp = expCore(Vv) and Vn to the integer
// part (vn and vp name Vn and Vp for the instructions Go assembles),
// as generic.go's expCore: n = (v*log2e + magic) - magic,
// r = (v - n*ln2h) - n*ln2l (in Vv), the polynomial, then 2^n through the
// exponent bits. Vt is scratch.
#define EXPCORE(v, n, p, t, vn, vp) \
	FMUL4(n, v, 16); \
	FADD4(n, n, 17); \
	FSUB4(n, n, 17); \
	FMUL4(t, n, 18); \
	FSUB4(v, v, t); \
	FMUL4(t, n, 19); \
	FSUB4(v, v, t); \
	FMUL4(p, 20, v); \
	FADD4(p, p, 21); \
	FMUL4(p, p, v); \
	FADD4(p, p, 22); \
	FMUL4(p, p, v); \
	FADD4(p, p, 23); \
	FMUL4(p, p, v); \
	FADD4(p, p, 24); \
	FMUL4(p, p, v); \
	FADD4(p, p, 25); \
	FMUL4(p, p, v); \
	FMUL4(p, p, v); \
	FADD4(p, p, v); \
	FADD4(p, p, 26); \
	FCVTZS4(n, n); \
	VSHL $23, vn.S4, vn.S4; \
	VADD vn.S4, vp.S4, vp.S4

// func expNEON(dst, x []float32, s float32)
// len(x) is a multiple of 4 and len(dst) >= len(x): dst = exp(s*x).
TEXT ·expNEON(SB), NOSPLIT, $0-52
	MOVD  dst_base+0(FP), R0
	MOVD  x_base+24(FP), R1
	MOVD  x_len+32(FP), R2
	CBZ   R2, edone
	FMOVS s+48(FP), F15
	VDUP  V15.S[0], V15.S4
	LOADCONSTS

eloop:
	VLD1.P 16(R1), [V0.S4]
	FMUL4(0, 0, 15)       // v = x*s
	EXPCORE(0, 1, 3, 2, V1, V3)
	VST1.P [V3.S4], 16(R0)
	SUBS   $4, R2
	BNE    eloop

edone:
	RET

// func tanhNEON(dst, x []float32, c, inv float32)
// len(x) is a multiple of 4 and len(dst) >= len(x): dst = c*tanh(x*inv),
// both branches of Tanh32 computed and the lanes picked by |u| (lanes of
// the other branch may hold anything, even NaN, and are discarded).
TEXT ·tanhNEON(SB), NOSPLIT, $0-56
	MOVD  dst_base+0(FP), R0
	MOVD  x_base+24(FP), R1
	MOVD  x_len+32(FP), R2
	CBZ   R2, thdone
	FMOVS c+48(FP), F31
	VDUP  V31.S[0], V31.S4
	FMOVS inv+52(FP), F15
	VDUP  V15.S[0], V15.S4
	LOADCONSTS

thloop:
	VLD1.P 16(R1), [V0.S4]
	FMUL4(0, 0, 15)       // u = x*inv
	FABS4(1, 0)           // |u|
	FADD4(2, 1, 1)        // a = 2|u|, exact as 2*|u| is
	EXPCORE(2, 4, 5, 3, V4, V5)   // e = exp(a)
	FADD4(5, 5, 26)       // e + 1
	FDIV4(6, 27, 5)       // 2/(e+1)
	FSUB4(6, 26, 6)       // 1 - 2/(e+1)
	FCMGT4(7, 1, 28)      // |u| > 9
	VBIT   V7.B16, V26.B16, V6.B16 // 1 there
	VAND   V29.B16, V0.B16, V7.B16 // sign bit of u
	VEOR   V7.B16, V6.B16, V6.B16  // large-|u| result: -t where u < 0
	FMUL4(3, 0, 0)        // z = u*u
	FMUL4(4, 9, 3)        // q0*z
	FADD4(4, 4, 10)
	FMUL4(4, 4, 3)
	FADD4(4, 4, 11)
	FMUL4(4, 4, 3)
	FADD4(4, 4, 12)
	FMUL4(4, 4, 3)
	FADD4(4, 4, 13)
	FMUL4(4, 4, 3)        // q*z
	FMUL4(4, 4, 0)        // *u
	FADD4(4, 4, 0)        // + u: small-|u| result
	FCMGT4(7, 14, 1)      // |u| < 0.625
	VBIT   V7.B16, V4.B16, V6.B16
	FMUL4(6, 31, 6)       // c*tanh(u)
	VST1.P [V6.S4], 16(R0)
	SUBS   $4, R2
	BNE    thloop

thdone:
	RET

// func adamNEON(w, g, m, v []float32, k *[7]float32)
// len(w) is a multiple of 4 and the others at least as long;
// k = {b1, 1-b1, b2, 1-b2, lr, eps, decay}. adamStepGo's operations in its
// order, unfused.
TEXT ·adamNEON(SB), NOSPLIT, $0-104
	MOVD    w_base+0(FP), R0
	MOVD    w_len+8(FP), R5
	MOVD    g_base+24(FP), R1
	MOVD    m_base+48(FP), R2
	MOVD    v_base+72(FP), R3
	MOVD    k+96(FP), R4
	CBZ     R5, addone
	VLD1R.P 4(R4), [V16.S4]
	VLD1R.P 4(R4), [V17.S4]
	VLD1R.P 4(R4), [V18.S4]
	VLD1R.P 4(R4), [V19.S4]
	VLD1R.P 4(R4), [V20.S4]
	VLD1R.P 4(R4), [V21.S4]
	VLD1R.P 4(R4), [V22.S4]

adloop:
	VLD1   (R0), [V0.S4]  // w
	VLD1.P 16(R1), [V1.S4] // g
	VLD1   (R2), [V2.S4]  // m
	VLD1   (R3), [V3.S4]  // v
	FMUL4(2, 16, 2)       // b1*m
	FMUL4(4, 17, 1)       // (1-b1)*g
	FADD4(2, 2, 4)        // m
	FMUL4(3, 18, 3)       // b2*v
	FMUL4(4, 19, 1)       // (1-b2)*g
	FMUL4(4, 4, 1)        // *g
	FADD4(3, 3, 4)        // v
	VST1.P [V2.S4], 16(R2)
	VST1.P [V3.S4], 16(R3)
	FMUL4(4, 20, 2)       // lr*m
	FSQRT4(5, 3)
	FADD4(5, 5, 21)       // sqrt(v) + eps
	FDIV4(4, 4, 5)        // q
	FMUL4(0, 0, 22)       // w*decay
	FSUB4(0, 0, 4)        // - q
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R5
	BNE    adloop

addone:
	RET
