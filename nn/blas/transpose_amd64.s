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

// func transpose8AVX2(dst, src *float32, lds, ldd, n int)
//
// dst[j*ldd + i] = src[i*lds + j] for i < 8 and j < n, n a multiple of 8:
// 8 x 8 blocks transposed in registers (unpack, shuffle, lane permute),
// one 32-byte store per row of dst and block.
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), AX
	SHLQ $2, AX
	MOVQ ldd+24(FP), DX
	SHLQ $2, DX
	MOVQ n+32(FP), CX
	SHRQ $3, CX
	JZ done8
	LEAQ (AX)(AX*2), BX // 3 lds
	LEAQ (SI)(AX*4), R8 // rows 4..7
	LEAQ (DX)(DX*2), R9 // 3 ldd
	LEAQ (DI)(DX*4), R10 // rows 4..7 of the block in dst
	LEAQ (DX*8), R11 // 8 ldd
loop8:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(AX*1), Y1
	VMOVUPS (SI)(AX*2), Y2
	VMOVUPS (SI)(BX*1), Y3
	VMOVUPS (R8), Y4
	VMOVUPS (R8)(AX*1), Y5
	VMOVUPS (R8)(AX*2), Y6
	VMOVUPS (R8)(BX*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(DX*1)
	VMOVUPS Y10, (DI)(DX*2)
	VMOVUPS Y11, (DI)(R9*1)
	VMOVUPS Y12, (R10)
	VMOVUPS Y13, (R10)(DX*1)
	VMOVUPS Y14, (R10)(DX*2)
	VMOVUPS Y15, (R10)(R9*1)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ R11, DI
	ADDQ R11, R10
	DECQ CX
	JNZ loop8
done8:
	VZEROUPPER
	RET
