package main

import (
	"os"
	"testing"
)

// TestCheckedIn: the assembly in the repository is what the generator
// writes, so nobody edits the generated file by hand by mistake.
func TestCheckedIn(t *testing.T) {
	for file, want := range map[string]string{"kernel_amd64.s": Kernel(), "kernel_avx2_amd64.s": KernelAVX2()} {
		got, err := os.ReadFile("../../" + file)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("nn/blas/%s differs from the generator's output: run go generate ./nn/blas", file)
		}
	}
}
