//go:build !((linux || darwin || freebsd || netbsd) && !android && (amd64 || arm64))

package blas

func openLib() (*openblasLib, error) { return nil, errNoDlopen }

// syscallN is never reached: no library loads on these platforms.
func syscallN(fn uintptr, args ...uintptr) uintptr { panic(errNoDlopen) }
