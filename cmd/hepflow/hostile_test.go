package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// events returns a CSV body of n rows of two columns (no header).
func events(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%g,%g\n", float64(i%17)*0.37+0.1, float64(i%13)*1.3-2)
	}
	return b.String()
}

// TestHostileInputCLI: hostile files end in one clear error and exit 1,
// promptly and with memory bounded by the limits; the limits are flags.
func TestHostileInputCLI(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, parts ...string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(parts, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	train := func(data string, extra ...string) (string, int) {
		out := filepath.Join(dir, "m.safetensors")
		args := append([]string{"train", "--data", data, "--out", out, "--force", "--epochs", "1", "--blocks", "1", "--hidden", "4"}, extra...)
		_, stderr, code := hepflow(t, args...)
		return stderr, code
	}
	wide := strings.Repeat("1,", 10_000) + "1\n"
	cases := []struct {
		name  string
		data  string
		extra []string
		code  int
		want  []string
	}{
		{"/dev/zero", "/dev/zero", []string{"--format", "csv"}, 1,
			[]string{"read /dev/zero: line 1: line of more than", "--max-line-bytes", `it starts "\x00\x00`}},
		{"a 2 MiB line", write("long.csv", "a,b\n", events(50), strings.Repeat(" ", 2<<20), "1,2\n"), nil, 1,
			[]string{"long.csv: line 52: line of", "longer than the limit of 1048576 (raise it with --max-line-bytes)"}},
		{"10001 columns", write("wide.csv", wide, wide), nil, 1,
			[]string{"wide.csv: line 1: 10001 columns, more than the limit of 10000 (raise it with --max-columns)"}},
		{"a low --max-columns", write("two.csv", "a,b\n", events(50)), []string{"--max-columns", "1"}, 1,
			[]string{"two.csv: line 1: 2 columns, more than the limit of 1"}},
		{"a long field", write("field.csv", "a,b\n", events(50), "1,", strings.Repeat("7", 70_000), "\n"), nil, 1,
			[]string{`field.csv: line 52, column 2 ("b"): field longer than the limit of 65536 bytes (raise it with --max-field-bytes): "777`, "(70000 bytes)"}},
		{"a negative limit", write("ok.csv", "a,b\n", events(50)), []string{"--max-line-bytes", "-1"}, 2,
			[]string{"--max-line-bytes -1: want a positive limit"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.data == "/dev/zero" {
				if _, err := os.Stat(c.data); err != nil {
					t.Skip("no /dev/zero")
				}
			}
			stderr, code := train(c.data, c.extra...)
			if code != c.code {
				t.Fatalf("exit %d, want %d: %s", code, c.code, stderr)
			}
			msg := strings.SplitN(strings.TrimSpace(stderr), "\n", 2)[0]
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if len(msg) > 400 {
				t.Errorf("error of %d bytes: %.200s…", len(msg), msg)
			}
		})
	}
	// Raised limits read what the defaults refuse.
	if stderr, code := train(filepath.Join(dir, "long.csv"), "--max-line-bytes", "4194304", "--max-field-bytes", "4194304"); code != 0 {
		t.Errorf("--max-line-bytes 4194304: %s", stderr)
	}
	out, _, _ := hepflow(t, "train", "--help")
	for _, f := range []string{"-max-line-bytes", "-max-field-bytes", "-max-columns"} {
		if !strings.Contains(out, f) {
			t.Errorf("train --help does not document %s", f)
		}
	}
}

// TestNonUTF8HeaderEndToEnd: the rule for column names (UTF-8, kept byte
// for byte) seen from both commands. A Latin-1 header is refused by train
// and by logprob with the same located error, so no model can exist that
// does not match its own training file; the converted file trains, scores
// itself, and a model of exotic but valid UTF-8 names scores its own file.
func TestNonUTF8HeaderEndToEnd(t *testing.T) {
	dir := t.TempDir()
	body := events(300)
	latin1 := filepath.Join(dir, "latin1.csv")
	utf8 := filepath.Join(dir, "utf8.csv")
	os.WriteFile(latin1, []byte("pt,\xe9ta\n"+body), 0o644) // é in Latin-1
	os.WriteFile(utf8, []byte("pt,\u00e9ta\n"+body), 0o644) // é in UTF-8
	model := filepath.Join(dir, "m.safetensors")
	trainArgs := func(data string) []string {
		return []string{"train", "--data", data, "--out", model, "--force", "--epochs", "2", "--blocks", "1", "--hidden", "8"}
	}
	want := `latin1.csv: line 1, column 2: header name "\xe9ta" is not valid UTF-8 (byte 0xe9 at byte offset 3)`

	_, stderr, code := hepflow(t, trainArgs(latin1)...)
	if code != 1 || !strings.Contains(stderr, want) || !strings.Contains(stderr, "iconv") {
		t.Fatalf("train on a Latin-1 header: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(model); err == nil {
		t.Fatal("a model was written")
	}
	if _, stderr, code := hepflow(t, trainArgs(utf8)...); code != 0 {
		t.Fatalf("train on the UTF-8 file: %s", stderr)
	}
	lp := filepath.Join(dir, "lp.csv")
	if _, stderr, code := hepflow(t, "logprob", "--model", model, "--data", utf8, "--out", lp); code != 0 {
		t.Fatalf("the model does not score its own training file: %s", stderr)
	}
	if b, _ := os.ReadFile(lp); strings.Count(string(b), "\n") != 301 {
		t.Errorf("logprob wrote %d lines, want 301", strings.Count(string(b), "\n"))
	}
	_, stderr, code = hepflow(t, "logprob", "--model", model, "--data", latin1, "--out", lp, "--force")
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("logprob on the Latin-1 file: exit %d: %s", code, stderr)
	}

	// Valid UTF-8 that JSON escapes or normalisation might change.
	exotic := filepath.Join(dir, "exotic.csv")
	os.WriteFile(exotic, []byte("p_T [GeV] \u2028,\"\u00a0\u03b7\u200b\ufffd\"\n"+body), 0o644)
	if _, stderr, code := hepflow(t, trainArgs(exotic)...); code != 0 {
		t.Fatalf("train on exotic UTF-8 names: %s", stderr)
	}
	if _, stderr, code := hepflow(t, "logprob", "--model", model, "--data", exotic, "--out", lp, "--force"); code != 0 {
		t.Errorf("the model of exotic UTF-8 names does not score its own file: %s", stderr)
	}
}
