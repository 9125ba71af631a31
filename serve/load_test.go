package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hepflow/flow"
	"hepflow/model"
	"hepflow/nn/blas"
	"hepflow/preprocess"
)

// loadModel is a model of the standard size (MAF, 5 blocks of [128, 128],
// 18 features like the seed talk's HIGGS selection); untrained, which
// costs the same to evaluate.
func loadModel(t *testing.T) (*model.Model, [][]float64) {
	t.Helper()
	const d, rows = 18, 2000
	rng := rand.New(rand.NewPCG(9, 9))
	x := make([]float64, rows*d)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	cols := make([]string, d)
	for j := range cols {
		cols[j] = "x" + strconv.Itoa(j)
	}
	s, err := preprocess.Fit(x, rows, cols, preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	spec := flow.Spec{Kind: "maf", Dim: d, Blocks: 5, Hidden: []int{128, 128}, Activation: "tanh", Seed: 1}
	f, err := flow.Build(spec, blas.Default(1, nil))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Info{Columns: cols, Spec: spec}, s, f)
	if err != nil {
		t.Fatal(err)
	}
	events := make([][]float64, 500)
	for r := range events {
		events[r] = x[r*d : (r+1)*d]
	}
	return m, events
}

// peakRSS is the process's peak resident set in MiB (Linux; 0 elsewhere).
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// TestLoad: 200 concurrent clients on loopback mixing sample (2,000
// events, .npy) and logprob (500 events, JSON) for $HEPFLOW_LOAD_SECONDS
// (default 3; BENCHMARKS.md has a 30 s run): no errors other than the
// deliberate 503s of a full queue, a bounded peak RSS, and the figures.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	secs := 3.0
	if v := os.Getenv("HEPFLOW_LOAD_SECONDS"); v != "" {
		secs, _ = strconv.ParseFloat(v, 64)
	}
	m, events := loadModel(t)
	s, err := New(Config{Queue: 64}, map[string]*model.Model{"bkg": m})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	lpBody, _ := json.Marshal(map[string]any{"events": events})
	rssBefore := peakRSS()
	const clients = 200
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}, Timeout: time.Minute}
	type result struct {
		lat    []time.Duration
		events int64
		busy   int
		errs   []string
	}
	results := make([]result, clients)
	deadline := time.Now().Add(time.Duration(secs * float64(time.Second)))
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := &results[c]
			for i := 0; time.Now().Before(deadline); i++ {
				var req *http.Request
				var n int64
				if (c+i)%2 == 0 {
					req, _ = http.NewRequest("POST", ts.URL+"/v1/models/bkg/sample", strings.NewReader(fmt.Sprintf(`{"n":2000,"seed":%d}`, c*1000+i)))
					req.Header.Set("Accept", typeNPY)
					n = 2000
				} else {
					req, _ = http.NewRequest("POST", ts.URL+"/v1/models/bkg/logprob", bytes.NewReader(lpBody))
					n = int64(len(events))
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					res.errs = append(res.errs, err.Error())
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case err != nil:
					res.errs = append(res.errs, err.Error())
				case resp.StatusCode == http.StatusServiceUnavailable:
					res.busy++
					time.Sleep(10 * time.Millisecond) // as Retry-After asks, shortened
				case resp.StatusCode != http.StatusOK:
					res.errs = append(res.errs, resp.Status)
				default:
					res.lat = append(res.lat, time.Since(t0))
					res.events += n
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	var lat []time.Duration
	var evs int64
	busy := 0
	for _, r := range results {
		lat = append(lat, r.lat...)
		evs += r.events
		busy += r.busy
		for _, e := range r.errs {
			t.Errorf("client error: %s", e)
		}
	}
	if len(lat) == 0 {
		t.Fatal("no request succeeded")
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	rss := peakRSS()
	t.Logf("%d clients, %.1f s, %d workers, queue 64 (GOMAXPROCS %d): %d requests served, %d refused with 503; latency p50 %v p99 %v; %.0f events/s; peak RSS %.0f MiB (%.0f before)",
		clients, elapsed, s.cfg.Workers, runtime.GOMAXPROCS(0), len(lat), busy, q(0.5).Round(time.Millisecond), q(0.99).Round(time.Millisecond), float64(evs)/elapsed, rss, rssBefore)
	// Admitted requests are bounded by workers + queue, each a few MB at
	// most: a peak far above that means something is kept per request.
	if rss > 0 && rss-rssBefore > 1024 {
		t.Errorf("peak RSS grew by %.0f MiB under load", rss-rssBefore)
	}
}
