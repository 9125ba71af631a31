package main

import (
	"os"
	"testing"
)

// TestCheckedIn: the assembly in the repository is what the generator
// writes, so nobody edits the generated file by hand by mistake.
func TestCheckedIn(t *testing.T) {
	got, err := os.ReadFile("../../kernel_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != Kernel() {
		t.Fatal("nn/blas/kernel_amd64.s differs from the generator's output: run go generate ./nn/blas")
	}
}
