//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hepflow/internal/atomicfile"
)

// hepflowCtx runs one command line in-process with ctx; stderr also goes
// to onStderr (when set) as it is written.
func hepflowCtx(t *testing.T, ctx context.Context, onStderr func(string), args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o bytes.Buffer
	e := &watchWriter{on: onStderr}
	code = run(ctx, args, &env{stdout: &o, stderr: e})
	return o.String(), e.String(), code
}

// watchWriter collects what a command writes and shows each write to on.
type watchWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	on  func(string)
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.mu.Unlock()
	if w.on != nil {
		w.on(string(p))
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// condCtx is a context cancelled as soon as cond holds: checked on every
// Err call (so a command's own check sees it at once) and every millisecond
// (so whatever waits on Done sees it too).
type condCtx struct {
	context.Context
	cancel context.CancelFunc
	cond   func() bool
}

func (c *condCtx) Err() error {
	if c.Context.Err() == nil && c.cond() {
		c.cancel()
	}
	return c.Context.Err()
}

func cancelWhen(t *testing.T, cond func() bool) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	c := &condCtx{Context: ctx, cancel: cancel, cond: cond}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				c.Err()
			}
		}
	}()
	t.Cleanup(func() { close(done); cancel() })
	return c
}

// tempsIn lists the names in dir that have hepflow's temporary pattern.
func tempsIn(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if atomicfile.IsTemp(e.Name()) || strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// snapshot is a folder's file names and contents (the type of what is not
// a regular file or a folder), to see that it did not change.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m[rel] = string(b)
		case !d.IsDir(): // a FIFO, a link, a device: never opened
			m[rel] = d.Type().String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameSnapshot(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// tinyModel trains a one-block model on a two-column CSV in dir.
func tinyModel(t *testing.T, dir string) (model, events string) {
	t.Helper()
	events = filepath.Join(dir, "events.csv")
	if err := os.WriteFile(events, []byte("a,b\n"+strings.Repeat("1.5,2.5\n0.5,3.5\n2.5,0.25\n", 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	model = filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", events, "--out", model, "--epochs", "1", "--blocks", "1", "--hidden", "8"); code != 0 {
		t.Fatalf("train the fixture model: %s", stderr)
	}
	return model, events
}

// TestUnsafeFileOutputRefused: --force replaces regular files only. A FIFO,
// a symbolic link (to a file, or dangling), a directory or a device at the
// output path is refused with exit status 2 and a message naming the path
// and what it is, and stays what it was; an existing file without --force
// is refused the same way.
func TestUnsafeFileOutputRefused(t *testing.T) {
	dir := t.TempDir()
	model, events := tinyModel(t, dir)
	outs := filepath.Join(dir, "outs")
	os.Mkdir(outs, 0o755)
	fifo := filepath.Join(outs, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(outs, "target.csv")
	os.WriteFile(target, []byte("keep\n"), 0o644)
	link := filepath.Join(outs, "link.csv")
	os.Symlink(target, link)
	dangling := filepath.Join(outs, "dangling.csv")
	os.Symlink(filepath.Join(outs, "nowhere.csv"), dangling)
	folder := filepath.Join(outs, "folder.csv")
	os.Mkdir(folder, 0o755)
	os.WriteFile(filepath.Join(folder, "inside"), []byte("keep"), 0o644)
	before := snapshot(t, outs)

	cases := []struct {
		name  string
		args  []string
		out   string
		force bool
		what  string
	}{
		{"FIFO", nil, fifo, true, "FIFO"},
		{"symlink to a file", nil, link, true, "symbolic link"},
		{"dangling symlink", nil, dangling, true, "symbolic link"},
		{"directory", nil, folder, true, "directory"},
		{"existing file without --force", nil, target, false, "--force"},
		{"FIFO without --force", nil, fifo, false, "FIFO"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"sample", "--model", model, "-n", "10", "--out", c.out}
			if c.force {
				args = append(args, "--force")
			}
			_, stderr, code := hepflow(t, args...)
			if code != 2 || !strings.Contains(stderr, c.out) || !strings.Contains(stderr, c.what) {
				t.Errorf("exit %d, stderr %q: want 2 and a message naming %s and %q", code, stderr, c.out, c.what)
			}
			if after := snapshot(t, outs); !sameSnapshot(before, after) {
				t.Errorf("the output folder changed: %v -> %v", before, after)
			}
			if tmp := tempsIn(t, outs); len(tmp) > 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
		})
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO is no longer one")
	}
	for _, l := range []string{link, dangling} {
		if fi, err := os.Lstat(l); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symbolic link", l)
		}
	}
	if _, err := os.Lstat(filepath.Join(outs, "nowhere.csv")); err == nil {
		t.Errorf("the dangling link's target was created")
	}

	// A device: only its refusal is checked, by a command that would fail
	// on its missing model before writing anything even if the check were
	// gone.
	_, stderr, code := hepflow(t, "logprob", "--model", filepath.Join(dir, "missing.safetensors"), "--data", events, "--out", "/dev/null", "--force")
	if code != 2 || !strings.Contains(stderr, "/dev/null") || !strings.Contains(stderr, "character device") {
		t.Errorf("--out /dev/null --force: exit %d, stderr %q; want 2, refused as a character device", code, stderr)
	}
	if fi, err := os.Lstat("/dev/null"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a character device")
	}

	// A regular file is replaced with --force.
	if _, stderr, code := hepflow(t, "sample", "--model", model, "-n", "10", "--out", target, "--force"); code != 0 {
		t.Fatalf("--force over a regular file: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(target); string(b) == "keep\n" {
		t.Errorf("the regular file was not replaced")
	}
}

// TestSideFileRefused: the column names written beside a .npy file follow
// the main file's rules, checked before anything is written.
func TestSideFileRefused(t *testing.T) {
	dir := t.TempDir()
	model, _ := tinyModel(t, dir)
	out := filepath.Join(dir, "gen.npy")
	side := out + ".columns"
	os.WriteFile(side, []byte("mine\n"), 0o644)
	_, stderr, code := hepflow(t, "sample", "--model", model, "-n", "10", "--out", out)
	if code != 2 || !strings.Contains(stderr, side) || !strings.Contains(stderr, "--force") {
		t.Errorf("existing %s: exit %d, stderr %q; want 2 and a message naming it", side, code, stderr)
	}
	if b, _ := os.ReadFile(side); string(b) != "mine\n" {
		t.Errorf("side file overwritten: %q", b)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written although its side file was refused", out)
	}
	// A side file that is not a regular file is refused even with --force.
	os.Remove(side)
	syscall.Mkfifo(side, 0o644)
	_, stderr, code = hepflow(t, "sample", "--model", model, "-n", "10", "--out", out, "--force")
	if code != 2 || !strings.Contains(stderr, side) || !strings.Contains(stderr, "FIFO") {
		t.Errorf("FIFO side file with --force: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written although its side file was refused", out)
	}
	os.Remove(side)
	os.WriteFile(side, []byte("mine\n"), 0o644)
	if _, stderr, code := hepflow(t, "sample", "--model", model, "-n", "10", "--out", out, "--force"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(side); string(b) != "a\nb\n" {
		t.Errorf("side file after --force: %q", b)
	}
	if tmp := tempsIn(t, dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// TestUnsafeFolderOutputRefused: a report folder output is refused, exit 2,
// when the path is a FIFO, a symbolic link, a regular file, a folder
// hepflow did not write (even with --force), or a folder holding an input.
func TestUnsafeFolderOutputRefused(t *testing.T) {
	dir := t.TempDir()
	f := higgsParts(t, dir)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o644)
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("keep"), 0o644)
	mine := filepath.Join(dir, "mine")
	os.Mkdir(mine, 0o755)
	os.WriteFile(filepath.Join(mine, "thesis.tex"), []byte("keep"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(mine, link)
	holder := filepath.Join(dir, "holder")
	os.Mkdir(holder, 0o755)
	for _, n := range []string{"report.html", "metrics.json"} {
		os.WriteFile(filepath.Join(holder, n), nil, 0o644)
	}
	ref := filepath.Join(holder, "ref.csv")
	if b, err := os.ReadFile(f.bkgA); err != nil || os.WriteFile(ref, b, 0o644) != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, out, ref, what string
	}{
		{"FIFO", fifo, f.bkgA, "FIFO"},
		{"regular file", file, f.bkgA, "regular file, not a folder"},
		{"symlink", link, f.bkgA, "symbolic link"},
		{"folder hepflow did not write", mine, f.bkgA, "did not write"},
		{"input inside the folder", holder, ref, "inside the output folder"},
	}
	before := snapshot(t, dir)
	for _, c := range cases {
		_, stderr, code := hepflow(t, "compare", "--reference", c.ref, "--candidate", f.bkgB, "--c2st=false", "--out", c.out, "--force")
		if code != 2 || !strings.Contains(stderr, c.out) || !strings.Contains(stderr, c.what) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and a message naming %s and %q", c.name, code, stderr, c.out, c.what)
		}
		if after := snapshot(t, dir); !sameSnapshot(before, after) {
			t.Errorf("%s: files changed", c.name)
		}
		if tmp := tempsIn(t, dir); len(tmp) > 0 {
			t.Errorf("%s: temporary files left: %v", c.name, tmp)
		}
	}
}

// TestReportFolderAtomic: compare and anomaly write their folder under a
// temporary name. A failing step or an interrupt leaves no folder and no
// temporary one, and an earlier report being replaced (--force) as it was;
// a run that succeeds replaces it as a whole.
func TestReportFolderAtomic(t *testing.T) {
	dir := t.TempDir()
	f := smallSamples(t, dir)
	out := filepath.Join(dir, "report")
	quick := []string{"--c2st=false", "--pairs", "none", "--cut", "none", "--threads", "2"}
	compare := func(ctx context.Context, extra ...string) (string, int) {
		args := append([]string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", out}, extra...)
		_, stderr, code := hepflowCtx(t, ctx, nil, args...)
		return stderr, code
	}
	if stderr, code := compare(context.Background(), quick...); code != 0 {
		t.Fatalf("first report: exit %d: %s", code, stderr)
	}
	// Mark every file of the earlier report, so that a run writing into it
	// in place shows even where it would write the same bytes.
	for name := range snapshot(t, out) {
		os.WriteFile(filepath.Join(out, name), []byte("earlier "+name), 0o644)
	}
	os.WriteFile(filepath.Join(out, "added-by-hand.txt"), []byte("x"), 0o644)
	before := snapshot(t, out)
	unchanged := func(what string) {
		t.Helper()
		if after := snapshot(t, out); !sameSnapshot(before, after) {
			t.Errorf("%s: the earlier report changed before the final swap", what)
		}
		if tmp := tempsIn(t, dir); len(tmp) > 0 {
			t.Errorf("%s: temporary folders left: %v", what, tmp)
		}
	}

	// A failing step: the classifier test on 3 events per class fails
	// after the feature figures are written.
	stderr, code := compare(context.Background(), "--force", "--max-events", "3", "--pairs", "none", "--cut", "none", "--threads", "2")
	if code != 1 || !strings.Contains(stderr, "too few") {
		t.Errorf("failing classifier test: exit %d, stderr %q; want 1", code, stderr)
	}
	unchanged("failing step")

	// Interrupted once the temporary folder exists, with and without an
	// earlier report.
	tmpExists := func() bool { return len(tempsIn(t, dir)) > 0 }
	stderr, code = compare(cancelWhen(t, tmpExists), append([]string{"--force"}, quick...)...)
	if code != 130 || !strings.Contains(stderr, "interrupted before it finished; nothing written") {
		t.Errorf("interrupted: exit %d, stderr %q; want 130", code, stderr)
	}
	unchanged("interrupted")
	fresh := filepath.Join(dir, "fresh")
	_, stderr, code = hepflowCtx(t, cancelWhen(t, tmpExists), nil, append([]string{"compare", "--reference", f.bkgA, "--candidate", f.bkgB, "--out", fresh}, quick...)...)
	if _, err := os.Lstat(fresh); code != 130 || err == nil {
		t.Errorf("interrupted without an earlier report: exit %d (want 130), folder left: %v; %s", code, err == nil, stderr)
	}
	unchanged("interrupted, new folder")

	// Success replaces the folder as a whole.
	if stderr, code := compare(context.Background(), append([]string{"--force"}, quick...)...); code != 0 {
		t.Fatalf("replacing the report: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "added-by-hand.txt")); err == nil {
		t.Errorf("--force kept a file of the earlier folder")
	}
	checkReportFiles(t, out)
	if tmp := tempsIn(t, dir); len(tmp) > 0 {
		t.Errorf("temporary folders left: %v", tmp)
	}

	// anomaly, interrupted once its folder is being written.
	model := filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", f.bkgA, "--out", model, "--epochs", "1", "--blocks", "1", "--hidden", "8"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	an := filepath.Join(dir, "anomaly")
	_, stderr, code = hepflowCtx(t, cancelWhen(t, tmpExists), nil, "anomaly", "--model", model, "--background", f.bkgB, "--signal", f.sig, "--out", an)
	if _, err := os.Lstat(an); code != 130 || err == nil || !strings.Contains(stderr, "nothing written") {
		t.Errorf("anomaly interrupted: exit %d (want 130), folder left: %v; %s", code, err == nil, stderr)
	}
	if tmp := tempsIn(t, dir); len(tmp) > 0 {
		t.Errorf("anomaly: temporary folders left: %v", tmp)
	}
}

// smallSamples writes two background-like samples and a signal-like one of
// three columns (a quick report) into dir.
func smallSamples(t *testing.T, dir string) higgsFiles {
	t.Helper()
	f := higgsFiles{bkgA: filepath.Join(dir, "a.csv"), bkgB: filepath.Join(dir, "b.csv"), sig: filepath.Join(dir, "s.csv")}
	for k, p := range []string{f.bkgA, f.bkgB, f.sig} {
		var b strings.Builder
		b.WriteString("x,y,z\n")
		for i := range 400 {
			u, v := float64((i*37+k*11)%101)/101, float64((i*53+k*7)%97)/97
			fmt.Fprintf(&b, "%.4f,%.4f,%.4f\n", u+float64(k/2), u*v, v-u)
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestResonantInterruptedOrFailed: anomaly --method cathode stopped during
// its flow fit, or failing on a signal region with too few events, leaves
// no folder and no temporary one.
func TestResonantInterruptedOrFailed(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "cathode")
	args := []string{"anomaly", "--method", "cathode", "--example", "synthetic", "--example-background", "4000", "--example-signal", "50",
		"--signal-region", "3.7:4.3", "--epochs", "3", "--blocks", "1", "--hidden", "8", "--classifier-epochs", "2", "--folds", "2", "--classifiers", "1",
		"--out", out}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, stderr, code := hepflowCtx(t, ctx, func(s string) {
		if strings.Contains(s, "msg=epoch") {
			cancel()
		}
	}, args...)
	if code != 130 || !strings.Contains(stderr, "interrupted before it finished; nothing written") {
		t.Errorf("interrupted: exit %d, stderr %q; want 130", code, stderr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Errorf("interrupted: left %v", ents)
	}
	bad := slices.Clone(args)
	bad[slices.Index(bad, "3.7:4.3")] = "7.5:8"
	_, stderr, code = hepflow(t, bad...)
	if code != 1 || !strings.Contains(stderr, "too few") {
		t.Errorf("empty signal region: exit %d, stderr %q; want 1", code, stderr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Errorf("failed: left %v", ents)
	}
}

// deadPID returns the id of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if syscall.Kill(pid, 0) == nil {
		t.Skipf("pid %d reused at once", pid)
	}
	return pid
}

// tempName is the temporary name hepflow gives a file at path, as if
// written by process pid.
func tempName(t *testing.T, path string, pid int) string {
	t.Helper()
	f, err := atomicfile.Create(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(f.Name())
	f.Abort()
	return strings.Replace(name, fmt.Sprintf(".tmp-%d-", os.Getpid()), fmt.Sprintf(".tmp-%d-", pid), 1)
}

// TestStaleTempsCleaned: the leftovers of a killed run (kill -9: a
// temporary file and a temporary report folder of a process that no longer
// runs) are removed by the next run writing into the folder; a running
// process's temporary file, fresh ones and anything not of hepflow's exact
// pattern are kept.
func TestStaleTempsCleaned(t *testing.T) {
	dir := t.TempDir()
	model, _ := tinyModel(t, dir)
	outs := filepath.Join(dir, "outs")
	os.Mkdir(outs, 0o755)
	dead := deadPID(t)
	old := time.Now().Add(-10 * time.Minute)
	put := func(name string, mtime time.Time, folder bool) {
		p := filepath.Join(outs, name)
		if folder {
			os.Mkdir(p, 0o755)
			os.WriteFile(filepath.Join(p, "hist.png"), nil, 0o644)
		} else {
			os.WriteFile(p, []byte("half"), 0o644)
		}
		os.Chtimes(p, mtime, mtime)
	}
	stale := []string{tempName(t, filepath.Join(outs, "gen.csv"), dead), tempName(t, filepath.Join(outs, "report"), dead)}
	put(stale[0], old, false)
	put(stale[1], old, true)
	kept := []string{
		tempName(t, filepath.Join(outs, "running.csv"), os.Getpid()),
		tempName(t, filepath.Join(outs, "fresh.csv"), dead),
		".gen.csv.tmp-12345",
		"gen.csv.tmp-1-2-3",
		"notes.txt",
	}
	put(kept[0], old, false)
	put(kept[1], time.Now(), false)
	put(kept[2], old, false)
	put(kept[3], old, false)
	put(kept[4], old, false)
	if _, stderr, code := hepflow(t, "sample", "--model", model, "-n", "10", "--out", filepath.Join(outs, "gen.csv")); code != 0 {
		t.Fatalf("sample: exit %d: %s", code, stderr)
	}
	for _, n := range stale {
		if _, err := os.Lstat(filepath.Join(outs, n)); err == nil {
			t.Errorf("stale %s kept", n)
		}
	}
	for _, n := range kept {
		if _, err := os.Lstat(filepath.Join(outs, n)); err != nil {
			t.Errorf("%s removed", n)
		}
	}
}

// TestDemoBadFlagsLeaveNothing: every bad flag of demo, and a refused
// output folder, is exit status 2 with nothing written; an interrupted
// demo leaves nothing either.
func TestDemoBadFlagsLeaveNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "demo")
	file := filepath.Join(dir, "file")
	mine := filepath.Join(dir, "mine")
	setup := func() {
		os.WriteFile(file, []byte("keep"), 0o644)
		os.Mkdir(mine, 0o755)
		os.WriteFile(filepath.Join(mine, "notes.txt"), []byte("keep"), 0o644)
	}
	setup()
	before := snapshot(t, dir)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--epochs", "0"}, "--epochs"},
		{[]string{"--hidden", "12,,3"}, "--hidden"},
		{[]string{"--scaling", "nope"}, "--scaling"},
		{[]string{"--flow", "nope"}, "nope"},
		{[]string{"--blocks", "0"}, "blocks"},
		{[]string{"--threads", "0"}, "--threads"},
		{[]string{"--seed", "-1"}, "-seed"},
		{[]string{"--out", file, "--force"}, "not a folder"},
		{[]string{"--out", mine, "--force"}, "did not write"},
		{[]string{"--out", mine}, "did not write"},
		{[]string{"--out", filepath.Join(dir, "missing", "demo")}, "does not exist"},
	}
	check := func(name, stderr string, code int, want string) {
		t.Helper()
		if code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", name, code, stderr, want)
		}
		if after := snapshot(t, dir); !sameSnapshot(before, after) {
			t.Errorf("%s: wrote something", name)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 2 {
			t.Errorf("%s: left %v", name, ents)
		}
	}
	for _, c := range cases {
		args := append([]string{"demo", "--out", out}, c.args...)
		_, stderr, code := hepflow(t, args...)
		check(strings.Join(c.args, " "), stderr, code, c.want)
	}
	t.Run("HEPFLOW_BLAS", func(t *testing.T) {
		t.Setenv("HEPFLOW_BLAS", "nope")
		_, stderr, code := hepflow(t, "demo", "--out", out)
		check("HEPFLOW_BLAS=nope", stderr, code, "HEPFLOW_BLAS")
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, stderr, code := hepflowCtx(t, ctx, func(s string) {
		if strings.Contains(s, "msg=epoch") {
			cancel()
		}
	}, "demo", "--out", out, "--threads", "2")
	if code != 130 || !strings.Contains(stderr, "interrupted before it finished; nothing written") {
		t.Errorf("interrupted demo: exit %d, stderr %q; want 130", code, stderr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("interrupted demo left %v", ents)
	}
}

// TestLogprobNoDensityMessage: when no event has a density, logprob says
// why and what to do instead of "mean log p = NaN over 0 events".
func TestLogprobNoDensityMessage(t *testing.T) {
	dir := t.TempDir()
	train := filepath.Join(dir, "train.csv")
	var b strings.Builder
	b.WriteString("x,k\n")
	for i := range 200 {
		fmt.Fprintf(&b, "%g,%d\n", float64(i%17)/3, i%2)
	}
	os.WriteFile(train, []byte(b.String()), 0o644)
	model := filepath.Join(dir, "m.safetensors")
	if _, stderr, code := hepflow(t, "train", "--data", train, "--discrete", "k", "--out", model, "--epochs", "1", "--blocks", "1", "--hidden", "8"); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	unseen := filepath.Join(dir, "unseen.csv")
	os.WriteFile(unseen, []byte("x,k\n1,5\n2,5\n3,7\n"), 0o644)
	stdout, stderr, code := hepflow(t, "logprob", "--model", model, "--data", unseen, "--out", filepath.Join(dir, "lp.csv"))
	if code != 0 {
		t.Fatalf("logprob: exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, "NaN") || !strings.Contains(stdout, "no event has a density") || !strings.Contains(stdout, "discrete column") {
		t.Errorf("logprob output %q: want why no event has a density and what to do, not NaN", stdout)
	}
}
