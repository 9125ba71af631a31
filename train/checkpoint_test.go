package train

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hepflow/data"
	"hepflow/model"
)

// fitWithCheckpoints trains opt on tab with checkpoints in dir; stopAt > 0
// cancels the run after that many epochs (counted over all members).
func fitWithCheckpoints(t *testing.T, tab *data.Table, opt ModelOptions, dir string, resume bool, stopAt int) (*Result, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opt.Checkpoints = &CheckpointDir{Path: dir, Resume: resume, Args: []string{"--epochs", "7"}}
	epochs := 0
	opt.Config.Progress = func(Epoch) {
		if epochs++; epochs == stopAt {
			cancel()
		}
	}
	return FitModel(ctx, tab, nil, opt)
}

func sameModels(t *testing.T, a, b *model.Model) {
	t.Helper()
	fa, fb := a.Flows(), b.Flows()
	if len(fa) != len(fb) {
		t.Fatalf("%d flows vs %d", len(fa), len(fb))
	}
	for i := range fa {
		if !sameParams(fa[i], fb[i]) {
			t.Fatalf("flow %d: weights differ from the uninterrupted run's", i)
		}
	}
}

// TestResumeIsBitIdentical: a run interrupted after some epochs and resumed
// from its checkpoint ends with exactly the uninterrupted run's weights and
// figures: a single flow and an ensemble (stopped inside its second member),
// with a discrete column (noise redrawn every epoch), validation, early
// stopping and ActNorm (data-initialised, then restored from the checkpoint).
func TestResumeIsBitIdentical(t *testing.T) {
	tab := ensembleTable(t, 600)
	for _, c := range []struct {
		name     string
		ensemble int
		stopAt   []int
	}{
		{"single", 1, []int{1, 3, 6}},
		{"ensemble", 2, []int{5, 9}},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt := ensembleOptions(c.ensemble)
			opt.Config.Epochs, opt.Config.Patience = 7, 4
			opt.Spec.ActNorm = true
			ref, err := fitWithCheckpoints(t, tab, opt, filepath.Join(t.TempDir(), "ref"), false, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, stopAt := range c.stopAt {
				dir := filepath.Join(t.TempDir(), "ck")
				_, err := fitWithCheckpoints(t, tab, opt, dir, false, stopAt)
				if st := Stopped(err); st == nil || st.Reason != Interrupted {
					t.Fatalf("stop after %d epochs: %v, want an interrupt", stopAt, err)
				}
				res, err := fitWithCheckpoints(t, tab, opt, dir, true, 0)
				if err != nil {
					t.Fatalf("resume after %d epochs: %v", stopAt, err)
				}
				sameModels(t, ref.Model, res.Model)
				if res.ValNLL != ref.ValNLL || res.TrainNLL != ref.TrainNLL || res.Summary.Steps != ref.Summary.Steps ||
					res.Summary.Epochs != ref.Summary.Epochs || res.Summary.BestEpoch != ref.Summary.BestEpoch {
					t.Fatalf("resume after %d epochs: summary %+v (NLL %v/%v), uninterrupted %+v (%v/%v)", stopAt,
						res.Summary, res.TrainNLL, res.ValNLL, ref.Summary, ref.TrainNLL, ref.ValNLL)
				}
				// A finished run resumes to the same model without training.
				again, err := fitWithCheckpoints(t, tab, opt, dir, true, 0)
				if err != nil {
					t.Fatal(err)
				}
				sameModels(t, ref.Model, again.Model)
			}
		})
	}
}

// TestResumeRefusesAnotherRun: a checkpoint continues only its own run; the
// message names what changed.
func TestResumeRefusesAnotherRun(t *testing.T) {
	tab := ensembleTable(t, 300)
	opt := ensembleOptions(1)
	dir := filepath.Join(t.TempDir(), "ck")
	if _, err := fitWithCheckpoints(t, tab, opt, dir, false, 2); Stopped(err) == nil {
		t.Fatalf("want an interrupt, got %v", err)
	}
	other := opt
	other.Config.LR = 3e-3
	if _, err := fitWithCheckpoints(t, tab, other, dir, true, 0); err == nil || !strings.Contains(err.Error(), "lr was 0") {
		t.Fatalf("another --lr: %v", err)
	}
	tab2 := ensembleTable(t, 300)
	tab2.Data[5] += 1e-9
	if _, err := fitWithCheckpoints(t, tab2, opt, dir, true, 0); err == nil || !strings.Contains(err.Error(), "the events differ") {
		t.Fatalf("other events: %v", err)
	}
	if _, err := fitWithCheckpoints(t, tab, opt, filepath.Join(t.TempDir(), "none"), true, 0); err == nil || !strings.Contains(err.Error(), "not a checkpoint folder") {
		t.Fatalf("no checkpoint: %v", err)
	}
}

// TestDamagedCheckpoint: a flipped byte is caught by the checksum, not
// resumed from.
func TestDamagedCheckpoint(t *testing.T) {
	tab := ensembleTable(t, 300)
	opt := ensembleOptions(1)
	dir := filepath.Join(t.TempDir(), "ck")
	if _, err := fitWithCheckpoints(t, tab, opt, dir, false, 2); Stopped(err) == nil {
		t.Fatalf("want an interrupt, got %v", err)
	}
	p := filepath.Join(dir, "member-0.ckpt")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := fitWithCheckpoints(t, tab, opt, dir, true, 0); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged checkpoint: %v", err)
	}
	args, err := RunArgs(dir)
	if err != nil || strings.Join(args, " ") != "--epochs 7" {
		t.Fatalf("RunArgs = %q, %v", args, err)
	}
	if !HasCheckpoint(dir) {
		t.Fatal("HasCheckpoint false for a checkpoint folder")
	}
}
