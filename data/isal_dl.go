//go:build (linux || darwin || freebsd || netbsd) && !android && (amd64 || arm64)

package data

import (
	"fmt"
	"unsafe"

	"github.com/ebitengine/purego"
)

// isalNames are the names the ISA-L library goes by (Debian's libisal2
// and a source build).
var isalNames = [...]string{"libisal.so.2", "libisal.so", "libisal.2.dylib"}

// openISAL loads ISA-L's inflate entry points.
func openISAL() (*isalLib, error) {
	var first error
	for _, name := range isalNames {
		h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		lib := &isalLib{name: name}
		if lib.init, err = purego.Dlsym(h, "isal_inflate_init"); err == nil {
			lib.inflate, err = purego.Dlsym(h, "isal_inflate")
		}
		if err != nil {
			_ = purego.Dlclose(h)
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return lib, nil
	}
	return nil, first
}

// call runs fn(state) in C.
func (l *isalLib) call(fn uintptr, state []byte) int32 {
	r, _, _ := purego.SyscallN(fn, uintptr(unsafe.Pointer(&state[0])))
	return int32(r)
}
