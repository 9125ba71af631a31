package benchmark

import (
	"bufio"
	"strings"
	"testing"
)

func TestParseCPUInfo(t *testing.T) {
	for _, tc := range []struct{ text, name, id string }{
		{"processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 207\nmodel name\t: Intel(R) Xeon(R) Processor\n\nprocessor\t: 1\nmodel name\t: other\n",
			"Intel(R) Xeon(R) Processor", "family 6 model 207"},
		{"processor\t: 0\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd0c\n\n",
			"", "implementer 0x41 part 0xd0c"},
		{"", "", ""},
	} {
		name, id := parseCPUInfo(bufio.NewScanner(strings.NewReader(tc.text)))
		if name != tc.name || id != tc.id {
			t.Errorf("parseCPUInfo(%q) = %q, %q; want %q, %q", tc.text, name, id, tc.name, tc.id)
		}
	}
}

func TestDescribeMachine(t *testing.T) {
	m := DescribeMachine()
	if m.Arch == "" || m.Cores < 1 || m.Level == "" {
		t.Fatalf("DescribeMachine() = %+v", m)
	}
	if s := m.String(); !strings.Contains(s, m.Level) || !strings.Contains(s, m.Arch) {
		t.Errorf("String() = %q: no level or architecture", s)
	}
}
