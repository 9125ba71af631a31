#include "textflag.h"

// Scalar constants, broadcast into registers at the top of each kernel.
// The polynomials are Cephes' expf and tanhf, as in generic.go. No kernel
// fuses multiply-adds: each does generic.go's operations in its order, so
// that both paths give bit-identical results.
DATA consts<>+0(SB)/4, $0x3fb8aa3b  // log2(e)
DATA consts<>+4(SB)/4, $0x4b400000  // 1.5*2^23: rounds to an integer
DATA consts<>+8(SB)/4, $0x3f318000  // ln2 high part 0.693359375
DATA consts<>+12(SB)/4, $0xb95e8083 // ln2 low part -2.12194440e-4
DATA consts<>+16(SB)/4, $0x39506967 // expf p0 1.9875691500e-4
DATA consts<>+20(SB)/4, $0x3ab743ce // expf p1 1.3981999507e-3
DATA consts<>+24(SB)/4, $0x3c088908 // expf p2 8.3334519073e-3
DATA consts<>+28(SB)/4, $0x3d2aa9c1 // expf p3 4.1665795894e-2
DATA consts<>+32(SB)/4, $0x3e2aaaaa // expf p4 1.6666665459e-1
DATA consts<>+36(SB)/4, $0x3f000000 // expf p5 5.0000001201e-1
DATA consts<>+40(SB)/4, $0x3f800000 // 1
DATA consts<>+44(SB)/4, $0xbbbaf0ea // tanhf q0 -5.70498872745e-3
DATA consts<>+48(SB)/4, $0x3ca9134e // tanhf q1 2.06390887954e-2
DATA consts<>+52(SB)/4, $0xbd5c1e2d // tanhf q2 -5.37397155531e-2
DATA consts<>+56(SB)/4, $0x3e088393 // tanhf q3 1.33314422036e-1
DATA consts<>+60(SB)/4, $0xbeaaaa99 // tanhf q4 -3.33332819422e-1
DATA consts<>+64(SB)/4, $0x3f200000 // 0.625: polynomial below, exp above
DATA consts<>+68(SB)/4, $0x41200000 // 10: |x| clamp that keeps exp finite
DATA consts<>+72(SB)/4, $0x7fffffff // |x| mask
DATA consts<>+76(SB)/4, $0x40000000 // 2
DATA consts<>+80(SB)/4, $0x41100000 // 9: tanh rounds to 1 above
GLOBL consts<>(SB), RODATA|NOPTR, $84

// func reluBiasAVX2(y, b []float32, rows int)
// Columns [0, len(b)&^7) of each row: y = max(y+b, 0), clearing values whose
// sign bit is set.
TEXT ·reluBiasAVX2(SB), NOSPLIT, $0-56
	MOVQ y_base+0(FP), DI
	MOVQ b_base+24(FP), SI
	MOVQ b_len+32(FP), CX
	MOVQ rows+48(FP), DX
	MOVQ CX, R8
	ANDQ $-8, R8          // R8 = columns done here
	JZ   rbdone
	TESTQ DX, DX
	JLE  rbdone
	SHLQ $2, CX           // CX = row stride in bytes
	MOVQ R8, R9
	SUBQ $32, R9          // R9 = last start of a 32-column block

rbrow:
	XORQ AX, AX

rb32:
	CMPQ AX, R9
	JGT  rb8
	VMOVUPS (DI)(AX*4), Y0
	VMOVUPS 32(DI)(AX*4), Y1
	VMOVUPS 64(DI)(AX*4), Y2
	VMOVUPS 96(DI)(AX*4), Y3
	VADDPS  (SI)(AX*4), Y0, Y0
	VADDPS  32(SI)(AX*4), Y1, Y1
	VADDPS  64(SI)(AX*4), Y2, Y2
	VADDPS  96(SI)(AX*4), Y3, Y3
	VPSRAD  $31, Y0, Y4
	VPSRAD  $31, Y1, Y5
	VPSRAD  $31, Y2, Y6
	VPSRAD  $31, Y3, Y7
	VPANDN  Y0, Y4, Y0
	VPANDN  Y1, Y5, Y1
	VPANDN  Y2, Y6, Y2
	VPANDN  Y3, Y7, Y3
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	ADDQ    $32, AX
	JMP     rb32

rb8:
	CMPQ AX, R8
	JGE  rbnext
	VMOVUPS (DI)(AX*4), Y0
	VADDPS  (SI)(AX*4), Y0, Y0
	VPSRAD  $31, Y0, Y4
	VPANDN  Y0, Y4, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     rb8

rbnext:
	ADDQ CX, DI
	DECQ DX
	JNZ  rbrow

rbdone:
	VZEROUPPER
	RET

// func reluGradAVX2(g, post []float32)
// len(g) is a multiple of 8; g = 0 where post == ±0.
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-48
	MOVQ g_base+0(FP), DI
	MOVQ g_len+8(FP), CX
	MOVQ post_base+24(FP), SI
	XORQ AX, AX
	VXORPS Y15, Y15, Y15
	MOVQ CX, R9
	SUBQ $32, R9

rg32:
	CMPQ AX, R9
	JGT  rg8
	VCMPPS  $0, (SI)(AX*4), Y15, Y0
	VCMPPS  $0, 32(SI)(AX*4), Y15, Y1
	VCMPPS  $0, 64(SI)(AX*4), Y15, Y2
	VCMPPS  $0, 96(SI)(AX*4), Y15, Y3
	VANDNPS (DI)(AX*4), Y0, Y0
	VANDNPS 32(DI)(AX*4), Y1, Y1
	VANDNPS 64(DI)(AX*4), Y2, Y2
	VANDNPS 96(DI)(AX*4), Y3, Y3
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	ADDQ    $32, AX
	JMP     rg32

rg8:
	CMPQ AX, CX
	JGE  rgdone
	VCMPPS  $0, (SI)(AX*4), Y15, Y0
	VANDNPS (DI)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     rg8

rgdone:
	VZEROUPPER
	RET

// func sumRowsAVX2(dst, g []float32, rows int)
// Columns [0, len(dst)&^7): dst[j] += g[r*n+j] for r = 0, 1, ... in order.
// Blocks of 64 columns keep 8 independent sums in flight.
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ rows+48(FP), DX
	MOVQ CX, R8
	ANDQ $-8, R8
	SHLQ $2, CX
	XORQ AX, AX

sr64:
	LEAQ 64(AX), R9
	CMPQ R9, R8
	JGT  sr8
	VMOVUPS (DI)(AX*4), Y0
	VMOVUPS 32(DI)(AX*4), Y1
	VMOVUPS 64(DI)(AX*4), Y2
	VMOVUPS 96(DI)(AX*4), Y3
	VMOVUPS 128(DI)(AX*4), Y4
	VMOVUPS 160(DI)(AX*4), Y5
	VMOVUPS 192(DI)(AX*4), Y6
	VMOVUPS 224(DI)(AX*4), Y7
	LEAQ    (SI)(AX*4), R10
	MOVQ    DX, R11

sr64row:
	VADDPS (R10), Y0, Y0
	VADDPS 32(R10), Y1, Y1
	VADDPS 64(R10), Y2, Y2
	VADDPS 96(R10), Y3, Y3
	VADDPS 128(R10), Y4, Y4
	VADDPS 160(R10), Y5, Y5
	VADDPS 192(R10), Y6, Y6
	VADDPS 224(R10), Y7, Y7
	ADDQ   CX, R10
	DECQ   R11
	JNZ    sr64row
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	VMOVUPS Y4, 128(DI)(AX*4)
	VMOVUPS Y5, 160(DI)(AX*4)
	VMOVUPS Y6, 192(DI)(AX*4)
	VMOVUPS Y7, 224(DI)(AX*4)
	ADDQ    $64, AX
	JMP     sr64

sr8:
	CMPQ AX, R8
	JGE  srdone
	VMOVUPS (DI)(AX*4), Y0
	LEAQ    (SI)(AX*4), R10
	MOVQ    DX, R11

sr8row:
	VADDPS (R10), Y0, Y0
	ADDQ   CX, R10
	DECQ   R11
	JNZ    sr8row
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     sr8

srdone:
	VZEROUPPER
	RET

// func expAVX2(dst, x []float32, s float32)
// len(x) is a multiple of 8: dst = exp(s*x). The operations are expGo's,
// in its order and unfused, so the results are identical; 2^n is added
// straight from the low bits of the rounding sum v*log2e + 1.5*2^23.
TEXT ·expAVX2(SB), NOSPLIT, $0-52
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSS s+48(FP), Y15
	VBROADCASTSS consts<>+0(SB), Y14
	VBROADCASTSS consts<>+4(SB), Y13
	VBROADCASTSS consts<>+8(SB), Y12
	VBROADCASTSS consts<>+12(SB), Y11
	VBROADCASTSS consts<>+16(SB), Y10
	VBROADCASTSS consts<>+20(SB), Y9
	VBROADCASTSS consts<>+24(SB), Y8
	VBROADCASTSS consts<>+28(SB), Y7
	VBROADCASTSS consts<>+32(SB), Y6
	VBROADCASTSS consts<>+36(SB), Y5
	VBROADCASTSS consts<>+40(SB), Y4
	XORQ AX, AX

exloop:
	CMPQ AX, CX
	JGE  exdone
	VMULPS  (SI)(AX*4), Y15, Y0 // v = s*x
	VMULPS  Y14, Y0, Y1
	VADDPS  Y13, Y1, Y1         // t = v*log2e + magic: n in the low bits
	VSUBPS  Y13, Y1, Y2         // n = t - magic
	VMULPS  Y12, Y2, Y3
	VSUBPS  Y3, Y0, Y0          // r = v - n*ln2h
	VMULPS  Y11, Y2, Y3
	VSUBPS  Y3, Y0, Y0          // r -= n*ln2l
	VMULPS  Y10, Y0, Y3
	VADDPS  Y9, Y3, Y3
	VMULPS  Y0, Y3, Y3
	VADDPS  Y8, Y3, Y3
	VMULPS  Y0, Y3, Y3
	VADDPS  Y7, Y3, Y3
	VMULPS  Y0, Y3, Y3
	VADDPS  Y6, Y3, Y3
	VMULPS  Y0, Y3, Y3
	VADDPS  Y5, Y3, Y3          // p
	VMULPS  Y0, Y3, Y3
	VMULPS  Y0, Y3, Y3
	VADDPS  Y0, Y3, Y3
	VADDPS  Y4, Y3, Y3          // p*r*r + r + 1
	VPSLLD  $23, Y1, Y1         // n<<23 (the magic bits shift out)
	VPADDD  Y1, Y3, Y3
	VMOVUPS Y3, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     exloop

exdone:
	VZEROUPPER
	RET

// func tanhAVX2(dst, x []float32, c, inv float32)
// len(x) is a multiple of 8: dst = c*tanh(x*inv), tanhScaledGo's operations
// unfused. Both branches of tanh32 are computed and blended: the odd
// polynomial for |u| < 0.625, sign(u)*(1 - 2/(e+1)) with e = exp(2|u|)
// above, and sign(u) beyond 9 (|u| is clamped to 10 first so that exp
// stays finite; NaN passes the clamp and gives NaN).
TEXT ·tanhAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSS c+48(FP), Y8
	VBROADCASTSS inv+52(FP), Y15
	VBROADCASTSS consts<>+0(SB), Y14
	VBROADCASTSS consts<>+4(SB), Y13
	VBROADCASTSS consts<>+8(SB), Y12
	VBROADCASTSS consts<>+12(SB), Y11
	VBROADCASTSS consts<>+72(SB), Y10
	VBROADCASTSS consts<>+40(SB), Y9
	XORQ AX, AX

thloop:
	CMPQ AX, CX
	JGE  thdone
	VMULPS       (SI)(AX*4), Y15, Y0 // u = x*inv
	VANDPS       Y10, Y0, Y1         // |u|
	VBROADCASTSS consts<>+68(SB), Y6
	VMINPS       Y1, Y6, Y2          // min(|u|, 10), NaN kept
	VADDPS       Y2, Y2, Y2          // a = 2*min(|u|, 10)
	VMULPS       Y14, Y2, Y3
	VADDPS       Y13, Y3, Y3         // t = a*log2e + magic
	VSUBPS       Y13, Y3, Y4         // n
	VMULPS       Y12, Y4, Y5
	VSUBPS       Y5, Y2, Y2          // r = a - n*ln2h
	VMULPS       Y11, Y4, Y5
	VSUBPS       Y5, Y2, Y2          // r -= n*ln2l
	VBROADCASTSS consts<>+16(SB), Y5
	VMULPS       Y2, Y5, Y5
	VBROADCASTSS consts<>+20(SB), Y6
	VADDPS       Y6, Y5, Y5
	VMULPS       Y2, Y5, Y5
	VBROADCASTSS consts<>+24(SB), Y6
	VADDPS       Y6, Y5, Y5
	VMULPS       Y2, Y5, Y5
	VBROADCASTSS consts<>+28(SB), Y6
	VADDPS       Y6, Y5, Y5
	VMULPS       Y2, Y5, Y5
	VBROADCASTSS consts<>+32(SB), Y6
	VADDPS       Y6, Y5, Y5
	VMULPS       Y2, Y5, Y5
	VBROADCASTSS consts<>+36(SB), Y6
	VADDPS       Y6, Y5, Y5
	VMULPS       Y2, Y5, Y5
	VMULPS       Y2, Y5, Y5
	VADDPS       Y2, Y5, Y5
	VADDPS       Y9, Y5, Y5
	VPSLLD       $23, Y3, Y3
	VPADDD       Y3, Y5, Y5          // e = exp(a)
	VADDPS       Y9, Y5, Y5          // e + 1
	VBROADCASTSS consts<>+76(SB), Y2
	VDIVPS       Y5, Y2, Y2          // 2/(e+1)
	VSUBPS       Y2, Y9, Y2          // 1 - 2/(e+1)
	VBROADCASTSS consts<>+80(SB), Y6
	VCMPPS       $14, Y6, Y1, Y6     // |u| > 9
	VBLENDVPS    Y6, Y9, Y2, Y2      // 1 there
	VANDNPS      Y0, Y10, Y3         // sign bit of u
	VXORPS       Y3, Y2, Y2          // large-|u| result
	VMULPS       Y0, Y0, Y3          // z = u*u
	VBROADCASTSS consts<>+44(SB), Y4
	VMULPS       Y3, Y4, Y4
	VBROADCASTSS consts<>+48(SB), Y6
	VADDPS       Y6, Y4, Y4
	VMULPS       Y3, Y4, Y4
	VBROADCASTSS consts<>+52(SB), Y6
	VADDPS       Y6, Y4, Y4
	VMULPS       Y3, Y4, Y4
	VBROADCASTSS consts<>+56(SB), Y6
	VADDPS       Y6, Y4, Y4
	VMULPS       Y3, Y4, Y4
	VBROADCASTSS consts<>+60(SB), Y6
	VADDPS       Y6, Y4, Y4
	VMULPS       Y3, Y4, Y4
	VMULPS       Y0, Y4, Y4
	VADDPS       Y0, Y4, Y4          // q*z*u + u: small-|u| result
	VBROADCASTSS consts<>+64(SB), Y6
	VCMPPS       $1, Y6, Y1, Y6      // |u| < 0.625
	VBLENDVPS    Y6, Y4, Y2, Y2
	VMULPS       Y2, Y8, Y2          // c*tanh(u)
	VMOVUPS      Y2, (DI)(AX*4)
	ADDQ         $8, AX
	JMP          thloop

thdone:
	VZEROUPPER
	RET

// func adamAVX2(w, g, m, v []float32, k *[7]float32)
// len(w) is a multiple of 8; k = {b1, 1-b1, b2, 1-b2, lr, eps, decay}.
// The same operations in the same order as adamStepGo, unfused, so the
// results are identical.
TEXT ·adamAVX2(SB), NOSPLIT, $0-104
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ m_base+48(FP), R8
	MOVQ v_base+72(FP), R9
	MOVQ k+96(FP), R10
	VBROADCASTSS 0(R10), Y15
	VBROADCASTSS 4(R10), Y14
	VBROADCASTSS 8(R10), Y13
	VBROADCASTSS 12(R10), Y12
	VBROADCASTSS 16(R10), Y11
	VBROADCASTSS 20(R10), Y10
	VBROADCASTSS 24(R10), Y9
	XORQ AX, AX

adloop:
	CMPQ AX, CX
	JGE  addone
	VMOVUPS (SI)(AX*4), Y0
	VMULPS  (R8)(AX*4), Y15, Y1 // b1*m
	VMULPS  Y0, Y14, Y2         // (1-b1)*g
	VADDPS  Y2, Y1, Y1          // m
	VMULPS  Y0, Y12, Y3         // (1-b2)*g
	VMULPS  Y0, Y3, Y3          // (1-b2)*g*g
	VMULPS  (R9)(AX*4), Y13, Y4 // b2*v
	VADDPS  Y3, Y4, Y4          // v
	VMOVUPS Y1, (R8)(AX*4)
	VMOVUPS Y4, (R9)(AX*4)
	VSQRTPS Y4, Y4
	VADDPS  Y10, Y4, Y4         // sqrt(v)+eps
	VMULPS  Y1, Y11, Y1         // lr*m
	VDIVPS  Y4, Y1, Y1
	VMULPS  (DI)(AX*4), Y9, Y2  // w*decay
	VSUBPS  Y1, Y2, Y2
	VMOVUPS Y2, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     adloop

addone:
	VZEROUPPER
	RET

// The AVX-512 versions below are the AVX2 ones above with 16 lanes: the same
// operations in the same order (still no fused multiply-adds), so all three
// paths give identical bits. Blends become mask-register moves.

TEXT ·expAVX512(SB), NOSPLIT, $0-52
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSS s+48(FP), Z15
	VBROADCASTSS consts<>+0(SB), Z14
	VBROADCASTSS consts<>+4(SB), Z13
	VBROADCASTSS consts<>+8(SB), Z12
	VBROADCASTSS consts<>+12(SB), Z11
	VBROADCASTSS consts<>+16(SB), Z10
	VBROADCASTSS consts<>+20(SB), Z9
	VBROADCASTSS consts<>+24(SB), Z8
	VBROADCASTSS consts<>+28(SB), Z7
	VBROADCASTSS consts<>+32(SB), Z6
	VBROADCASTSS consts<>+36(SB), Z5
	VBROADCASTSS consts<>+40(SB), Z4
	XORQ AX, AX

exloop512:
	CMPQ AX, CX
	JGE  exdone512
	VMULPS  (SI)(AX*4), Z15, Z0 // v = s*x
	VMULPS  Z14, Z0, Z1
	VADDPS  Z13, Z1, Z1         // t = v*log2e + magic: n in the low bits
	VSUBPS  Z13, Z1, Z2         // n = t - magic
	VMULPS  Z12, Z2, Z3
	VSUBPS  Z3, Z0, Z0          // r = v - n*ln2h
	VMULPS  Z11, Z2, Z3
	VSUBPS  Z3, Z0, Z0          // r -= n*ln2l
	VMULPS  Z10, Z0, Z3
	VADDPS  Z9, Z3, Z3
	VMULPS  Z0, Z3, Z3
	VADDPS  Z8, Z3, Z3
	VMULPS  Z0, Z3, Z3
	VADDPS  Z7, Z3, Z3
	VMULPS  Z0, Z3, Z3
	VADDPS  Z6, Z3, Z3
	VMULPS  Z0, Z3, Z3
	VADDPS  Z5, Z3, Z3          // p
	VMULPS  Z0, Z3, Z3
	VMULPS  Z0, Z3, Z3
	VADDPS  Z0, Z3, Z3
	VADDPS  Z4, Z3, Z3          // p*r*r + r + 1
	VPSLLD  $23, Z1, Z1         // n<<23 (the magic bits shift out)
	VPADDD  Z1, Z3, Z3
	VMOVUPS Z3, (DI)(AX*4)
	ADDQ    $16, AX
	JMP     exloop512

exdone512:
	VZEROUPPER
	RET

TEXT ·tanhAVX512(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	VBROADCASTSS c+48(FP), Z8
	VBROADCASTSS inv+52(FP), Z15
	VBROADCASTSS consts<>+0(SB), Z14
	VBROADCASTSS consts<>+4(SB), Z13
	VBROADCASTSS consts<>+8(SB), Z12
	VBROADCASTSS consts<>+12(SB), Z11
	VBROADCASTSS consts<>+72(SB), Z10
	VBROADCASTSS consts<>+40(SB), Z9
	XORQ AX, AX

thloop512:
	CMPQ AX, CX
	JGE  thdone512
	VMULPS       (SI)(AX*4), Z15, Z0 // u = x*inv
	VPANDD       Z10, Z0, Z1         // |u|
	VBROADCASTSS consts<>+68(SB), Z6
	VMINPS       Z1, Z6, Z2          // min(|u|, 10), NaN kept
	VADDPS       Z2, Z2, Z2          // a = 2*min(|u|, 10)
	VMULPS       Z14, Z2, Z3
	VADDPS       Z13, Z3, Z3         // t = a*log2e + magic
	VSUBPS       Z13, Z3, Z4         // n
	VMULPS       Z12, Z4, Z5
	VSUBPS       Z5, Z2, Z2          // r = a - n*ln2h
	VMULPS       Z11, Z4, Z5
	VSUBPS       Z5, Z2, Z2          // r -= n*ln2l
	VBROADCASTSS consts<>+16(SB), Z5
	VMULPS       Z2, Z5, Z5
	VBROADCASTSS consts<>+20(SB), Z6
	VADDPS       Z6, Z5, Z5
	VMULPS       Z2, Z5, Z5
	VBROADCASTSS consts<>+24(SB), Z6
	VADDPS       Z6, Z5, Z5
	VMULPS       Z2, Z5, Z5
	VBROADCASTSS consts<>+28(SB), Z6
	VADDPS       Z6, Z5, Z5
	VMULPS       Z2, Z5, Z5
	VBROADCASTSS consts<>+32(SB), Z6
	VADDPS       Z6, Z5, Z5
	VMULPS       Z2, Z5, Z5
	VBROADCASTSS consts<>+36(SB), Z6
	VADDPS       Z6, Z5, Z5
	VMULPS       Z2, Z5, Z5
	VMULPS       Z2, Z5, Z5
	VADDPS       Z2, Z5, Z5
	VADDPS       Z9, Z5, Z5
	VPSLLD       $23, Z3, Z3
	VPADDD       Z3, Z5, Z5          // e = exp(a)
	VADDPS       Z9, Z5, Z5          // e + 1
	VBROADCASTSS consts<>+76(SB), Z2
	VDIVPS       Z5, Z2, Z2          // 2/(e+1)
	VSUBPS       Z2, Z9, Z2          // 1 - 2/(e+1)
	VBROADCASTSS consts<>+80(SB), Z6
	VCMPPS       $14, Z6, Z1, K1     // |u| > 9
	VMOVAPS      Z9, K1, Z2          // 1 there
	VPANDND      Z0, Z10, Z3         // sign bit of u
	VPXORD       Z3, Z2, Z2          // large-|u| result
	VMULPS       Z0, Z0, Z3          // z = u*u
	VBROADCASTSS consts<>+44(SB), Z4
	VMULPS       Z3, Z4, Z4
	VBROADCASTSS consts<>+48(SB), Z6
	VADDPS       Z6, Z4, Z4
	VMULPS       Z3, Z4, Z4
	VBROADCASTSS consts<>+52(SB), Z6
	VADDPS       Z6, Z4, Z4
	VMULPS       Z3, Z4, Z4
	VBROADCASTSS consts<>+56(SB), Z6
	VADDPS       Z6, Z4, Z4
	VMULPS       Z3, Z4, Z4
	VBROADCASTSS consts<>+60(SB), Z6
	VADDPS       Z6, Z4, Z4
	VMULPS       Z3, Z4, Z4
	VMULPS       Z0, Z4, Z4
	VADDPS       Z0, Z4, Z4          // q*z*u + u: small-|u| result
	VBROADCASTSS consts<>+64(SB), Z6
	VCMPPS       $1, Z6, Z1, K2      // |u| < 0.625
	VMOVAPS      Z4, K2, Z2
	VMULPS       Z2, Z8, Z2          // c*tanh(u)
	VMOVUPS      Z2, (DI)(AX*4)
	ADDQ         $16, AX
	JMP          thloop512

thdone512:
	VZEROUPPER
	RET

// func addBiasAVX2(y, b []float32, rows int)
// Columns [0, len(b)&^7) of each row: y = y+b.
TEXT ·addBiasAVX2(SB), NOSPLIT, $0-56
	MOVQ y_base+0(FP), DI
	MOVQ b_base+24(FP), SI
	MOVQ b_len+32(FP), CX
	MOVQ rows+48(FP), DX
	MOVQ CX, R8
	ANDQ $-8, R8          // R8 = columns done here
	JZ   abdone
	TESTQ DX, DX
	JLE  abdone
	SHLQ $2, CX           // CX = row stride in bytes
	MOVQ R8, R9
	SUBQ $32, R9          // R9 = last start of a 32-column block

abrow:
	XORQ AX, AX

ab32:
	CMPQ AX, R9
	JGT  ab8
	VMOVUPS (DI)(AX*4), Y0
	VMOVUPS 32(DI)(AX*4), Y1
	VMOVUPS 64(DI)(AX*4), Y2
	VMOVUPS 96(DI)(AX*4), Y3
	VADDPS  (SI)(AX*4), Y0, Y0
	VADDPS  32(SI)(AX*4), Y1, Y1
	VADDPS  64(SI)(AX*4), Y2, Y2
	VADDPS  96(SI)(AX*4), Y3, Y3
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	ADDQ    $32, AX
	JMP     ab32

ab8:
	CMPQ AX, R8
	JGE  abnext
	VMOVUPS (DI)(AX*4), Y0
	VADDPS  (SI)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     ab8

abnext:
	ADDQ CX, DI
	DECQ DX
	JNZ  abrow

abdone:
	VZEROUPPER
	RET

// func reluAVX2(dst, x []float32)
// dst[i] = max(x[i], 0) for i < len(x) (a multiple of 8), clearing values
// whose sign bit is set, as reluBiasAVX2 does.
TEXT ·reluAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	XORQ AX, AX

rlloop:
	CMPQ    AX, CX
	JGE     rldone
	VMOVUPS (SI)(AX*4), Y0
	VPSRAD  $31, Y0, Y1
	VPANDN  Y0, Y1, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	JMP     rlloop

rldone:
	VZEROUPPER
	RET
