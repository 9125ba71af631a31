package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestBenchProfile: one measurement (the child side of hepflow bench) with
// --cpuprofile reports events per second and leaves a non-empty profile.
func TestBenchProfile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lp.pprof")
	out, stderr, code := hepflow(t, "bench", "--child", "--mode", "logprob", "--impl", "go", "--seconds", "0.2", "--cpuprofile", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		EventsPerSec float64 `json:"events_per_second"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if r.EventsPerSec <= 0 {
		t.Fatalf("events/s = %v", r.EventsPerSec)
	}
	if st, err := os.Stat(p); err != nil || st.Size() == 0 {
		t.Fatalf("profile %s: %v", p, err)
	}
}
