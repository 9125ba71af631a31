package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hepflow/model"
	"hepflow/nn/blas"
)

// TestTrainChild is the child process of TestKillDuringTraining: it runs
// the hepflow command line in $HEPFLOW_TEST_CHILD_ARGS (tab-separated)
// and exits with its status. It does nothing in a normal test run.
func TestTrainChild(t *testing.T) {
	args := os.Getenv("HEPFLOW_TEST_CHILD_ARGS")
	if args == "" {
		t.Skip("only the child process of TestKillDuringTraining")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\t"), &env{stdout: os.Stdout, stderr: os.Stderr}))
}

// sameModelFiles fails unless two model files have bit-identical weights
// in every flow, the same columns and scaling.
func sameModelFiles(t *testing.T, a, b string) {
	t.Helper()
	ma, err := model.Load(a, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	mb, err := model.Load(b, blas.NewGo(1))
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := ma.Flows(), mb.Flows()
	if len(fa) != len(fb) {
		t.Fatalf("%s has %d flows, %s %d", a, len(fa), b, len(fb))
	}
	for i := range fa {
		pa, pb := fa[i].Params(), fb[i].Params()
		for j := range pa {
			for k := range pa[j].Value {
				if pa[j].Value[k] != pb[j].Value[k] {
					t.Fatalf("flow %d tensor %s[%d]: %v vs %v: not the uninterrupted run's weights", i, pa[j].Name, k, pa[j].Value[k], pb[j].Value[k])
				}
			}
		}
	}
	if strings.Join(ma.Columns(), ",") != strings.Join(mb.Columns(), ",") {
		t.Fatalf("columns %v vs %v", ma.Columns(), mb.Columns())
	}
}

// TestKillDuringTraining: kill -9 of a training process, then `train
// --resume DIR` alone: at most one epoch is lost (the checkpoint is of the
// epoch the child last reported, or the one before it) and the final model
// has exactly the uninterrupted run's weights; the default checkpoint
// folder is gone once the model is saved.
func TestKillDuringTraining(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three times")
	}
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 20000, "a,b", nil)
	flags := []string{"--data", data, "--epochs", "25", "--patience", "0", "--blocks", "2", "--hidden", "32,32", "--threads", "1", "--seed", "5"}
	ref := filepath.Join(dir, "ref.safetensors")
	if _, stderr, code := hepflow(t, append([]string{"train", "--out", ref}, flags...)...); code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(ref + ".ckpt"); !os.IsNotExist(err) {
		t.Fatalf("the default checkpoint folder outlived a finished run: %v", err)
	}

	out := filepath.Join(dir, "m.safetensors")
	ck := out + ".ckpt"
	child := exec.Command(os.Args[0], "-test.run=^TestTrainChild$")
	child.Env = append(os.Environ(), "HEPFLOW_TEST_CHILD_ARGS="+strings.Join(append([]string{"train", "--out", out}, flags...), "\t"))
	var stderr bytes.Buffer
	child.Stderr = &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for the second checkpoint (the first one replaced), then kill -9.
	var first os.FileInfo
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatalf("no second checkpoint after 2 minutes; child stderr:\n%s", stderr.String())
		}
		if fi, err := os.Stat(filepath.Join(ck, "member-0.ckpt")); err == nil {
			if first == nil {
				first = fi
			} else if !os.SameFile(first, fi) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := child.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		t.Fatalf("child was not killed (it finished first?): %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a killed run left a model file: %v", err)
	}
	reported := 0
	for _, m := range regexp.MustCompile(`msg=epoch epoch=(\d+)`).FindAllStringSubmatch(stderr.String(), -1) {
		reported, _ = strconv.Atoi(m[1])
	}

	stdout, errOut, code := hepflow(t, "train", "--resume", ck)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`msg=resuming .* after_epoch=(\d+)`).FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("resume did not say where it resumed from:\n%s", errOut)
	}
	from, _ := strconv.Atoi(m[1])
	if from < 2 || from < reported-1 || from > reported {
		t.Fatalf("resumed after epoch %d; the killed run had reported epoch %d: more than one epoch lost", from, reported)
	}
	if !strings.Contains(stdout, "wrote "+out) {
		t.Fatalf("resume output: %s", stdout)
	}
	sameModelFiles(t, ref, out)
	if _, err := os.Stat(ck); !os.IsNotExist(err) {
		t.Fatalf("the default checkpoint folder outlived the resumed run: %v", err)
	}
	t.Logf("killed after epoch %d was reported, resumed after epoch %d", reported, from)
}

// TestCheckpointFolderRules: a fresh run refuses an earlier run's
// checkpoints (pointing at --resume) unless --force; an interrupted run
// says how to resume and keeps its folder; a named --checkpoint folder is
// kept after success; --checkpoint none writes none; --resume of a folder
// that is not one, or with changed flags, is refused naming what changed.
func TestCheckpointFolderRules(t *testing.T) {
	dir := t.TempDir()
	data := gaussCSV(t, dir, "d.csv", 400, "a,b", nil)
	out := filepath.Join(dir, "m.safetensors")
	base := []string{"train", "--data", data, "--out", out, "--blocks", "1", "--hidden", "8", "--threads", "1"}
	ck := out + ".ckpt"
	// An earlier run's checkpoints, as an interrupted run leaves them.
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	errb.marker, errb.seen = "msg=epoch", make(chan struct{})
	go func() { <-errb.seen; cancel() }()
	code := run(ctx, append(base, "--epochs", "200", "--patience", "0"), &env{stdout: &bytes.Buffer{}, stderr: &errb})
	if code != 130 || !strings.Contains(errb.b.String(), "hepflow train --resume "+ck) {
		t.Fatalf("interrupted run: exit %d, stderr %q: want 130 and how to resume", code, errb.b.String())
	}
	if err := os.Remove(out); err != nil { // the best-so-far model it saved
		t.Fatal(err)
	}
	_, stderr, code := hepflow(t, append(base, "--epochs", "3")...)
	if code != 2 || !strings.Contains(stderr, "--resume "+ck) || !strings.Contains(stderr, "--force") {
		t.Fatalf("fresh run over an earlier run's checkpoints: exit %d, %q", code, stderr)
	}
	_, stderr, code = hepflow(t, "train", "--resume", ck, "--epochs", "3", "--data", data, "--out", out, "--blocks", "1", "--hidden", "8", "--threads", "1")
	if code != 1 || !strings.Contains(stderr, "epochs was 200, now 3") {
		t.Fatalf("resume with other flags: exit %d, %q", code, stderr)
	}
	if _, stderr, code = hepflow(t, append(base, "--epochs", "3", "--force")...); code != 0 {
		t.Fatalf("--force over old checkpoints: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(ck); !os.IsNotExist(err) {
		t.Fatalf("default folder kept after success: %v", err)
	}
	named := filepath.Join(dir, "mine")
	if _, stderr, code = hepflow(t, append(base, "--epochs", "2", "--force", "--checkpoint", named)...); code != 0 {
		t.Fatalf("--checkpoint DIR: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(named, "run.json")); err != nil {
		t.Fatalf("named checkpoint folder not kept: %v", err)
	}
	if _, stderr, code = hepflow(t, append(base, "--epochs", "2", "--force", "--checkpoint", "none")...); code != 0 {
		t.Fatalf("--checkpoint none: exit %d, %q", code, stderr)
	}
	if _, stderr, code = hepflow(t, "train", "--resume", dir); code != 2 || !strings.Contains(stderr, "not a checkpoint folder") {
		t.Fatalf("--resume of a plain folder: exit %d, %q", code, stderr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 { // d.csv, m.safetensors, mine
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("left in the folder: %v", names)
	}
}
