//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// STEP512 does one k step of the 8×32 tile: rows i of C in Z(2i), Z(2i+1) gain
// a[ao+4i] * b[bo : bo+128 bytes].
#define STEP512(ao, bo) \
	VMOVUPS bo(DI), Z16; \
	VMOVUPS bo+64(DI), Z17; \
	VBROADCASTSS ao(SI), Z18; \
	VBROADCASTSS ao+4(SI), Z19; \
	VFMADD231PS Z16, Z18, Z0; \
	VFMADD231PS Z17, Z18, Z1; \
	VBROADCASTSS ao+8(SI), Z20; \
	VFMADD231PS Z16, Z19, Z2; \
	VFMADD231PS Z17, Z19, Z3; \
	VBROADCASTSS ao+12(SI), Z21; \
	VFMADD231PS Z16, Z20, Z4; \
	VFMADD231PS Z17, Z20, Z5; \
	VBROADCASTSS ao+16(SI), Z22; \
	VFMADD231PS Z16, Z21, Z6; \
	VFMADD231PS Z17, Z21, Z7; \
	VBROADCASTSS ao+20(SI), Z23; \
	VFMADD231PS Z16, Z22, Z8; \
	VFMADD231PS Z17, Z22, Z9; \
	VBROADCASTSS ao+24(SI), Z24; \
	VFMADD231PS Z16, Z23, Z10; \
	VFMADD231PS Z17, Z23, Z11; \
	VBROADCASTSS ao+28(SI), Z25; \
	VFMADD231PS Z16, Z24, Z12; \
	VFMADD231PS Z17, Z24, Z13; \
	VFMADD231PS Z16, Z25, Z14; \
	VFMADD231PS Z17, Z25, Z15

// ADD512 adds row (z0, z1) of C at DX to the accumulators and advances DX by BX.
#define ADD512(z0, z1) \
	VADDPS (DX), z0, z0; \
	VADDPS 64(DX), z1, z1; \
	VMOVUPS z0, (DX); \
	VMOVUPS z1, 64(DX); \
	ADDQ BX, DX

// SET512 stores row (z0, z1) of C at DX and advances DX by BX.
#define SET512(z0, z1) \
	VMOVUPS z0, (DX); \
	VMOVUPS z1, 64(DX); \
	ADDQ BX, DX

// func sgemm8x32AVX512(kc int, a, b, c *float32, ldc int, acc bool)
TEXT ·sgemm8x32AVX512(SB), NOSPLIT, $0-41
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), BX
	SHLQ $2, BX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	MOVQ CX, AX
	SHRQ $2, AX
	JZ   tail512

loop512:
	STEP512(0, 0)
	STEP512(32, 128)
	STEP512(64, 256)
	STEP512(96, 384)
	ADDQ $128, SI
	ADDQ $512, DI
	DECQ AX
	JNZ  loop512

tail512:
	ANDQ $3, CX
	JZ   store512

loop512one:
	STEP512(0, 0)
	ADDQ $32, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop512one

store512:
	CMPB acc+40(FP), $0
	JEQ  set512
	ADD512(Z0, Z1)
	ADD512(Z2, Z3)
	ADD512(Z4, Z5)
	ADD512(Z6, Z7)
	ADD512(Z8, Z9)
	ADD512(Z10, Z11)
	ADD512(Z12, Z13)
	ADD512(Z14, Z15)
	VZEROUPPER
	RET

set512:
	SET512(Z0, Z1)
	SET512(Z2, Z3)
	SET512(Z4, Z5)
	SET512(Z6, Z7)
	SET512(Z8, Z9)
	SET512(Z10, Z11)
	SET512(Z12, Z13)
	SET512(Z14, Z15)
	VZEROUPPER
	RET

// STEP2 does one k step of the 6×16 tile: rows i of C in Y(2i), Y(2i+1) gain
// a[ao+4i] * b[bo : bo+64 bytes].
#define STEP2(ao, bo) \
	VMOVUPS bo(DI), Y12; \
	VMOVUPS bo+32(DI), Y13; \
	VBROADCASTSS ao(SI), Y14; \
	VBROADCASTSS ao+4(SI), Y15; \
	VFMADD231PS Y12, Y14, Y0; \
	VFMADD231PS Y13, Y14, Y1; \
	VBROADCASTSS ao+8(SI), Y14; \
	VFMADD231PS Y12, Y15, Y2; \
	VFMADD231PS Y13, Y15, Y3; \
	VBROADCASTSS ao+12(SI), Y15; \
	VFMADD231PS Y12, Y14, Y4; \
	VFMADD231PS Y13, Y14, Y5; \
	VBROADCASTSS ao+16(SI), Y14; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VBROADCASTSS ao+20(SI), Y15; \
	VFMADD231PS Y12, Y14, Y8; \
	VFMADD231PS Y13, Y14, Y9; \
	VFMADD231PS Y12, Y15, Y10; \
	VFMADD231PS Y13, Y15, Y11

#define ADD2(y0, y1) \
	VADDPS (DX), y0, y0; \
	VADDPS 32(DX), y1, y1; \
	VMOVUPS y0, (DX); \
	VMOVUPS y1, 32(DX); \
	ADDQ BX, DX

#define SET2(y0, y1) \
	VMOVUPS y0, (DX); \
	VMOVUPS y1, 32(DX); \
	ADDQ BX, DX

// func sgemm6x16AVX2(kc int, a, b, c *float32, ldc int, acc bool)
TEXT ·sgemm6x16AVX2(SB), NOSPLIT, $0-41
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), BX
	SHLQ $2, BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ CX, AX
	SHRQ $2, AX
	JZ   tail2

loop2:
	STEP2(0, 0)
	STEP2(24, 64)
	STEP2(48, 128)
	STEP2(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ AX
	JNZ  loop2

tail2:
	ANDQ $3, CX
	JZ   store2

loop2one:
	STEP2(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop2one

store2:
	CMPB acc+40(FP), $0
	JEQ  set2
	ADD2(Y0, Y1)
	ADD2(Y2, Y3)
	ADD2(Y4, Y5)
	ADD2(Y6, Y7)
	ADD2(Y8, Y9)
	ADD2(Y10, Y11)
	VZEROUPPER
	RET

set2:
	SET2(Y0, Y1)
	SET2(Y2, Y3)
	SET2(Y4, Y5)
	SET2(Y6, Y7)
	SET2(Y8, Y9)
	SET2(Y10, Y11)
	VZEROUPPER
	RET

// STEPR does one k step of the 8×32 tile whose A rows are read in place: rows i of C in
// Z(2i), Z(2i+1) gain row_i[AX + ao bytes] * b[bo : bo+128 bytes], with row pointers
// SI, DX, R8, ..., R13.
#define STEPR(ao, bo) \
	VMOVUPS bo(DI), Z16; \
	VMOVUPS bo+64(DI), Z17; \
	VBROADCASTSS ao(SI)(AX*1), Z18; \
	VBROADCASTSS ao(DX)(AX*1), Z19; \
	VFMADD231PS Z16, Z18, Z0; \
	VFMADD231PS Z17, Z18, Z1; \
	VBROADCASTSS ao(R8)(AX*1), Z20; \
	VFMADD231PS Z16, Z19, Z2; \
	VFMADD231PS Z17, Z19, Z3; \
	VBROADCASTSS ao(R9)(AX*1), Z21; \
	VFMADD231PS Z16, Z20, Z4; \
	VFMADD231PS Z17, Z20, Z5; \
	VBROADCASTSS ao(R10)(AX*1), Z22; \
	VFMADD231PS Z16, Z21, Z6; \
	VFMADD231PS Z17, Z21, Z7; \
	VBROADCASTSS ao(R11)(AX*1), Z23; \
	VFMADD231PS Z16, Z22, Z8; \
	VFMADD231PS Z17, Z22, Z9; \
	VBROADCASTSS ao(R12)(AX*1), Z24; \
	VFMADD231PS Z16, Z23, Z10; \
	VFMADD231PS Z17, Z23, Z11; \
	VBROADCASTSS ao(R13)(AX*1), Z25; \
	VFMADD231PS Z16, Z24, Z12; \
	VFMADD231PS Z17, Z24, Z13; \
	VFMADD231PS Z16, Z25, Z14; \
	VFMADD231PS Z17, Z25, Z15

// func sgemmRows8x32AVX512(kc int, a *float32, offs *[8]int, b, c *float32, ldc int)
TEXT ·sgemmRows8x32AVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ offs+16(FP), BX
	MOVQ 0(BX), SI
	MOVQ 8(BX), DX
	MOVQ 16(BX), R8
	MOVQ 24(BX), R9
	MOVQ 32(BX), R10
	MOVQ 40(BX), R11
	MOVQ 48(BX), R12
	MOVQ 56(BX), R13
	LEAQ (AX)(SI*4), SI
	LEAQ (AX)(DX*4), DX
	LEAQ (AX)(R8*4), R8
	LEAQ (AX)(R9*4), R9
	LEAQ (AX)(R10*4), R10
	LEAQ (AX)(R11*4), R11
	LEAQ (AX)(R12*4), R12
	LEAQ (AX)(R13*4), R13
	MOVQ b+24(FP), DI
	XORQ AX, AX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	MOVQ CX, BX
	SHRQ $2, BX
	JZ   tailr

loopr:
	STEPR(0, 0)
	STEPR(4, 128)
	STEPR(8, 256)
	STEPR(12, 384)
	ADDQ $16, AX
	ADDQ $512, DI
	DECQ BX
	JNZ  loopr

tailr:
	ANDQ $3, CX
	JZ   storer

loopr1:
	STEPR(0, 0)
	ADDQ $4, AX
	ADDQ $128, DI
	DECQ CX
	JNZ  loopr1

storer:
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), BX
	SHLQ $2, BX
	ADD512(Z0, Z1)
	ADD512(Z2, Z3)
	ADD512(Z4, Z5)
	ADD512(Z6, Z7)
	ADD512(Z8, Z9)
	ADD512(Z10, Z11)
	ADD512(Z12, Z13)
	ADD512(Z14, Z15)
	VZEROUPPER
	RET

// func gatherRows(dst, src *float32, offs *int, kc, n, dstStride int)
// For p < kc: copies the n floats (n a positive multiple of 4) at src+offs[p] to
// dst+p*dstStride (in floats), with AVX.
TEXT ·gatherRows(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ offs+16(FP), BX
	MOVQ kc+24(FP), CX
	MOVQ n+32(FP), R8
	MOVQ dstStride+40(FP), R9
	SHLQ $2, R9
	MOVQ R8, R11
	ANDQ $4, R11
	SHRQ $3, R8

gatherRow:
	MOVQ  (BX), AX
	LEAQ  (SI)(AX*4), AX
	MOVQ  DI, DX
	MOVQ  R8, R10
	TESTQ R10, R10
	JZ    gatherHalf

gatherChunk:
	VMOVUPS (AX), Y0
	VMOVUPS Y0, (DX)
	ADDQ    $32, AX
	ADDQ    $32, DX
	DECQ    R10
	JNZ     gatherChunk

gatherHalf:
	TESTQ   R11, R11
	JZ      gatherNext
	VMOVUPS (AX), X0
	VMOVUPS X0, (DX)

gatherNext:
	ADDQ $8, BX
	ADDQ R9, DI
	DECQ CX
	JNZ  gatherRow
	VZEROUPPER
	RET

// func gatherCols32(dst, src *float32, rowOffs *int32, pixOffs *int32, kc int)
// For p < kc and j < 32: dst[p*32+j] = src[rowOffs[j]+pixOffs[p]], with AVX-512 gathers.
TEXT ·gatherCols32(SB), NOSPLIT, $0-40
	MOVQ      dst+0(FP), DI
	MOVQ      src+8(FP), SI
	MOVQ      rowOffs+16(FP), AX
	MOVQ      pixOffs+24(FP), BX
	MOVQ      kc+32(FP), CX
	VMOVDQU32 (AX), Z0
	VMOVDQU32 64(AX), Z1

gatherCol:
	VPBROADCASTD (BX), Z2
	VPADDD       Z0, Z2, Z3
	VPADDD       Z1, Z2, Z4
	KXNORW       K1, K1, K1
	KXNORW       K2, K2, K2
	VGATHERDPS   (SI)(Z3*4), K1, Z5
	VGATHERDPS   (SI)(Z4*4), K2, Z6
	VMOVUPS      Z5, (DI)
	VMOVUPS      Z6, 64(DI)
	ADDQ         $4, BX
	ADDQ         $128, DI
	DECQ         CX
	JNZ          gatherCol
	VZEROUPPER
	RET
