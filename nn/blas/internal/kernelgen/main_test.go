package main

import (
	"os"
	"testing"
)

// TestCheckedIn: the assembly in the repository is what the generator
// writes, so nobody edits the generated file by hand by mistake.
func TestCheckedIn(t *testing.T) {
	for file, want := range map[string]string{"kernel_amd64.s": Kernel(), "kernel_avx2_amd64.s": KernelAVX2(), "kernel_arm64.s": KernelNEON()} {
		got, err := os.ReadFile("../../" + file)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("nn/blas/%s differs from the generator's output: run go generate ./nn/blas", file)
		}
	}
}

// TestNEONEncodings: the hand-made encodings have the operand layout of the
// ARM manual, checked on FMLA against Go's assembler (its test data has
// VFMLA V1.S4, V12.S4, V1.S4 as 81cd214e, little-endian) and on FMUL
// against go tool objdump's decoding of kernel_arm64.s (FMUL V24.S4,
// V0.S4, V0.S4, i.e. V0 = V0*V24, is 6e38dc00).
func TestNEONEncodings(t *testing.T) {
	if got := neonFMLA(1, 12, 1); got != 0x4e21cd81 {
		t.Errorf("FMLA V1.4S, V12.4S, V1.4S = %#08x, want 0x4e21cd81", got)
	}
	if got := neonFMUL(0, 0, 24); got != 0x6e38dc00 {
		t.Errorf("FMUL V0.4S, V0.4S, V24.4S = %#08x, want 0x6e38dc00", got)
	}
}
