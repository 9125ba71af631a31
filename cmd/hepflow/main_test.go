package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hepflow/internal/demodata"
)

// hepflow runs one command line in-process.
func hepflow(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &env{stdout: &o, stderr: &e})
	return o.String(), e.String(), code
}

// higgsSample writes the embedded HIGGS sample into dir and returns its path.
func higgsSample(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, demodata.FileName)
	if err := os.WriteFile(p, demodata.HiggsSample, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHelpOfEveryCommand(t *testing.T) {
	for name := range commands() {
		out, _, code := hepflow(t, name, "--help")
		if code != 0 || strings.Count(out, "Usage: hepflow "+name) != 1 {
			t.Errorf("%s --help: exit %d, output %q", name, code, out)
		}
		if name != "version" && !strings.Contains(out, "Examples:") {
			t.Errorf("%s --help has no examples", name)
		}
	}
	if _, _, code := hepflow(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}
