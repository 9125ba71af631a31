package model

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hepflow/flow"
	"hepflow/nn"
	"hepflow/nn/blas"
	"hepflow/preprocess"
)

// ensembleData returns 3 columns (the last discrete, so the members must
// share the dequantization noise) and their scaler.
func ensembleData(t *testing.T) (*preprocess.Scaler, []float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 5))
	const rows = 600
	x := make([]float64, rows*3)
	for r := 0; r < rows; r++ {
		a := rng.ExpFloat64()
		x[3*r], x[3*r+1], x[3*r+2] = a, a+rng.NormFloat64(), float64(rng.IntN(3))*1.5
	}
	s, err := preprocess.Fit(x, rows, []string{"pt", "eta", "tag"}, preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, x
}

var ensembleCols = []string{"pt", "eta", "tag"}

// memberFlows builds k flows of spec with seeds spec.Seed+j, their weights
// perturbed off the initial values so that the members differ clearly.
func memberFlows(t *testing.T, spec flow.Spec, k int) ([]flow.Spec, []*flow.Flow) {
	t.Helper()
	var specs []flow.Spec
	var fs []*flow.Flow
	for j := range k {
		sp := spec
		sp.Seed += uint64(j)
		f, err := flow.Build(sp, blas.NewGo(1))
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(sp.Seed, 77))
		for _, p := range f.Params() {
			for i := range p.Value {
				p.Value[i] += float32(0.4 * rng.NormFloat64())
			}
			p.ApplyMask()
		}
		specs, fs = append(specs, sp), append(fs, f)
	}
	return specs, fs
}

var ensembleSpec = flow.Spec{Kind: "maf", Dim: 3, Blocks: 2, Hidden: []int{8}, Activation: "tanh", Permutation: "random", Seed: 21}

func ensembleModel(t *testing.T, k int) (*Model, []float64) {
	t.Helper()
	s, x := ensembleData(t)
	specs, fs := memberFlows(t, ensembleSpec, k)
	m, err := NewEnsemble(Info{Columns: ensembleCols}, s, specs, fs)
	if err != nil {
		t.Fatal(err)
	}
	return m, x
}

// TestEnsembleLogProbIsLogMeanExp: the ensemble's log density is
// log((1/K) sum_k p_k(x)) of the members' own densities, each computed by
// the member as a single model (scaling Jacobian and dequantization noise
// included), before and after a save/load round trip.
func TestEnsembleLogProbIsLogMeanExp(t *testing.T) {
	const k = 3
	m, x := ensembleModel(t, k)
	rows := len(x) / 3
	path := filepath.Join(t.TempDir(), "ens.safetensors")
	if err := Save(path, m); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Ensemble() != k {
		t.Fatalf("loaded an ensemble of %d, want %d", loaded.Ensemble(), k)
	}
	member := make([][]float64, k)
	for j, f := range loaded.Flows() {
		spec := loaded.Info.Spec
		if j > 0 {
			spec = loaded.Info.Members[j-1]
		}
		single, err := New(Info{Columns: ensembleCols, Spec: spec}, loaded.Scaler, f)
		if err != nil {
			t.Fatal(err)
		}
		member[j] = logProbs(t, single, x)
	}
	for name, mm := range map[string]*Model{"built": m, "loaded": loaded} {
		got := logProbs(t, mm, x)
		far := 0
		for r := range rows {
			var s float64
			for j := range k {
				s += math.Exp(member[j][r])
			}
			want := math.Log(s / k)
			if math.Abs(got[r]-want) > 1e-12*max(1, math.Abs(want)) {
				t.Fatalf("%s, row %d: log p %.15g, log-mean-exp of the members %.15g (members %v)", name, r, got[r], want, []float64{member[0][r], member[1][r], member[2][r]})
			}
			if math.Abs(want-member[0][r]) > 0.05 {
				far++
			}
		}
		if far < rows/2 {
			t.Fatalf("%s: only %d of %d events differ between the ensemble and member 0: the test cannot tell them apart", name, far, rows)
		}
	}
}

// TestEnsembleSaveLoadRoundTrip: a saved ensemble loads with the same
// densities and samples, bit for bit, also when only Flow's workers are set
// (as the command's loader does); its file names member k's tensors
// member<k>/... and records the member specs with their structure.
func TestEnsembleSaveLoadRoundTrip(t *testing.T) {
	m, x := ensembleModel(t, 3)
	path := filepath.Join(t.TempDir(), "ens.safetensors")
	if err := Save(path, m); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	ts, _, err := nn.ReadSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	nper := len(m.Flow.Params())
	if len(ts) != 3*nper {
		t.Fatalf("%d tensors, want 3 x %d", len(ts), nper)
	}
	for _, p := range m.Flow.Params() {
		for _, name := range []string{p.Name, "member1/" + p.Name, "member2/" + p.Name} {
			if _, ok := ts[name]; !ok {
				t.Fatalf("tensor %q missing from the file", name)
			}
		}
	}
	info := storedInfo(t, path)
	if info.Ensemble != 3 || len(info.Members) != 2 || info.Spec.Seed != 21 || info.Members[0].Seed != 22 || info.Members[1].Seed != 23 {
		t.Fatalf("stored ensemble %d, member specs %+v (flow seed %d)", info.Ensemble, info.Members, info.Spec.Seed)
	}
	for j, sp := range info.Members {
		want, _ := m.Members[j+1].Structure()
		if !sameStructure(sp.Structure, want) {
			t.Fatalf("member %d: stored structure %+v, want %+v", j+1, sp.Structure, want)
		}
	}
	m2, err := Load(path, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	lp1, lp2 := logProbs(t, m, x), logProbs(t, m2, x)
	for i := range lp1 {
		if lp1[i] != lp2[i] {
			t.Fatalf("row %d: log p %g before save, %g after", i, lp1[i], lp2[i])
		}
	}
	s1, s2 := make([]float64, 3*5000), make([]float64, 3*5000)
	if err := m.Sample(s1, nil, 5000, rand.New(rand.NewPCG(3, 3))); err != nil {
		t.Fatal(err)
	}
	if err := m2.Flow.SetWorkers(3); err != nil {
		t.Fatal(err)
	}
	if err := m2.Sample(s2, nil, 5000, rand.New(rand.NewPCG(3, 3))); err != nil {
		t.Fatal(err)
	}
	for _, f := range m2.Flows() {
		if f.Workers() != 3 {
			t.Fatalf("a member has %d workers after sampling, want Flow's 3", f.Workers())
		}
	}
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("value %d: sampled %g before save, %g after (3 workers)", i, s1[i], s2[i])
		}
	}
	for i, v := range logProbs(t, m2, x) {
		if v != lp1[i] {
			t.Fatalf("3 workers, row %d: log p %g, want %g", i, v, lp1[i])
		}
	}
}

// TestEnsembleSampleUsesEveryMember: members whose samples lie in disjoint
// regions (ActNorm shifts -10, 0, +10 in the scaled space, the rest the
// identity) show which member drew each event: every member draws about a
// third, and a fixed generator gives the same events.
func TestEnsembleSampleUsesEveryMember(t *testing.T) {
	cols := []string{"pt", "eta"}
	s2, err := preprocess.Fit([]float64{0, 0, 1, 1, 2, 0.5, 3, 2}, 4, cols, preprocess.Options{})
	if err != nil {
		t.Fatal(err)
	}
	spec := flow.Spec{Kind: "maf", Dim: 2, Blocks: 1, Hidden: []int{8}, Activation: "tanh", ActNorm: true, Seed: 5}
	specs, fs := memberFlows(t, spec, 3)
	for j, f := range fs {
		for _, p := range f.Params() {
			clear(p.Value) // identity everywhere ...
			if strings.HasSuffix(p.Name, ".shift") {
				for i := range p.Value {
					p.Value[i] = float32(10 * (j - 1)) // ... but a shift per member
				}
			}
		}
	}
	m, err := NewEnsemble(Info{Columns: cols}, s2, specs, fs)
	if err != nil {
		t.Fatal(err)
	}
	// Column 0's physical values of scaled -5 and +5 separate the members.
	var edges [4]float64
	s2.ToData(edges[:], []float32{-5, 0, 5, 0}, 2)
	const n = 6000
	x := make([]float64, 2*n)
	if err := m.Sample(x, nil, n, rand.New(rand.NewPCG(8, 8))); err != nil {
		t.Fatal(err)
	}
	var count [3]int
	for r := range n {
		switch v := x[2*r]; {
		case v < edges[0]:
			count[0]++
		case v < edges[2]:
			count[1]++
		default:
			count[2]++
		}
	}
	// n/3 = 2000 each, binomial sd 36.5: 5 sd.
	for j, c := range count {
		if math.Abs(float64(c)-n/3) > 5*math.Sqrt(n*(1.0/3)*(2.0/3)) {
			t.Fatalf("member %d drew %d of %d events (counts %v), want about %d", j, c, n, count, n/3)
		}
	}
	again := make([]float64, 2*n)
	if err := m.Sample(again, nil, n, rand.New(rand.NewPCG(8, 8))); err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(x, again) {
		t.Fatal("the same generator gave other events")
	}
	if err := m.Sample(again, nil, n, rand.New(rand.NewPCG(8, 9))); err != nil {
		t.Fatal(err)
	}
	if slicesEqual(x, again) {
		t.Fatal("another generator gave the same events")
	}
}

func slicesEqual(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestEnsembleOfOneIsPlainModel: an ensemble of one flow is the plain model,
// and its file is byte for byte the one New + Save writes, with no trace of
// an ensemble.
func TestEnsembleOfOneIsPlainModel(t *testing.T) {
	s, x := ensembleData(t)
	specs, fs := memberFlows(t, ensembleSpec, 1)
	one, err := NewEnsemble(Info{Columns: ensembleCols}, s, specs, fs)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := New(Info{Columns: ensembleCols, Spec: specs[0]}, s, fs[0])
	if err != nil {
		t.Fatal(err)
	}
	if one.Members != nil || one.Ensemble() != 1 {
		t.Fatalf("an ensemble of one has members %v", one.Members)
	}
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "one.safetensors"), filepath.Join(dir, "plain.safetensors")
	if err := Save(p1, one); err != nil {
		t.Fatal(err)
	}
	if err := Save(p2, plain); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(p1)
	b2, _ := os.ReadFile(p2)
	if !bytes.Equal(b1, b2) {
		t.Fatal("an ensemble of one writes another file than the plain model")
	}
	for _, w := range []string{"member", "ensemble"} {
		if bytes.Contains(b1, []byte(w)) {
			t.Fatalf("the file of a single flow mentions %q", w)
		}
	}
	lp1, lp2 := logProbs(t, one, x), logProbs(t, plain, x)
	if !slicesEqual(lp1, lp2) {
		t.Fatal("an ensemble of one has another density than its flow")
	}
}

// TestEnsembleFilesRefused: a file whose ensemble fields and tensors
// disagree, or that has a field this hepflow does not know, is refused
// rather than read as a single flow (or as fewer members).
func TestEnsembleFilesRefused(t *testing.T) {
	m, _ := ensembleModel(t, 3)
	params := func(k int) []*nn.Param {
		var out []*nn.Param
		for j, f := range m.Flows()[:k] {
			for _, p := range f.Params() {
				q := *p
				q.Name = MemberTensorPrefix(j) + p.Name
				out = append(out, &q)
			}
		}
		return out
	}
	good := filepath.Join(t.TempDir(), "ens.safetensors")
	if err := Save(good, m); err != nil {
		t.Fatal(err)
	}
	info := storedInfo(t, good)
	encode := func(meta any, ps []*nn.Param) []byte {
		b, err := json.Marshal(meta)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := nn.WriteSafetensors(&buf, ps, map[string]string{MetadataKey: string(b)}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	with := func(f func(*Info)) Info { i := info; f(&i); return i }
	var extra map[string]any
	raw, _ := json.Marshal(info)
	json.Unmarshal(raw, &extra)
	extra["mixture_weights"] = []float64{0.5, 0.25, 0.25}
	malformed := params(3)
	malformed[len(malformed)-1].Name = "member02/" + m.Flow.Params()[0].Name
	if _, err := Decode(encode(info, params(3)), blas.NewGo(1)); err != nil {
		t.Fatalf("the control file is refused: %v", err)
	}
	for name, c := range map[string]struct {
		b    []byte
		want string
	}{
		"no ensemble field": {encode(with(func(i *Info) { i.Ensemble, i.Members = 0, nil }), params(3)), "not an ensemble"},
		"fewer members":     {encode(with(func(i *Info) { i.Ensemble, i.Members = 2, i.Members[:1] }), params(3)), "the file has 2 members"},
		"missing member":    {encode(info, params(2)), "ensemble member 2"},
		"member specs":      {encode(with(func(i *Info) { i.Members = i.Members[:1] }), params(3)), "member specs"},
		"ensemble of one":   {encode(with(func(i *Info) { i.Ensemble = 1 }), params(3)), "member specs"},
		"specs only":        {encode(with(func(i *Info) { i.Ensemble = 0 }), params(1)), "without"},
		"unknown field":     {encode(extra, params(3)), `"mixture_weights"`},
		"malformed prefix":  {encode(info, malformed), "malformed"},
	} {
		_, err := Decode(c.b, blas.NewGo(1))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", name, err, c.want)
		}
	}
}

// TestEnsembleConditional: an ensemble of copies of one conditional flow
// has that flow's density (context rows aligned), and samples a context
// per event.
func TestEnsembleConditional(t *testing.T) {
	s, x := ensembleData(t)
	rows := len(x) / 3
	spec := ensembleSpec
	spec.Context = 1
	specs, fs := memberFlows(t, spec, 1)
	for j := 1; j < 3; j++ {
		// Member 0's weights and structure (the seed alone would draw
		// another random permutation).
		sp := spec
		sp.Seed += uint64(j)
		sp.Structure, _ = fs[0].Structure()
		f, err := flow.Build(sp, blas.NewGo(1))
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range f.Params() {
			copy(p.Value, fs[0].Params()[i].Value)
		}
		specs, fs = append(specs, sp), append(fs, f)
	}
	ctx := []ContextColumn{{Name: "m", Mean: 0, Std: 1}}
	single, err := New(Info{Columns: ensembleCols, Spec: specs[0], Context: ctx}, s, fs[0])
	if err != nil {
		t.Fatal(err)
	}
	ens, err := NewEnsemble(Info{Columns: ensembleCols, Context: ctx}, s, specs, fs)
	if err != nil {
		t.Fatal(err)
	}
	c := make([]float64, rows)
	for r := range c {
		c[r] = float64(r%7) - 3
	}
	lp1, lp2 := make([]float64, rows), make([]float64, rows)
	if _, err := single.LogProb(lp1, x, c, rows, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := ens.LogProb(lp2, x, c, rows, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	for r := range lp1 {
		if math.Abs(lp1[r]-lp2[r]) > 1e-12*max(1, math.Abs(lp1[r])) {
			t.Fatalf("row %d: ensemble of copies log p %.15g, the flow's %.15g", r, lp2[r], lp1[r])
		}
	}
	out := make([]float64, 3*rows)
	if err := ens.Sample(out, c, rows, rand.New(rand.NewPCG(2, 2))); err != nil {
		t.Fatal(err)
	}
	c[5] = math.NaN()
	if err := ens.Sample(out, c, rows, rand.New(rand.NewPCG(2, 2))); err == nil {
		t.Fatal("a NaN context was sampled")
	}
}
