package benchmark

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/cpu"

	"hepflow/nn/vec"
)

// Machine describes the computer a benchmark ran on, to be recorded next to
// its figures: speed ratios differ between CPU classes (AVX-512, AVX2 only,
// arm64), and the same code runs different kernels on each.
type Machine struct {
	// CPU is the model name the OS reports ("" when it does not say).
	CPU string `json:"cpu"`
	// ID is the vendor's numbering, e.g. "family 6 model 207" on x86 or
	// "implementer 0x41 part 0xd0c" on arm64: the model name alone is often
	// generic under virtual machines ("Intel(R) Xeon(R) Processor").
	ID    string `json:"id,omitempty"`
	Arch  string `json:"arch"`
	Cores int    `json:"cores"`
	// Level is the level hepflow's vector kernels run at on this machine,
	// after $HEPFLOW_CPU's cap (Cap, when set).
	Level string `json:"level"`
	Cap   string `json:"cap,omitempty"`
	// Features are the CPU features the kernels look at that this CPU has.
	Features []string `json:"features"`
}

// DescribeMachine describes the machine the program runs on.
func DescribeMachine() Machine {
	m := Machine{Arch: runtime.GOARCH, Cores: runtime.NumCPU(), Level: vec.CPU().String(), Cap: os.Getenv(vec.EnvCPU)}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		m.CPU, m.ID = parseCPUInfo(bufio.NewScanner(f))
		f.Close()
	}
	for _, f := range []struct {
		name string
		has  bool
	}{
		{"avx2", cpu.X86.HasAVX2}, {"fma", cpu.X86.HasFMA}, {"avx512f", cpu.X86.HasAVX512F},
		{"avx512dq", cpu.X86.HasAVX512DQ}, {"avx512vl", cpu.X86.HasAVX512VL}, {"asimd", cpu.ARM64.HasASIMD},
	} {
		if f.has {
			m.Features = append(m.Features, f.name)
		}
	}
	return m
}

// parseCPUInfo reads the first processor's model name and numbering from
// Linux's /proc/cpuinfo (x86: "model name", "cpu family", "model"; arm64:
// "CPU implementer", "CPU part", and a "model name" only on some kernels).
func parseCPUInfo(sc *bufio.Scanner) (name, id string) {
	fields := map[string]string{}
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			if len(fields) > 0 {
				break // the first processor's block is enough
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if _, seen := fields[k]; !seen {
			fields[k] = strings.TrimSpace(v)
		}
	}
	name = fields["model name"]
	switch {
	case fields["cpu family"] != "":
		id = fmt.Sprintf("family %s model %s", fields["cpu family"], fields["model"])
	case fields["CPU implementer"] != "":
		id = fmt.Sprintf("implementer %s part %s", fields["CPU implementer"], fields["CPU part"])
	}
	return name, id
}

// String is one line for a report: model, numbering, cores and kernel level.
func (m Machine) String() string {
	cpuName := m.CPU
	if cpuName == "" {
		cpuName = "unknown CPU"
	}
	if m.ID != "" {
		cpuName += " (" + m.ID + ")"
	}
	level := m.Level
	if m.Cap != "" {
		level += " (capped by " + vec.EnvCPU + "=" + m.Cap + ")"
	}
	feats := "none of avx2, fma, avx512, asimd"
	if len(m.Features) > 0 {
		feats = strings.Join(m.Features, " ")
	}
	return fmt.Sprintf("%s, %s, %d cores; kernels at level %s; CPU features: %s", cpuName, m.Arch, m.Cores, level, feats)
}
