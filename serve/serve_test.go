package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/model"
	"hepflow/nn/blas"
	"hepflow/preprocess"
	"hepflow/workflow/generate"
)

// testModels returns an unconditional model of (pt, eta, tag) with a
// discrete column, and a model conditional on "label", with events of each.
func testModels(t *testing.T) (plain, cond *model.Model, x []float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	const rows = 400
	x = make([]float64, rows*3)
	for r := range rows {
		a := rng.ExpFloat64()
		x[3*r], x[3*r+1], x[3*r+2] = a, a+rng.NormFloat64(), float64(rng.IntN(3))
	}
	cols := []string{"pt", "eta", "tag"}
	s, err := preprocess.Fit(x, rows, cols, preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	build := func(spec flow.Spec, info model.Info) *model.Model {
		f, err := flow.Build(spec, blas.NewGo(1))
		if err != nil {
			t.Fatal(err)
		}
		info.Spec = spec
		m, err := model.New(info, s, f)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	plain = build(flow.Spec{Kind: "maf", Dim: 3, Blocks: 2, Hidden: []int{8}, Activation: "tanh", Seed: 3}, model.Info{Columns: cols})
	cond = build(flow.Spec{Kind: "nsf", Dim: 3, Blocks: 2, Hidden: []int{8}, Activation: "tanh", Seed: 4, Context: 1, Bins: 4, TailBound: 5},
		model.Info{Columns: cols, Context: []model.ContextColumn{{Name: "label", Mean: 0.5, Std: 0.5}}})
	return plain, cond, x
}

func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	plain, cond, _ := testModels(t)
	s, err := New(cfg, map[string]*model.Model{"bkg": plain, "cond": cond})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts
}

func post(t *testing.T, url, ctype, accept string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// direct is what generate.Generate (the command line's sample) gives.
func direct(t *testing.T, m *model.Model, run generate.Run) []float64 {
	t.Helper()
	var out []float64
	if err := generate.Generate(context.Background(), m, run, func(rows []float64) error {
		out = append(out, rows...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSampleSameAsCommandLine: the service's events are exactly those of
// the command line's generator for the same n and seed, in every format,
// with a fixed or per-event context, and for a shard.
func TestSampleSameAsCommandLine(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	n := int64(generate.Block + 500) // two blocks
	want := direct(t, s.models["bkg"], generate.Run{N: n, Seed: 7})
	url := ts.URL + "/v1/models/bkg/sample"
	body := []byte(`{"n": ` + strconv.FormatInt(n, 10) + `, "seed": 7}`)

	resp, b := post(t, url, "application/json", "", body)
	var js struct {
		Columns []string    `json:"columns"`
		Rows    int64       `json:"rows"`
		Events  [][]float64 `json:"events"`
	}
	if err := json.Unmarshal(b, &js); err != nil || resp.StatusCode != 200 {
		t.Fatalf("JSON answer: %d %v %.200s", resp.StatusCode, err, b)
	}
	if !slices.Equal(slices.Concat(js.Events...), want) || js.Rows != n || !slices.Equal(js.Columns, []string{"pt", "eta", "tag"}) {
		t.Fatal("JSON events differ from the command line's")
	}

	_, b = post(t, url, "application/json", "text/csv", body)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var csvVals []float64
	for _, l := range lines[1:] {
		for _, f := range strings.Split(l, ",") {
			v, _ := strconv.ParseFloat(f, 64)
			csvVals = append(csvVals, v)
		}
	}
	if lines[0] != "pt,eta,tag" || !slices.Equal(csvVals, want) {
		t.Fatal("CSV events differ")
	}

	_, b = post(t, url, "application/json", "application/x-npy", body)
	if got := npyValues(t, b, n, 3); !slices.Equal(got, want) {
		t.Fatal(".npy events differ")
	}

	resp, b = post(t, url, "application/json", "application/vnd.apache.parquet", body)
	p := filepath.Join(t.TempDir(), "e.parquet")
	os.WriteFile(p, b, 0o644)
	tab, err := data.Read(context.Background(), p, data.ReadOptions{})
	if err != nil || !slices.Equal(tab.Data, want) {
		t.Fatalf("Parquet events differ: %v (status %d)", err, resp.StatusCode)
	}

	// A shard: the events [lo, hi) of the same run.
	lo, hi := generate.Shard(n, 2, 3)
	_, b = post(t, url, "application/json", "application/x-npy", []byte(`{"n": `+strconv.FormatInt(n, 10)+`, "seed": 7, "shard": "2/3"}`))
	if got := npyValues(t, b, hi-lo, 3); !slices.Equal(got, want[lo*3:hi*3]) {
		t.Fatal("shard 2/3 differs from that part of the run")
	}

	// Context: fixed, and one value per event.
	cond := s.models["cond"]
	wantC := direct(t, cond, generate.Run{N: 50, Seed: 2, Context: []float64{1}})
	_, b = post(t, ts.URL+"/v1/models/cond/sample", "", "application/x-npy", []byte(`{"n": 50, "seed": 2, "context": {"label": 1}}`))
	if got := npyValues(t, b, 50, 4); !slices.Equal(got, wantC) {
		t.Fatal("conditional events differ")
	}
	per := make([]float64, 50)
	for i := range per {
		per[i] = float64(i % 2)
	}
	wantP := direct(t, cond, generate.Run{N: 50, Seed: 2, PerEvent: per})
	perJSON, _ := json.Marshal(per)
	_, b = post(t, ts.URL+"/v1/models/cond/sample", "", "application/x-npy", []byte(`{"n": 50, "seed": 2, "context": {"label": `+string(perJSON)+`}}`))
	if got := npyValues(t, b, 50, 4); !slices.Equal(got, wantP) {
		t.Fatal("per-event context events differ")
	}
}

func npyValues(t *testing.T, b []byte, rows int64, cols int) []float64 {
	t.Helper()
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		t.Fatalf("not a .npy answer: %.100q", b)
	}
	hl := int(binary.LittleEndian.Uint16(b[8:10]))
	if (10+hl)%64 != 0 || !strings.Contains(string(b[10:10+hl]), "'shape': ("+strconv.FormatInt(rows, 10)+", "+strconv.Itoa(cols)+")") {
		t.Fatalf(".npy header %q", b[10:10+hl])
	}
	raw := b[10+hl:]
	if int64(len(raw)) != rows*int64(cols)*8 {
		t.Fatalf(".npy has %d data bytes, want %d", len(raw), rows*int64(cols)*8)
	}
	out := make([]float64, len(raw)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return out
}

// TestLogProbSameAsCommandLine: densities equal the model's with the
// command line's noise stream, from JSON, CSV and .npy bodies, with the
// context read from the events or fixed.
func TestLogProbSameAsCommandLine(t *testing.T) {
	s, ts := newTestServer(t, Config{})
	_, _, x := testModels(t)
	rows := len(x) / 3
	m := s.models["bkg"]
	want := make([]float64, rows)
	if _, err := m.LogProb(want, x, nil, rows, model.NoiseRand(5, 0)); err != nil {
		t.Fatal(err)
	}
	events := make([][]float64, rows)
	for r := range events {
		// Columns in another order plus one the model ignores.
		events[r] = []float64{x[3*r+2], 99, x[3*r], x[3*r+1]}
	}
	body, _ := json.Marshal(map[string]any{"columns": []string{"tag", "junk", "pt", "eta"}, "events": events, "seed": 5})
	resp, b := post(t, ts.URL+"/v1/models/bkg/logprob", "application/json", "", body)
	var js struct {
		Events  int       `json:"events"`
		Scored  int       `json:"scored"`
		LogProb []float64 `json:"logprob"`
	}
	if err := json.Unmarshal(b, &js); err != nil || resp.StatusCode != 200 || !slices.Equal(js.LogProb, want) || js.Scored != rows {
		t.Fatalf("JSON logprob: %d %v %.300s", resp.StatusCode, err, b)
	}

	var csv strings.Builder
	csv.WriteString("eta,pt,tag\n")
	for r := range rows {
		csv.WriteString(strconv.FormatFloat(x[3*r+1], 'g', -1, 64) + "," + strconv.FormatFloat(x[3*r], 'g', -1, 64) + "," + strconv.FormatFloat(x[3*r+2], 'g', -1, 64) + "\n")
	}
	_, b = post(t, ts.URL+"/v1/models/bkg/logprob?seed=5", "text/csv", "application/x-npy", []byte(csv.String()))
	if got := npyValues(t, b, int64(rows), 1); !slices.Equal(got, want) {
		t.Fatal("CSV body: densities differ")
	}

	var npy bytes.Buffer
	writeNPYHeader(&npy, int64(rows), 3)
	for _, v := range x {
		npy.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)))
	}
	_, b = post(t, ts.URL+"/v1/models/bkg/logprob?seed=5", "application/x-npy", "text/csv", npy.Bytes())
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "logprob" || len(lines) != rows+1 {
		t.Fatalf(".npy body, CSV answer: %.200s", b)
	}
	for r, l := range lines[1:] {
		if v, _ := strconv.ParseFloat(l, 64); v != want[r] {
			t.Fatalf(".npy body: event %d: %v, want %v", r, v, want[r])
		}
	}

	// Conditional: context from the events, and fixed.
	cond := s.models["cond"]
	xc := make([]float64, 0, rows*4)
	cc := make([]float64, rows)
	for r := range rows {
		cc[r] = float64(r % 2)
		xc = append(xc, x[3*r], x[3*r+1], x[3*r+2], cc[r])
	}
	wantC := make([]float64, rows)
	if _, err := cond.LogProb(wantC, x, cc, rows, model.NoiseRand(1, 0)); err != nil {
		t.Fatal(err)
	}
	evC := make([][]float64, rows)
	for r := range evC {
		evC[r] = xc[4*r : 4*r+4]
	}
	body, _ = json.Marshal(map[string]any{"events": evC})
	_, b = post(t, ts.URL+"/v1/models/cond/logprob", "", "", body)
	js.LogProb = nil
	if err := json.Unmarshal(b, &js); err != nil || !slices.Equal(js.LogProb, wantC) {
		t.Fatalf("conditional logprob differs: %v %.200s", err, b)
	}
	ones := make([]float64, rows)
	for i := range ones {
		ones[i] = 1
	}
	wantF := make([]float64, rows)
	if _, err := cond.LogProb(wantF, x, ones, rows, model.NoiseRand(1, 0)); err != nil {
		t.Fatal(err)
	}
	ev3 := make([][]float64, rows)
	for r := range ev3 {
		ev3[r] = x[3*r : 3*r+3]
	}
	body, _ = json.Marshal(map[string]any{"events": ev3, "context": map[string]float64{"label": 1}})
	_, b = post(t, ts.URL+"/v1/models/cond/logprob", "", "", body)
	js.LogProb = nil
	if err := json.Unmarshal(b, &js); err != nil || !slices.Equal(js.LogProb, wantF) {
		t.Fatalf("fixed-context logprob differs: %v %.200s", err, b)
	}
}

// TestBadRequests: every misuse gets its status and a JSON error that says
// what to do; nothing is computed.
func TestBadRequests(t *testing.T) {
	_, ts := newTestServer(t, Config{MaxEvents: 1000, MaxRequestBytes: 4096})
	for _, c := range []struct {
		name, path, ctype, accept, body string
		code                            int
		msg                             string
	}{
		{"unknown model", "/v1/models/nope/sample", "", "", `{"n":1}`, 404, `no model "nope" (models: bkg, cond)`},
		{"bad JSON", "/v1/models/bkg/sample", "", "", `{"n":`, 400, "request body"},
		{"unknown field", "/v1/models/bkg/sample", "", "", `{"n":1,"sed":3}`, 400, `unknown field "sed"`},
		{"n zero", "/v1/models/bkg/sample", "", "", `{"n":0}`, 400, "want 1 to 1000"},
		{"n over limit", "/v1/models/bkg/sample", "", "", `{"n":1001}`, 400, "want 1 to 1000"},
		{"no context", "/v1/models/cond/sample", "", "", `{"n":3}`, 400, "conditional on label"},
		{"context of plain", "/v1/models/bkg/sample", "", "", `{"n":3,"context":{"label":1}}`, 400, "not conditional"},
		{"context length", "/v1/models/cond/sample", "", "", `{"n":3,"context":{"label":[1,0]}}`, 400, "2 values for n = 3"},
		{"bad shard", "/v1/models/bkg/sample", "", "", `{"n":3,"shard":"4/3"}`, 400, "K/N"},
		{"not acceptable", "/v1/models/bkg/sample", "", "image/png", `{"n":3}`, 406, "the service answers"},
		{"media type", "/v1/models/bkg/sample", "text/plain", "", `{"n":3}`, 415, "application/json"},
		{"too large", "/v1/models/bkg/logprob", "text/csv", "", "pt,eta,tag\n" + strings.Repeat("1,2,0\n", 1000), 413, "over the limit of 4096 bytes"},
		{"missing column", "/v1/models/bkg/logprob", "", "", `{"columns":["pt","eta"],"events":[[1,2]]}`, 400, `column "tag" is missing`},
		{"ragged", "/v1/models/bkg/logprob", "", "", `{"events":[[1,2,0],[1,2]]}`, 400, "event 2 has 2 values"},
		{"bad CSV", "/v1/models/bkg/logprob", "text/csv", "", "pt,eta,tag\n1,x,0\n", 400, "request body"},
		{"no events", "/v1/models/bkg/logprob", "", "", `{"events":[]}`, 400, "no events"},
	} {
		resp, b := post(t, ts.URL+c.path, c.ctype, c.accept, []byte(c.body))
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(b, &e)
		if resp.StatusCode != c.code || !strings.Contains(e.Error, c.msg) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, resp.StatusCode, b, c.code, c.msg)
		}
	}
}

// TestBusyIs503: with every worker and queue place taken, a request is
// refused at once with 503 and Retry-After; metrics count it.
func TestBusyIs503(t *testing.T) {
	s, ts := newTestServer(t, Config{Workers: 1, Queue: 1})
	rel1, err := s.lim.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The second admitted request waits in the queue.
	waited := make(chan int)
	go func() {
		resp, _ := post(t, ts.URL+"/v1/models/bkg/sample", "", "", []byte(`{"n":10}`))
		waited <- resp.StatusCode
	}()
	waitQueued(t, s, 1)
	resp, b := post(t, ts.URL+"/v1/models/bkg/sample", "", "", []byte(`{"n":10}`))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(b), "retry later") {
		t.Fatalf("full queue: %d %q Retry-After %q", resp.StatusCode, b, resp.Header.Get("Retry-After"))
	}
	rel1()
	if code := <-waited; code != 200 {
		t.Fatalf("the queued request got %d", code)
	}
	r, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{`hepflow_requests_total{route="sample",code="503"} 1`, `hepflow_requests_total{route="sample",code="200"} 1`,
		`hepflow_events_total{route="sample"} 10`, `hepflow_request_duration_seconds_count{route="sample"} 2`, "hepflow_in_flight 0"} {
		if !strings.Contains(string(mb), want) {
			t.Errorf("metrics lack %q:\n%s", want, mb)
		}
	}
}

// waitQueued waits until n requests wait for a worker.
func waitQueued(t *testing.T, s *Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.lim.queued() != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued after 10 s, want %d", s.lim.queued(), n)
		}
	}
}

// TestModelsAndHealth: the metadata endpoints.
func TestModelsAndHealth(t *testing.T) {
	_, ts := newTestServer(t, Config{})
	r, err := http.Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Models []modelInfo `json:"models"`
	}
	json.NewDecoder(r.Body).Decode(&list)
	r.Body.Close()
	if len(list.Models) != 2 || list.Models[0].Name != "bkg" || !slices.Equal(list.Models[1].Context, []string{"label"}) {
		t.Fatalf("models: %+v", list)
	}
	r, _ = http.Get(ts.URL + "/healthz")
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || string(b) != "ok\n" {
		t.Fatalf("healthz: %d %q", r.StatusCode, b)
	}
	if r, _ = http.Get(ts.URL + "/v1/models/cond"); r.StatusCode != 200 {
		t.Fatalf("one model: %d", r.StatusCode)
	}
}

// TestGracefulShutdown: cancelling Serve's context lets a request in
// progress finish, then Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	plain, _, _ := testModels(t)
	s, err := New(Config{Workers: 1}, map[string]*model.Model{"bkg": plain})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, l, 10*time.Second) }()
	// Hold a worker so the request is in progress when the shutdown starts.
	rel, _ := s.lim.acquire(context.Background())
	got := make(chan int, 1)
	go func() {
		resp, _ := post(t, "http://"+l.Addr().String()+"/v1/models/bkg/sample", "", "", []byte(`{"n":100}`))
		got <- resp.StatusCode
	}()
	waitQueued(t, s, 1)
	cancel()
	time.Sleep(50 * time.Millisecond)
	rel()
	if code := <-got; code != 200 {
		t.Fatalf("request in progress at shutdown: %d", code)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
