//go:build !((linux || darwin || freebsd || netbsd) && !android && (amd64 || arm64))

package data

import "errors"

func openISAL() (*isalLib, error) {
	return nil, errors.New("loading ISA-L at run time is not supported on this platform")
}

func (l *isalLib) call(fn uintptr, state []byte) int32 { panic("unreachable") }
