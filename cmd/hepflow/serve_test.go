package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeSameAsSample: `hepflow serve` answers a sample request with
// exactly the events `hepflow sample` writes for the same n and seed (CSV
// text compared value by value), serves logprob like `hepflow logprob`, and
// stops cleanly (exit 0) when its context ends, as on SIGTERM.
func TestServeSameAsSample(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 400, "a,b", nil)
	mod := filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", data, "--out", mod, "--epochs", "2", "--blocks", "1", "--hidden", "8"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	gen := filepath.Join(dir, "gen.csv")
	if _, stderr, code := hepflow(t, "sample", "--model", mod, "-n", "700", "--seed", "7", "--out", gen); code != 0 {
		t.Fatalf("sample: %s", stderr)
	}
	lp := filepath.Join(dir, "lp.csv")
	if _, stderr, code := hepflow(t, "logprob", "--model", mod, "--data", data, "--seed", "3", "--out", lp); code != 0 {
		t.Fatalf("logprob: %s", stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--model", "bkg=" + mod, "--addr", "127.0.0.1:0"}, &env{stdout: pw, stderr: &stderr})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address printed: %v; stderr %s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`http://(\S+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("serve printed %q", line)
	}
	base := "http://" + m[1]

	ask := func(path, ctype, accept, body string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	want, _ := os.ReadFile(gen)
	if got := ask("/v1/models/bkg/sample", "", "text/csv", `{"n": 700, "seed": 7}`); got != string(want) {
		t.Fatalf("served events differ from hepflow sample's:\n%.200s\nvs\n%.200s", got, want)
	}
	in, _ := os.ReadFile(data)
	wantLP, _ := os.ReadFile(lp)
	if got := ask("/v1/models/bkg/logprob?seed=3", "text/csv", "text/csv", string(in)); got != string(wantLP) {
		t.Fatalf("served log densities differ from hepflow logprob's:\n%.200s\nvs\n%.200s", got, wantLP)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d after shutdown: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of its context ending")
	}
	if !strings.Contains(stderr.String(), "msg=request") || !strings.Contains(stderr.String(), "status=200") {
		t.Fatalf("no access log lines: %s", stderr.String())
	}
}

// TestServeFlags: misuse is a usage error naming the flag.
func TestServeFlags(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ args, want string }{
		{"", "--model is required"},
		{"--model x.safetensors --workers 0", "--workers"},
		{"--model x.safetensors --queue -1", "--queue"},
		{"--model x.safetensors --max-events 0", "--max-events"},
		{"--model x.safetensors --timeout 0s", "--timeout"},
		{"--model x.safetensors --addr nonsense", "--addr"},
	} {
		args := append([]string{"serve"}, strings.Fields(c.args)...)
		_, stderr, code := hepflow(t, args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("serve %s: exit %d, %q; want 2 naming %s", c.args, code, stderr, c.want)
		}
	}
	_, stderr, code := hepflow(t, "serve", "--model", filepath.Join(dir, "none.safetensors"))
	if code != 1 || !strings.Contains(stderr, "none.safetensors") {
		t.Errorf("missing model file: exit %d, %q", code, stderr)
	}
}
