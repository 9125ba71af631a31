//go:build !purego

#include "textflag.h"

// func transpose16(dst, src *float32, ldsrc, ldd, k int, idx *[16]int32, mask uint16)
//
// dst[p*ldd + i] = src[i*ldsrc + p] for p < k and the lanes i < 16 set in
// mask, by one 16-lane gather per output row. idx[i] must be i*ldsrc.
TEXT ·transpose16(SB), NOSPLIT, $0-50
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ldd+24(FP), DX
	SHLQ $2, DX
	MOVQ k+32(FP), CX
	MOVQ idx+40(FP), AX
	VMOVDQU32 (AX), Z1
	MOVWLZX mask+48(FP), BX
	KMOVW BX, K2
	TESTQ CX, CX
	JZ done
loop:
	KMOVW BX, K1
	VXORPS Z0, Z0, Z0
	VGATHERDPS (SI)(Z1*4), K1, Z0
	VMOVUPS Z0, K2, (DI)
	ADDQ $4, SI
	ADDQ DX, DI
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET
