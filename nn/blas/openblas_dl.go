//go:build (linux || darwin || freebsd || netbsd) && !android && (amd64 || arm64)

package blas

import (
	"errors"
	"fmt"

	"github.com/ebitengine/purego"
)

// libCandidates are tried in order. libblas.so.3 is the Debian alternatives
// slot, which may be reference BLAS, so it is accepted only when it exports
// OpenBLAS's own symbols.
var libCandidates = [...]string{"libopenblas.so.0", "libopenblas.so", "libblas.so.3"}

func openLib() (*openblasLib, error) {
	var errs []error
	for _, name := range libCandidates {
		lib, err := openOne(name)
		if err == nil {
			return lib, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("blas: load OpenBLAS: %w", errors.Join(errs...))
}

func openOne(name string) (*openblasLib, error) {
	h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("dlopen %s: %w", name, err)
	}
	lib := &openblasLib{path: name}
	for _, s := range []struct {
		name string
		dst  *uintptr
	}{
		{"sgemm_", &lib.sgemm},
		{"openblas_set_num_threads", &lib.setThreads},
		{"openblas_get_num_threads", &lib.getThreads},
	} {
		if *s.dst, err = purego.Dlsym(h, s.name); err != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("%s is not OpenBLAS: dlsym %s: %w", name, s.name, err)
		}
	}
	return lib, nil
}

func syscallN(fn uintptr, args ...uintptr) uintptr {
	r, _, _ := purego.SyscallN(fn, args...)
	return r
}
