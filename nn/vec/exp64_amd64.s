#include "textflag.h"

// func exp64AVX512(e []float64, k *[11]float64, table *[64]float64)
//
// Exp64 on 8 lanes, in place, for len(e) a multiple of 8: the Go code's
// operations in its order (no fused multiply-adds), so the bits are the same.
// k holds -700, 64/ln2, the rounding magic, ln2/64 high and low, the
// polynomial's 1/120, 1/24, 1/6, 1/2, 1, and the integer 63.
TEXT ·exp64AVX512(SB), NOSPLIT, $0-40
	MOVQ e_base+0(FP), DI
	MOVQ e_len+8(FP), CX
	MOVQ k+24(FP), SI
	MOVQ table+32(FP), R8
	VBROADCASTSD 0(SI), Z15  // -700
	VBROADCASTSD 8(SI), Z14  // 64/ln2
	VBROADCASTSD 16(SI), Z13 // magic
	VBROADCASTSD 24(SI), Z12 // ln2/64 high
	VBROADCASTSD 32(SI), Z11 // ln2/64 low
	VBROADCASTSD 40(SI), Z10 // 1/120
	VBROADCASTSD 48(SI), Z9  // 1/24
	VBROADCASTSD 56(SI), Z8  // 1/6
	VBROADCASTSD 64(SI), Z7  // 1/2
	VBROADCASTSD 72(SI), Z6  // 1
	VPBROADCASTQ 80(SI), Z5  // 63
	XORQ AX, AX

loop:
	CMPQ AX, CX
	JGE  done
	VMOVUPD (DI)(AX*8), Z0
	VCMPPD  $0x11, Z15, Z0, K1  // a < -700 (ordered: false for NaN)
	VMOVAPD Z15, K1, Z0         // clamp
	VMULPD  Z14, Z0, Z1
	VADDPD  Z13, Z1, Z1         // kf = a*inv + magic: its bits are k
	VSUBPD  Z13, Z1, Z2         // kf - magic
	VMULPD  Z12, Z2, Z3
	VSUBPD  Z3, Z0, Z3          // a - kf*ln2hi
	VMULPD  Z11, Z2, Z4
	VSUBPD  Z4, Z3, Z3          // r
	VMULPD  Z10, Z3, Z4         // r/120
	VADDPD  Z9, Z4, Z4          // 1/24 + r/120
	VMULPD  Z4, Z3, Z4
	VADDPD  Z8, Z4, Z4          // 1/6 + ...
	VMULPD  Z4, Z3, Z4
	VADDPD  Z7, Z4, Z4          // 1/2 + ...
	VMULPD  Z4, Z3, Z4
	VADDPD  Z6, Z4, Z4          // 1 + ...
	VMULPD  Z4, Z3, Z4
	VADDPD  Z6, Z4, Z4          // p
	VPANDQ  Z5, Z1, Z16         // k & 63
	KXNORW  K2, K2, K2          // all lanes (the gather clears its mask)
	VGATHERQPD (R8)(Z16*8), K2, Z17
	VMULPD  Z4, Z17, Z17        // 2^(j/64) * p
	VPSRLQ  $6, Z1, Z18
	VPSLLQ  $52, Z18, Z18       // (k>>6)<<52
	VPADDQ  Z18, Z17, Z17
	VMOVUPD Z17, (DI)(AX*8)
	ADDQ    $8, AX
	JMP     loop

done:
	VZEROUPPER
	RET
