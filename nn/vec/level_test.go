package vec

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/cpu"
)

func TestParseLevel(t *testing.T) {
	native := AVX512 // "" is no cap: this architecture's highest level
	if runtime.GOARCH == "arm64" {
		native = NEON
	}
	for s, want := range map[string]Level{"": native, "avx512": AVX512, "avx2": AVX2, "neon": NEON, "generic": Generic} {
		if l, err := ParseLevel(s); err != nil || l != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", s, l, err, want)
		}
	}
	for _, l := range []Level{Generic, AVX2, AVX512, NEON} {
		if got, err := ParseLevel(l.String()); err != nil || got != l {
			t.Errorf("ParseLevel(%v.String()) = %v, %v", l, got, err)
		}
	}
	for _, s := range []string{"AVX2", "avx", "sse", " generic", "NEON", "asimd"} {
		if _, err := ParseLevel(s); err == nil {
			t.Errorf("ParseLevel(%q) gave no error", s)
		}
	}
}

// TestEnvCPU runs this test binary again under each HEPFLOW_CPU value: the
// kernels must come up at the level asked for (capped by the CPU's; a level
// of another architecture caps nothing), and an unknown value must stop the
// program at start-up. Under an emulator that cannot start the binary again
// (qemu-user without binfmt_misc) it skips; .ci/arm64 then runs the child
// for each level itself.
func TestEnvCPU(t *testing.T) {
	const child = "HEPFLOW_TEST_VEC_WANT"
	if want := os.Getenv(child); want != "" {
		if got := CPU().String(); got != want {
			t.Fatalf("%s=%s: CPU() = %s", EnvCPU, os.Getenv(EnvCPU), got)
		}
		if useAVX2 != hasAVX2 || useAVX512 != hasAVX512 || useNEON != hasNEON {
			t.Fatal("the kernels in use are not those the level allows")
		}
		return
	}
	run := func(value, want string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvCPU$", "-test.count=1")
		cmd.Env = append(os.Environ(), EnvCPU+"="+value, child+"="+want)
		out, err := cmd.CombinedOutput()
		if errors.Is(err, syscall.ENOEXEC) {
			t.Skipf("cannot run this test binary again (%v): an emulator without binfmt_misc?", err)
		}
		return string(out), err
	}
	hw := Generic // the CPU's own level, whatever this process's HEPFLOW_CPU
	if runtime.GOARCH == "amd64" && cpu.X86.HasAVX2 {
		hw = AVX2
		if cpu.X86.HasAVX512F {
			hw = AVX512
		}
	}
	if runtime.GOARCH == "arm64" && cpu.ARM64.HasASIMD {
		hw = NEON
	}
	for _, l := range []Level{Generic, AVX2, AVX512, NEON} {
		if out, err := run(l.String(), min(l, hw).String()); err != nil {
			t.Errorf("%s=%v: %v\n%s", EnvCPU, l, err, out)
		}
	}
	out, err := run("avx3", "avx3")
	if err == nil || !strings.Contains(out, "unknown CPU level") {
		t.Errorf("%s=avx3 did not stop the program: %v\n%s", EnvCPU, err, out)
	}
}
