package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputRefused: every kind of bad input gets one clear error naming
// the file (and line and column where they apply), a non-zero exit, and no
// output file.
func TestBadInputRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	for i := 0; i < 2000; i++ {
		zw.Write([]byte("1.5,2.5\n"))
	}
	zw.Close()
	truncated := write("trunc.csv.gz", gz.String()[:gz.Len()/2])
	model := filepath.Join(dir, "m.safetensors")
	good := write("good.csv", "a,b\n"+strings.Repeat("1.5,2.5\n0.5,3.5\n2.5,0.25\n", 20))
	if _, stderr, code := hepflow(t, "train", "--data", good, "--out", model, "--epochs", "1", "--blocks", "1", "--hidden", "8"); code != 0 {
		t.Fatalf("training the fixture model: %s", stderr)
	}
	cases := []struct {
		name string
		args []string
		out  string
		want []string // fragments of the error
	}{
		{"ragged rows", []string{"train", "--data", write("ragged.csv", "a,b\n1,2\n3\n"), "--out", "o1.safetensors"}, "o1.safetensors", []string{"ragged.csv", "line 3"}},
		{"text in numeric column", []string{"train", "--data", write("text.csv", "a,b\n1,2\n3,x\n"), "--out", "o2.safetensors"}, "o2.safetensors", []string{"text.csv", "line 3", "column 2", `"b"`}},
		{"NaN", []string{"train", "--data", write("nan.csv", "a,b\n1,2\nNaN,4\n"), "--out", "o3.safetensors"}, "o3.safetensors", []string{"nan.csv", "line 3", "column 1", "NaN"}},
		{"Inf", []string{"train", "--data", write("inf.csv", "a,b\n1,2\n3,+Inf\n"), "--out", "o4.safetensors"}, "o4.safetensors", []string{"inf.csv", "line 3", "column 2", "Inf"}},
		{"empty file", []string{"train", "--data", write("empty.csv", ""), "--out", "o5.safetensors"}, "o5.safetensors", []string{"empty.csv", "empty"}},
		{"truncated gzip", []string{"train", "--data", truncated, "--out", "o6.safetensors"}, "o6.safetensors", []string{"trunc.csv.gz", "truncated"}},
		{"unknown column", []string{"train", "--data", good, "--drop", "c", "--out", "o7.safetensors"}, "o7.safetensors", []string{"good.csv", `"c"`}},
		{"unknown column in where", []string{"train", "--data", good, "--where", "c > 1", "--out", "o8.safetensors"}, "o8.safetensors", []string{`"c"`}},
		{"-n 0", []string{"sample", "--model", model, "-n", "0", "--out", "s1.csv"}, "s1.csv", []string{"-n 0"}},
		{"-n negative", []string{"sample", "--model", model, "-n", "-5", "--out", "s2.csv"}, "s2.csv", []string{"-n -5"}},
		{"unwritable output", []string{"sample", "--model", model, "-n", "10", "--out", filepath.Join("missing", "s3.csv")}, filepath.Join("missing", "s3.csv"), []string{"missing"}},
		{"output is the input", []string{"logprob", "--model", model, "--data", good, "--out", good}, "", []string{"input"}},
		{"corrupt model", []string{"sample", "--model", write("bad.safetensors", "garbage"), "-n", "10", "--out", "s4.csv"}, "s4.csv", []string{"bad.safetensors"}},
		{"model missing a column", []string{"logprob", "--model", model, "--data", write("other.csv", "a,c\n1,2\n"), "--out", "lp.csv"}, "lp.csv", []string{"other.csv", `"b"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string(nil), c.args...)
			for i, a := range args {
				if i > 0 && args[i-1] == "--out" && !filepath.IsAbs(a) {
					args[i] = filepath.Join(dir, a)
				}
			}
			_, stderr, code := hepflow(t, args...)
			if code == 0 {
				t.Fatalf("accepted: %v", c.args)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			msg := lines[0]
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if c.out != "" {
				if _, err := os.Stat(filepath.Join(dir, c.out)); err == nil {
					t.Errorf("output %s was left behind", c.out)
				}
			}
			// No temporary files either.
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}

// TestExistingOutputNeedsForce: an existing output is not overwritten by
// surprise.
func TestExistingOutputNeedsForce(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	os.WriteFile(data, []byte("a,b\n"+strings.Repeat("1.5,2.5\n0.5,3.5\n2.5,0.25\n", 20)), 0o644)
	out := filepath.Join(dir, "m.safetensors")
	os.WriteFile(out, []byte("precious"), 0o644)
	_, stderr, code := hepflow(t, "train", "--data", data, "--out", out, "--epochs", "1", "--blocks", "1", "--hidden", "8")
	if code == 0 || !strings.Contains(stderr, "--force") {
		t.Fatalf("existing output overwritten or unclear error: exit %d, %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "precious" {
		t.Fatal("existing output changed")
	}
	if _, stderr, code := hepflow(t, "train", "--data", data, "--out", out, "--epochs", "1", "--blocks", "1", "--hidden", "8", "--force"); code != 0 {
		t.Fatalf("--force refused: %s", stderr)
	}
}
