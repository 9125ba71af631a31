package blas

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"
)

// errNoDlopen is returned where purego cannot dlopen (non-unix platforms).
var errNoDlopen = errors.New("blas: run-time loading of OpenBLAS is not supported on " + runtime.GOOS + "/" + runtime.GOARCH)

// openblasLib is the resolved entry points of one dlopen'ed OpenBLAS.
type openblasLib struct {
	path       string
	sgemm      uintptr // Fortran sgemm_
	setThreads uintptr // openblas_set_num_threads(int)
	getThreads uintptr // openblas_get_num_threads(void) int
}

// dlopen and symbol resolution are process-global, so the loaded library is
// cached once per process. This is the package's only mutable state; it is
// written once under sync.Once and read-only afterwards.
var (
	libOnce sync.Once
	libVal  *openblasLib
	libErr  error
)

func loadLib() (*openblasLib, error) {
	libOnce.Do(func() { libVal, libErr = openLib() })
	return libVal, libErr
}

// OpenBLAS is the Gemm backed by a system OpenBLAS loaded at run time, so
// the binary needs neither cgo nor OpenBLAS at build time. It is safe for
// concurrent use and does not allocate per call once warmed up.
//
// It calls the Fortran entry point sgemm_ rather than cblas_sgemm: every
// sgemm_ argument is a pointer, so it goes through purego.SyscallN with no
// reflection and no allocation, whereas cblas_sgemm mixes float and integer
// arguments, which SyscallN cannot place and purego.RegisterFunc handles
// with about a dozen allocations per call. A row-major product is the
// column-major product of the transposes, C^T = op(B)^T op(A)^T, so the
// call swaps A with B and m with n; the arithmetic is the same driver.
type OpenBLAS struct {
	lib *openblasLib

	mu   sync.Mutex
	free []*sgemmArgs
}

// LoadOpenBLAS loads OpenBLAS (libopenblas.so.0, libopenblas.so, or a
// libblas.so.3 that is OpenBLAS underneath) and sets its thread count;
// threads <= 0 means runtime.GOMAXPROCS(0). OpenBLAS keeps one thread count
// per process, so the latest LoadOpenBLAS call sets it for every handle.
func LoadOpenBLAS(threads int) (*OpenBLAS, error) {
	lib, err := loadLib()
	if err != nil {
		return nil, err
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if threads > math.MaxInt32 {
		threads = math.MaxInt32
	}
	syscallN(lib.setThreads, uintptr(threads))
	return &OpenBLAS{lib: lib}, nil
}

// Name reports the implementation.
func (o *OpenBLAS) Name() string { return "openblas" }

// Path is the shared library that was loaded.
func (o *OpenBLAS) Path() string { return o.lib.path }

// Threads is OpenBLAS's current (process-wide) thread count.
func (o *OpenBLAS) Threads() int {
	r := syscallN(o.lib.getThreads)
	return int(int32(r))
}

// sgemmArgs holds what sgemm_ reads through pointers. It lives on the heap
// (from the free list), and its pointer fields keep the matrices reachable
// and heap-resident for the duration of the call.
type sgemmArgs struct {
	transA, transB byte
	m, n, k        int32
	lda, ldb, ldc  int32
	alpha, beta    float32
	a, b, c        unsafe.Pointer
	call           [15]uintptr
}

// Sgemm computes C = alpha*op(A)*op(B) + beta*C; see Gemm.
func (o *OpenBLAS) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	for _, v := range [...]int{m, n, k, lda, ldb, ldc} {
		if v > math.MaxInt32 {
			panic(fmt.Sprintf("blas: OpenBLAS takes 32-bit sizes, got %d", v))
		}
	}
	s := o.getArgs()
	s.transA, s.transB = fortranTrans(transA), fortranTrans(transB)
	s.m, s.n, s.k = int32(m), int32(n), int32(k)
	s.lda, s.ldb, s.ldc = int32(lda), int32(ldb), int32(ldc)
	s.alpha, s.beta = alpha, beta
	s.a, s.b, s.c = firstElem(a), firstElem(b), unsafe.Pointer(&c[0])
	// Column-major view: C^T (n x m) = op(B)^T (n x k) * op(A)^T (k x m).
	s.call = [15]uintptr{
		uintptr(unsafe.Pointer(&s.transB)), uintptr(unsafe.Pointer(&s.transA)),
		uintptr(unsafe.Pointer(&s.n)), uintptr(unsafe.Pointer(&s.m)), uintptr(unsafe.Pointer(&s.k)),
		uintptr(unsafe.Pointer(&s.alpha)),
		uintptr(s.b), uintptr(unsafe.Pointer(&s.ldb)),
		uintptr(s.a), uintptr(unsafe.Pointer(&s.lda)),
		uintptr(unsafe.Pointer(&s.beta)),
		uintptr(s.c), uintptr(unsafe.Pointer(&s.ldc)),
		1, 1, // hidden Fortran lengths of the two character arguments
	}
	syscallN(o.lib.sgemm, s.call[:]...)
	// s holds the only typed references to the matrices during the call.
	runtime.KeepAlive(s)
	s.a, s.b, s.c = nil, nil, nil
	o.putArgs(s)
}

func fortranTrans(t bool) byte {
	if t {
		return 'T'
	}
	return 'N'
}

// firstElem is &x[0], or nil for an empty slice (only possible when k == 0,
// where OpenBLAS does not read the operand).
func firstElem(x []float32) unsafe.Pointer {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Pointer(&x[0])
}

func (o *OpenBLAS) getArgs() *sgemmArgs {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.free); n > 0 {
		s := o.free[n-1]
		o.free = o.free[:n-1]
		return s
	}
	return new(sgemmArgs)
}

func (o *OpenBLAS) putArgs(s *sgemmArgs) {
	o.mu.Lock()
	o.free = append(o.free, s)
	o.mu.Unlock()
}
