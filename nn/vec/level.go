package vec

import (
	"fmt"
	"os"
)

// EnvCPU names the environment variable that caps the CPU feature level of
// hepflow's own kernels, this package's and nn/blas's AVX-512, AVX2 and NEON
// GEMMs:
//
//	HEPFLOW_CPU=avx512   no cap on amd64 (the same as unset or empty)
//	HEPFLOW_CPU=avx2     AVX2 assembly only, as on a CPU without AVX-512
//	HEPFLOW_CPU=neon     no cap on arm64 (the same as unset or empty)
//	HEPFLOW_CPU=generic  the pure-Go loops, as on a CPU without SIMD kernels
//
// It is read once, when the program starts, and can only lower the level:
// asking for more than the CPU has gives what the CPU has. A level of
// another architecture caps nothing (HEPFLOW_CPU=avx2 on arm64 runs NEON,
// HEPFLOW_CPU=neon on amd64 runs AVX-512 where the CPU has it), so one
// setting can be exported to a mixed cluster; generic is generic
// everywhere. An unknown value panics at start-up rather than silently
// running something else. It exists so that one machine can reproduce what
// runs on others (the tests re-run themselves under each level this
// machine has).
const EnvCPU = "HEPFLOW_CPU"

// Level is a CPU feature level of the kernels. Levels are ordered, lowest
// first, with this architecture's own levels before the others' (see
// level_order*.go), which is what makes a foreign level cap nothing: on
// amd64 generic < avx2 < avx512 < neon, on arm64 generic < neon < avx2 <
// avx512. The numeric values therefore differ between architectures; use
// the names, not the numbers, outside the process.
type Level int

var levelNames = [...]string{Generic: "generic", AVX2: "avx2", AVX512: "avx512", NEON: "neon"}

// String returns the level's name as $HEPFLOW_CPU spells it.
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// ParseLevel parses a value of $HEPFLOW_CPU; "" means no cap: the highest
// level of this architecture (AVX512 on amd64 and the architectures without
// kernels, NEON on arm64).
func ParseLevel(s string) (Level, error) {
	if s == "" {
		return nativeTop, nil
	}
	for l, name := range levelNames {
		if s == name {
			return Level(l), nil
		}
	}
	return 0, fmt.Errorf("%s=%q: unknown CPU level (want \"avx512\", \"avx2\", \"neon\" or \"generic\")", EnvCPU, s)
}

// maxLevel is the cap set by $HEPFLOW_CPU.
var maxLevel = mustParseLevel(os.Getenv(EnvCPU))

func mustParseLevel(s string) Level {
	l, err := ParseLevel(s)
	if err != nil {
		panic("hepflow: " + err.Error())
	}
	return l
}

// Allowed reports whether $HEPFLOW_CPU lets kernels of level l run (the CPU
// must also support them).
func Allowed(l Level) bool { return l <= maxLevel }

// CPU is the level this package's kernels run at: the highest the CPU
// supports, capped by $HEPFLOW_CPU.
func CPU() Level {
	switch {
	case hasAVX512:
		return AVX512
	case hasAVX2:
		return AVX2
	case hasNEON:
		return NEON
	}
	return Generic
}
