package blas

import (
	"runtime"
	"sync"
	"unsafe"
)

// The portable kernel: the pure-Go path for CPUs without the assembly
// kernels (arm64, other architectures, the purego build tag). Each tile of C
// is computed one k slice at a time. Per slice, op(A)'s rows of the tile are
// packed into strips of goMR rows (k-major: the goMR values of one k step
// are adjacent) and, per block of nr columns, op(B)'s rows that the B spans
// leave non-zero are packed likewise; a register-blocked micro-kernel then
// forms each goMR x nr block of op(A) op(B) in scalar float32 accumulators.
// Packing is what makes the four transpose cases one kernel, and what lets
// the kernel run on contiguous memory without bounds checks.
//
// Register blocking is set by the target's floating-point register file:
// amd64 has 15 allocatable XMM registers (X15 is the ABI's zero register),
// which hold 12 accumulators and the values they need (4x4 spills there:
// 5-30% slower in interleaved runs); arm64 and the other 64-bit targets
// have 32, where 4x4 fits with its 8 loaded values (checked in the arm64
// and riscv64 assembly: 16 fused multiply-adds per k step, no spills). On
// amd64 (SSE scalar MULSS and ADDSS) the 4x3 kernel alone runs 5.5-5.9
// GFLOP/s on a 2.2 GHz Xeon (BenchmarkGoMicroKernel), so the tiles cannot
// match gonum's SSE loops there, which do four lanes per instruction; its
// audience is the targets where gonum is plain Go too.
//
// Every element of C is computed with the same operations in the same order
// whatever tile or thread it falls to: per k slice (slices of plan.kc from
// 0, fixed for a given k) a sum in k order started from zero, then one
// epilogue, alpha*sum + beta*C on the first slice (alpha*sum when beta is 0,
// which never reads C) and alpha*sum + C on the others. The B spans only
// drop terms that are exact zeros, and the sum starts from +0, so the ranged
// result is the dense one (up to the sign of a zero result).
const (
	goMR = 4 // rows of C per micro-kernel call
	// goMCMax and goNCMax (below) bound the tiles. With the k slice of
	// 256 the packed A strips of a tile take 64 KiB and one packed B block
	// 3-4 KiB, within L2 and L1.
	goMCMax  = 64
	goKCMax  = 256
	goNRWide = 4 // block width on targets with 32 FP registers
	goNRNarr = 3 // block width on amd64 (and 386)
)

// goMicro is one register-blocked micro-kernel: kern computes the goMR x nr
// block acc[r*nr+c] = sum over kc k steps of a[p*goMR+r] * b[p*nr+c] from a
// packed strip of op(A) and a packed block of op(B).
type goMicro struct {
	nr   int
	kern func(kc int, a, b []float32, acc *[goMR * goNRWide]float32)
}

var (
	goMicro4x3 = goMicro{nr: 3, kern: goKernel4x3}
	goMicro4x4 = goMicro{nr: 4, kern: goKernel4x4}
)

// goNarrowRegs is true on targets with 16 or fewer FP registers, where the
// 4x3 kernel is the one that does not spill. runtime.GOARCH is a constant,
// so the choice costs nothing at run time.
const goNarrowRegs = runtime.GOARCH == "amd64" || runtime.GOARCH == "386"

// goDefaultMicro is the kernel of this target; see goNarrowRegs.
var goDefaultMicro = func() *goMicro {
	if goNarrowRegs {
		return &goMicro4x3
	}
	return &goMicro4x4
}()

// goNR is the block width of goDefaultMicro and goNCMax the widest tile:
// whole blocks covering the MAF's 128 columns.
var (
	goNR    = goDefaultMicro.nr
	goNCMax = roundUp(128, goNR)
)

// goScratch holds one tile's packed operands. A job's tiles run on several
// goroutines at once, so the buffers come from a free list shared by all
// calls instead of the job: it grows to the largest number of tiles ever in
// flight together (threads of all concurrent calls) and then steady-state
// calls allocate nothing. A sync.Pool would do as well but may drop
// buffers at any collection (and, under the race detector, at random), so
// that calls would allocate now and then.
type goScratch struct {
	a []float32 // op(A) strips of the tile for one k slice
	b []float32 // op(B) block of nr columns for one k slice
	// acc is the micro-kernel's output; here rather than on the stack
	// because it is passed through a func value, which makes it escape.
	acc [goMR * goNRWide]float32
}

var goScratchFree struct {
	sync.Mutex
	list []*goScratch
}

func getGoScratch() *goScratch {
	goScratchFree.Lock()
	defer goScratchFree.Unlock()
	if n := len(goScratchFree.list); n > 0 {
		s := goScratchFree.list[n-1]
		goScratchFree.list = goScratchFree.list[:n-1]
		return s
	}
	return new(goScratch)
}

func putGoScratch(s *goScratch) {
	goScratchFree.Lock()
	goScratchFree.list = append(goScratchFree.list, s)
	goScratchFree.Unlock()
}

// goGrow returns s resliced to n elements, reallocated when too small.
func goGrow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// goPlan is plan for the portable kernel: tiles are whole goMR x goNR
// blocks, at most goMCMax x goNCMax, k in slices of at most goKCMax (the
// slice size depends on k alone, so the results do not depend on the
// threads); with several threads tiles are halved until there are two per
// thread.
func (g *Go) goPlan(m, n, k int) tilePlan {
	return g.planKernel(m, n, k, goMR, goNR, goMCMax, goNCMax, goKCMax)
}

// goTile computes the rows x cols tile of C at (i0, c0) with the portable
// kernel of this target; see goTileWith.
func (j *job) goTile(i0, rows, c0, cols int) { j.goTileWith(goDefaultMicro, i0, rows, c0, cols) }

// goTileWith computes the rows x cols tile of C at (i0, c0) with micro-kernel
// mk, one k slice at a time, beta on the first slice only. Per block of nr
// columns, k runs only over the rows of op(B) that the B spans leave
// non-zero (a block with none only gets beta), and only the row strips that
// hold rows the C spans want are computed. Where the tile and its blocks
// start changes which unwanted entries get computed, never the value of an
// element: that is fixed by the k slices and the epilogue (see above).
func (j *job) goTileWith(mk *goMicro, i0, rows, c0, cols int) {
	s := getGoScratch()
	defer putGoScratch(s)
	nr := mk.nr
	beta := j.beta
	for p0 := 0; p0 < j.k; p0 += j.plan.kc {
		kc := min(j.plan.kc, j.k-p0)
		packedA := false // packed on the first block that needs it
		for c := c0; c < c0+cols; c += nr {
			w := min(nr, c0+cols-c)
			iLo, iHi, pLo, pHi, ok := j.rangedBlock(c, w, i0, rows, p0, kc, beta)
			if !ok {
				continue
			}
			if !packedA {
				s.a = goGrow(s.a, roundUp(rows, goMR)*kc)
				j.goPackA(s.a, i0, rows, p0, kc)
				packedA = true
			}
			kb := pHi - pLo
			s.b = goGrow(s.b, kb*nr)
			j.goPackB(s.b, c, w, nr, pLo, pHi)
			for i := i0 + (iLo-i0)/goMR*goMR; i < iHi; i += goMR {
				// Strip (i-i0)/goMR starts at (i-i0)*kc; its k step p at
				// goMR*(p-p0) within.
				off := (i-i0)*kc + (pLo-p0)*goMR
				mk.kern(kb, s.a[off:off+kb*goMR], s.b, &s.acc)
				goStore(j.c[i*j.ldc+c:], j.ldc, &s.acc, nr, min(goMR, i0+rows-i), w, j.alpha, beta)
			}
		}
		beta = 1
	}
}

// goPackA stores rows [i0, i0+rows) of op(A), k steps [p0, p0+kc), as
// strips of goMR rows: strip s at dst[s*goMR*kc:], k step p of row r of the
// strip at p*goMR+r. The rows past the last of op(A) are zeros, which only
// feed entries of the accumulator block that goStore drops.
func (j *job) goPackA(dst []float32, i0, rows, p0, kc int) {
	a, lda := j.a, j.lda
	for s := 0; s < rows; s += goMR {
		rr := min(goMR, rows-s)
		d := dst[s*kc : (s+goMR)*kc]
		if j.transA {
			// op(A)(i, p) = A(p, i): the strip's values of one k step are
			// adjacent in A.
			for p := range kc {
				src := a[(p0+p)*lda+i0+s:]
				dp := d[p*goMR : p*goMR+goMR]
				for r := range goMR {
					if r < rr {
						dp[r] = src[r]
					} else {
						dp[r] = 0
					}
				}
			}
			continue
		}
		for r := range goMR {
			if r >= rr {
				for p := range kc {
					d[p*goMR+r] = 0
				}
				continue
			}
			src := a[(i0+s+r)*lda+p0:]
			src = src[:kc]
			for p, v := range src {
				d[p*goMR+r] = v
			}
		}
	}
}

// goPackB stores columns [c, c+w) of op(B), k steps [pLo, pHi), as rows of
// nr values (k step p at (p-pLo)*nr), columns past w zero. The padding only
// feeds accumulators that goStore drops, so its values do not matter; zeros
// keep stale data (a subnormal costs a microcode assist per multiply on
// x86) out of the kernel, as for op(A)'s padding rows.
func (j *job) goPackB(dst []float32, c, w, nr, pLo, pHi int) {
	b, ldb := j.b, j.ldb
	kb := pHi - pLo
	if j.transB {
		// op(B)(p, c) = B(c, p): each column is a contiguous run of B.
		for jj := range nr {
			if jj >= w {
				for p := range kb {
					dst[p*nr+jj] = 0
				}
				continue
			}
			src := b[(c+jj)*ldb+pLo:]
			src = src[:kb]
			for p, v := range src {
				dst[p*nr+jj] = v
			}
		}
		return
	}
	// Whole blocks (all but the last of a row) copy without per-value
	// tests: with a single B block per few row strips (dW's 28 rows), the
	// copy is a tenth of the time.
	switch o := pLo*ldb + c; {
	case w == 3 && nr == 3:
		for p := range kb {
			src, dp := b[o:o+3:o+3], dst[p*3:p*3+3:p*3+3]
			dp[0], dp[1], dp[2] = src[0], src[1], src[2]
			o += ldb
		}
	case w == 4 && nr == 4:
		for p := range kb {
			src, dp := b[o:o+4:o+4], dst[p*4:p*4+4:p*4+4]
			dp[0], dp[1], dp[2], dp[3] = src[0], src[1], src[2], src[3]
			o += ldb
		}
	default:
		for p := range kb {
			src, dp := b[o:o+w], dst[p*nr:p*nr+nr]
			copy(dp, src)
			clear(dp[w:])
			o += ldb
		}
	}
}

// goStore applies the epilogue to the rr x w corner of the accumulator block
// (row stride nr) at c: C = alpha*acc + beta*C, or alpha*acc for beta 0
// without reading C, so that NaN in an uninitialised C does not survive.
// Every kernel's blocks go through this one function, so each element gets
// the same operations (and, on targets that fuse multiply-adds, the same
// fusion) whatever block computed it.
func goStore(c []float32, ldc int, acc *[goMR * goNRWide]float32, nr, rr, w int, alpha, beta float32) {
	for r := range rr {
		row := c[r*ldc : r*ldc+w]
		a := acc[r*nr : r*nr+w]
		if beta == 0 {
			for jj := range row {
				row[jj] = alpha * a[jj]
			}
			continue
		}
		for jj := range row {
			row[jj] = alpha*a[jj] + beta*row[jj]
		}
	}
}

// goLd is the float32 at byte offset off from p.
func goLd(p unsafe.Pointer, off uintptr) float32 { return *(*float32)(unsafe.Add(p, off)) }

// The micro-kernels read their packed operands through unsafe pointers
// after checking the slices' lengths once: with indexed loads, each bounds
// check ends a basic block, and Go's scheduler then moves every multiply of
// the k step ahead of every add (the adds' only uses are the loop's phis, in
// another block), so the products all have to be live at once and spill;
// with the k step a single block the code stays in source order and runs
// 1.6x faster on amd64. The pointers only ever point at elements of the
// slices: they advance after the test for the last step.

// goKernel4x3 is the 4x3 micro-kernel: 12 accumulators, for amd64.
func goKernel4x3(kc int, a, b []float32, acc *[goMR * goNRWide]float32) {
	if kc <= 0 || len(a) < 4*kc || len(b) < 3*kc {
		panic("blas: goKernel4x3: packed operands too short")
	}
	var c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32 float32
	pa, pb := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	for p := 0; ; {
		// b is read at each use: the compiler keeps one load per value
		// and allocates registers better than with named copies.
		a0 := goLd(pa, 0)
		c00 += a0 * goLd(pb, 0)
		c01 += a0 * goLd(pb, 4)
		c02 += a0 * goLd(pb, 8)
		a1 := goLd(pa, 4)
		c10 += a1 * goLd(pb, 0)
		c11 += a1 * goLd(pb, 4)
		c12 += a1 * goLd(pb, 8)
		a2 := goLd(pa, 8)
		c20 += a2 * goLd(pb, 0)
		c21 += a2 * goLd(pb, 4)
		c22 += a2 * goLd(pb, 8)
		a3 := goLd(pa, 12)
		c30 += a3 * goLd(pb, 0)
		c31 += a3 * goLd(pb, 4)
		c32 += a3 * goLd(pb, 8)
		p++
		if p == kc {
			break
		}
		pa, pb = unsafe.Add(pa, 4*4), unsafe.Add(pb, 3*4)
	}
	acc[0], acc[1], acc[2] = c00, c01, c02
	acc[3], acc[4], acc[5] = c10, c11, c12
	acc[6], acc[7], acc[8] = c20, c21, c22
	acc[9], acc[10], acc[11] = c30, c31, c32
}

// goKernel4x4 is the 4x4 micro-kernel: 16 accumulators, for targets with 32
// FP registers.
func goKernel4x4(kc int, a, b []float32, acc *[goMR * goNRWide]float32) {
	if kc <= 0 || len(a) < 4*kc || len(b) < 4*kc {
		panic("blas: goKernel4x4: packed operands too short")
	}
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	pa, pb := unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	for p := 0; ; {
		a0 := goLd(pa, 0)
		c00 += a0 * goLd(pb, 0)
		c01 += a0 * goLd(pb, 4)
		c02 += a0 * goLd(pb, 8)
		c03 += a0 * goLd(pb, 12)
		a1 := goLd(pa, 4)
		c10 += a1 * goLd(pb, 0)
		c11 += a1 * goLd(pb, 4)
		c12 += a1 * goLd(pb, 8)
		c13 += a1 * goLd(pb, 12)
		a2 := goLd(pa, 8)
		c20 += a2 * goLd(pb, 0)
		c21 += a2 * goLd(pb, 4)
		c22 += a2 * goLd(pb, 8)
		c23 += a2 * goLd(pb, 12)
		a3 := goLd(pa, 12)
		c30 += a3 * goLd(pb, 0)
		c31 += a3 * goLd(pb, 4)
		c32 += a3 * goLd(pb, 8)
		c33 += a3 * goLd(pb, 12)
		p++
		if p == kc {
			break
		}
		pa, pb = unsafe.Add(pa, 4*4), unsafe.Add(pb, 4*4)
	}
	acc[0], acc[1], acc[2], acc[3] = c00, c01, c02, c03
	acc[4], acc[5], acc[6], acc[7] = c10, c11, c12, c13
	acc[8], acc[9], acc[10], acc[11] = c20, c21, c22, c23
	acc[12], acc[13], acc[14], acc[15] = c30, c31, c32, c33
}
