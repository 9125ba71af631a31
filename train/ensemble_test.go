package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/model"
)

// ensembleTable is n events of a correlated 2-D Gaussian and a discrete
// column (so the dequantization noise must start over for every member).
func ensembleTable(t *testing.T, n int) *data.Table {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 0, 3*n)
	for range n {
		a := rng.NormFloat64()
		x = append(x, a, 0.6*a+rng.NormFloat64(), float64(rng.IntN(3)))
	}
	tab, err := data.New([]string{"a", "b", "k"}, x)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func ensembleOptions(k int) ModelOptions {
	return ModelOptions{
		Spec:   flow.Spec{Kind: "maf", Blocks: 2, Hidden: []int{8}, Activation: "tanh", Permutation: "random", Seed: 7},
		Config: Config{Epochs: 4, Batch: 64, Seed: 11}, ValFraction: 0.2, Gemm: testGemm(), Workers: 2, Ensemble: k,
	}
}

func sameParams(a, b *flow.Flow) bool {
	pa, pb := a.Params(), b.Params()
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		for j := range pa[i].Value {
			if pa[i].Value[j] != pb[i].Value[j] {
				return false
			}
		}
	}
	return true
}

// TestFitEnsemble: --ensemble 3 trains three members with seeds seed,
// seed+1, seed+2 on the same split and scaling; member 0 is exactly the
// flow a single run trains; the ensemble's NLLs (physical) are no worse
// than the members' mean (Jensen, same dequantization noise), each
// member's is recorded, and the log lines name the member.
func TestFitEnsemble(t *testing.T) {
	tab := ensembleTable(t, 1500)
	var logs bytes.Buffer
	opt := ensembleOptions(3)
	opt.Config.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	var started []int
	opt.OnMember = func(k, of int) {
		if of != 3 {
			t.Errorf("OnMember(%d, %d): want 3 members", k, of)
		}
		started = append(started, k)
	}
	res, err := FitModel(context.Background(), tab, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if m.Ensemble() != 3 || len(res.Members) != 3 || len(started) != 3 {
		t.Fatalf("%d flows in the model, %d member results, %d started; want 3", m.Ensemble(), len(res.Members), len(started))
	}
	if m.Info.Spec.Seed != 7 || m.Info.Members[0].Seed != 8 || m.Info.Members[1].Seed != 9 {
		t.Fatalf("member seeds %d, %d, %d; want 7, 8, 9", m.Info.Spec.Seed, m.Info.Members[0].Seed, m.Info.Members[1].Seed)
	}
	var meanVal, meanTrain float64
	for k, mr := range res.Members {
		if mr.Member != k || mr.Seed != 7+uint64(k) || !mr.InModel || !mr.ValNLL.Valid() || !mr.TrainNLL.Valid() || mr.Summary.Epochs != 4 {
			t.Fatalf("member %d: %+v", k, mr)
		}
		meanVal += float64(mr.ValNLL) / 3
		meanTrain += float64(mr.TrainNLL) / 3
	}
	if !(float64(res.ValNLL) <= meanVal+1e-9) || !(float64(res.TrainNLL) <= meanTrain+1e-9) {
		t.Fatalf("ensemble val NLL %v, train %v; the members' means %v, %v: a mixture cannot be worse", res.ValNLL, res.TrainNLL, meanVal, meanTrain)
	}
	t.Logf("val NLL: ensemble %.4f, members %.4f %.4f %.4f", res.ValNLL, res.Members[0].ValNLL, res.Members[1].ValNLL, res.Members[2].ValNLL)
	if res.Summary.Epochs != 12 || res.Summary.ValNLL != res.ValNLL {
		t.Fatalf("summary %+v: want 12 epochs over all members and the ensemble's val NLL", res.Summary)
	}
	if sameParams(m.Members[0], m.Members[1]) {
		t.Fatal("members 0 and 1 have the same weights")
	}
	single, err := FitModel(context.Background(), tab, nil, ensembleOptions(0))
	if err != nil {
		t.Fatal(err)
	}
	if !sameParams(single.Model.Flow, m.Flow) {
		t.Fatal("member 0 differs from the flow a single run trains with the same seed")
	}
	if !strings.Contains(string(m.Info.Training), `"members":[`) {
		t.Fatalf("the training record lists no members: %s", m.Info.Training)
	}
	for _, w := range []string{"member=1/3", "member=2/3", "member=3/3"} {
		if !strings.Contains(logs.String(), w) {
			t.Fatalf("no log line says %s:\n%s", w, logs.String())
		}
	}
}

// TestFitEnsembleOfOne: --ensemble 1 is the plain run: the same weights and
// the same file, but for the timing.
func TestFitEnsembleOfOne(t *testing.T) {
	tab := ensembleTable(t, 600)
	files := make([][]byte, 2)
	for i, k := range []int{0, 1} {
		res, err := FitModel(context.Background(), tab, nil, ensembleOptions(k))
		if err != nil {
			t.Fatal(err)
		}
		if res.Members != nil || res.Model.Members != nil {
			t.Fatalf("ensemble %d: members %v", k, res.Members)
		}
		var tr map[string]any
		if err := json.Unmarshal(res.Model.Info.Training, &tr); err != nil {
			t.Fatal(err)
		}
		delete(tr["training"].(map[string]any), "seconds")
		delete(tr["training"].(map[string]any), "events_per_second")
		res.Model.Info.Training, _ = json.Marshal(tr)
		path := filepath.Join(t.TempDir(), "m.safetensors")
		if err := model.Save(path, res.Model); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = b
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("--ensemble 1 writes another file than a plain run")
	}
}

// TestFitEnsembleInterrupted: an interrupt during member 2 of 3 keeps
// member 1 (and member 2 only if it helps on validation), trains no member
// 3, and says so with a *StoppedError worth saving; one during member 1
// keeps its best weights alone, a single flow, as a plain run does.
func TestFitEnsembleInterrupted(t *testing.T) {
	tab := ensembleTable(t, 1500)
	for _, stopIn := range []int{0, 1} {
		ctx, cancel := context.WithCancel(context.Background())
		opt := ensembleOptions(3)
		opt.Config.Epochs = 1000
		member := -1
		opt.OnMember = func(k, _ int) { member = k }
		opt.Config.Progress = func(e Epoch) {
			if member == stopIn && e.Epoch == 2 {
				cancel()
			}
		}
		res, err := FitModel(ctx, tab, nil, opt)
		cancel()
		st := Stopped(err)
		if st == nil || st.Reason != Interrupted || !st.Kept || !errors.Is(err, context.Canceled) || res == nil {
			t.Fatalf("stop in member %d: error %v, result %v; want an interruption with a model kept", stopIn+1, err, res)
		}
		if !strings.Contains(err.Error(), "ensemble member "+string(rune('1'+stopIn))+" of 3") {
			t.Errorf("the error does not name the member: %v", err)
		}
		if member != stopIn || len(res.Members) != stopIn+1 || !res.Members[0].InModel {
			t.Fatalf("stop in member %d: the last member started was %d, %d results (%+v)", stopIn+1, member+1, len(res.Members), res.Members)
		}
		want := 1
		if stopIn == 1 && res.Members[1].InModel {
			want = 2
		}
		if res.Model.Ensemble() != want || res.Summary.Stopped != Interrupted {
			t.Fatalf("stop in member %d: %d flows in the model, want %d; summary %+v", stopIn+1, res.Model.Ensemble(), want, res.Summary)
		}
		t.Logf("stop in member %d: %v; in the model: %d", stopIn+1, err, res.Model.Ensemble())
		lp := make([]float64, 10)
		x := tab.Data[:10*3]
		if _, err := res.Model.LogProb(lp, x, nil, 10, rand.New(rand.NewPCG(1, 1))); err != nil || math.IsNaN(lp[0]) {
			t.Fatalf("the kept model does not score: %v %v", lp, err)
		}
	}
}

// TestFitEnsembleDivergedFirst: a first member that diverges before beating
// its initial weights leaves nothing to keep, as a plain run.
func TestFitEnsembleDivergedFirst(t *testing.T) {
	opt := ensembleOptions(3)
	opt.Config.LR, opt.Config.ClipNorm = 1e30, 0
	started := 0
	opt.OnMember = func(int, int) { started++ }
	res, err := FitModel(context.Background(), ensembleTable(t, 600), nil, opt)
	if st := Stopped(err); st == nil || st.Reason != Diverged || st.Kept || res != nil || started != 1 {
		t.Fatalf("error %v, result %v, %d members started: want a divergence with nothing kept after member 1", err, res, started)
	}
}

// TestEnsembleConditionalSampling: a conditional ensemble samples each
// event with its own context: a = 4c + noise, sampled with c alternating
// 0, 1, gives means 4 apart by c.
func TestEnsembleConditionalSampling(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n = 3000
	x := make([]float64, 0, 3*n)
	for i := range n {
		c := float64(i % 2)
		a := 4*c + rng.NormFloat64()
		x = append(x, a, 0.5*a+rng.NormFloat64(), c)
	}
	tab, err := data.New([]string{"a", "b", "c"}, x)
	if err != nil {
		t.Fatal(err)
	}
	opt := ensembleOptions(3)
	opt.Context = []string{"c"}
	opt.Config.Epochs = 15
	res, err := FitModel(context.Background(), tab, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	const ns = 6000
	c := make([]float64, ns)
	for i := range c {
		c[i] = float64(i % 2)
	}
	out := make([]float64, 2*ns)
	if err := res.Model.Sample(out, c, ns, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	var mean [2]float64
	for i := range ns {
		mean[i%2] += out[2*i] / (ns / 2)
	}
	// The se of each mean is about 1/sqrt(3000) = 0.02; the fit is rough.
	if math.Abs(mean[0]) > 0.4 || math.Abs(mean[1]-4) > 0.4 {
		t.Fatalf("sampled means of a: %.3f at c=0, %.3f at c=1; want about 0 and 4", mean[0], mean[1])
	}
}
