#include "textflag.h"

// Go's assembler has no floating-point vector arithmetic besides the fusing
// FMLA and FMLS, so these are encodings (ARM's operand order, destination
// first, on the .2D arrangement), as in vec_arm64.s.
// FADD Vd.2D, Vn.2D, Vm.2D
#define FADD2(d, n, m) WORD $(0x4e60d400 | ((m)<<16) | ((n)<<5) | (d))
// FSUB Vd.2D, Vn.2D, Vm.2D
#define FSUB2(d, n, m) WORD $(0x4ee0d400 | ((m)<<16) | ((n)<<5) | (d))
// FMUL Vd.2D, Vn.2D, Vm.2D
#define FMUL2(d, n, m) WORD $(0x6e60dc00 | ((m)<<16) | ((n)<<5) | (d))
// FCMGT Vd.2D, Vn.2D, Vm.2D: all ones where n > m (false for NaN)
#define FCMGT2(d, n, m) WORD $(0x6ee0e400 | ((m)<<16) | ((n)<<5) | (d))

// func exp64NEON(e []float64, k *[11]float64, table *[64]float64)
//
// Exp64 on 2 lanes, in place, for len(e) a multiple of 2: the Go code's
// operations in its order (no fused multiply-adds), so the bits are the
// same. k holds -700, 64/ln2, the rounding magic, ln2/64 high and low, the
// polynomial's 1/120, 1/24, 1/6, 1/2, 1, and the integer 63.
TEXT ·exp64NEON(SB), NOSPLIT, $0-40
	MOVD    e_base+0(FP), R0
	MOVD    e_len+8(FP), R1
	MOVD    k+24(FP), R2
	MOVD    table+32(FP), R3
	CBZ     R1, done
	VLD1R.P 8(R2), [V15.D2] // -700
	VLD1R.P 8(R2), [V14.D2] // 64/ln2
	VLD1R.P 8(R2), [V13.D2] // magic
	VLD1R.P 8(R2), [V12.D2] // ln2/64 high
	VLD1R.P 8(R2), [V11.D2] // ln2/64 low
	VLD1R.P 8(R2), [V10.D2] // 1/120
	VLD1R.P 8(R2), [V9.D2]  // 1/24
	VLD1R.P 8(R2), [V8.D2]  // 1/6
	VLD1R.P 8(R2), [V7.D2]  // 1/2
	VLD1R.P 8(R2), [V6.D2]  // 1
	VLD1R.P 8(R2), [V5.D2]  // 63

loop:
	VLD1   (R0), [V0.D2]
	FCMGT2(16, 15, 0)       // a < -700
	VBIT   V16.B16, V15.B16, V0.B16 // clamp
	FMUL2(1, 0, 14)
	FADD2(1, 1, 13)         // kf = a*inv + magic: its bits are k
	FSUB2(2, 1, 13)         // kf - magic
	FMUL2(3, 2, 12)
	FSUB2(3, 0, 3)          // a - kf*ln2hi
	FMUL2(4, 2, 11)
	FSUB2(3, 3, 4)          // r
	FMUL2(4, 3, 10)         // r/120
	FADD2(4, 4, 9)          // 1/24 + r/120
	FMUL2(4, 3, 4)
	FADD2(4, 4, 8)          // 1/6 + ...
	FMUL2(4, 3, 4)
	FADD2(4, 4, 7)          // 1/2 + ...
	FMUL2(4, 3, 4)
	FADD2(4, 4, 6)          // 1 + ...
	FMUL2(4, 3, 4)
	FADD2(4, 4, 6)          // p
	VAND   V5.B16, V1.B16, V16.B16 // k & 63
	VMOV   V16.D[0], R4
	MOVD   (R3)(R4<<3), R5
	VMOV   R5, V17.D[0]
	VMOV   V16.D[1], R4
	MOVD   (R3)(R4<<3), R5
	VMOV   R5, V17.D[1]     // 2^(j/64)
	FMUL2(17, 17, 4)        // 2^(j/64) * p
	VUSHR  $6, V1.D2, V18.D2
	VSHL   $52, V18.D2, V18.D2 // (k>>6)<<52
	VADD   V18.D2, V17.D2, V17.D2
	VST1.P [V17.D2], 16(R0)
	SUBS   $2, R1
	BNE    loop

done:
	RET
