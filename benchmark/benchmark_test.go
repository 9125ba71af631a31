package benchmark

import (
	"context"
	"testing"

	"hepflow/nn/blas"
)

func TestParseTorch(t *testing.T) {
	r, err := parseTorch([]byte("impl=torch-2.1 mode=train dim=28 hidden=128 blocks=5 batch=512 threads=2 events=38400 seconds=10.18 maxrss_mb=272 ev/s=3772\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.EventsPerSec != 3772 || r.MaxRSSMB != 272 || r.Mode != "train" || r.Events != 38400 {
		t.Fatalf("parsed %+v", r)
	}
	if _, err := parseTorch([]byte("Traceback...\n")); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestRunCountsEvents(t *testing.T) {
	for _, mode := range []string{"train", "logprob", "sample"} {
		c := Config{Mode: mode, Flow: "maf", Dim: 4, Hidden: 8, Blocks: 2, Batch: 64, Seconds: 0.05}
		r, err := Run(context.Background(), c, blas.NewGo(1), 2)
		if err != nil {
			t.Fatal(err)
		}
		if r.Events <= 0 || r.Events%64 != 0 || r.EventsPerSec <= 0 {
			t.Fatalf("%s: %+v", mode, r)
		}
	}
	if _, err := Run(context.Background(), Config{Mode: "fly", Flow: "maf", Dim: 4, Hidden: 8, Blocks: 1, Seconds: 0.01}, blas.NewGo(1), 2); err == nil {
		t.Fatal("unknown mode accepted")
	}
}
