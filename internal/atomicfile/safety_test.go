//go:build unix

package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestCreateRefusesNonRegular: a FIFO, a symbolic link (to a regular file or
// to nothing), a folder or a device at the destination is refused before
// anything is written, named with what it is, and left as it was.
func TestCreateRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target.txt")
	os.WriteFile(target, []byte("keep"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	for _, c := range []struct{ path, what string }{
		{fifo, "FIFO"}, {link, "symbolic link"}, {dangling, "symbolic link"}, {sub, "directory"},
	} {
		err := Write(c.path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err })
		var u *UnsafeError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.what) {
			t.Errorf("%s: error %v, want an UnsafeError naming the path and %q", c.path, err, c.what)
		}
	}
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symbolic link was replaced")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target now holds %q", b)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); err == nil {
		t.Errorf("the dangling link's target was created")
	}
	if got := entries(t, dir); len(got) != 5 {
		t.Errorf("temporary files left behind: %v", got)
	}
	// A device is only checked, never written to.
	var u *UnsafeError
	if err := CheckFile("/dev/null", true); !errors.As(err, &u) || !strings.Contains(err.Error(), "character device") {
		t.Errorf("/dev/null: %v, want a character device refused", err)
	}
	if err := CheckFile(target, false); !errors.As(err, new(*ExistsError)) {
		t.Errorf("existing file without replace: %v", err)
	}
	if err := CheckFile(target, true); err != nil {
		t.Errorf("existing regular file with replace: %v", err)
	}
}

// TestCommitChecksAgain: a FIFO that appears at the destination while the
// file is being written is not replaced either.
func TestCommitChecksAgain(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	f, err := Create(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "data")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); !errors.As(err, new(*UnsafeError)) {
		t.Fatalf("commit over a FIFO: %v", err)
	}
	if fi, _ := os.Lstat(p); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced")
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("temporary file left behind: %v", got)
	}
}

func TestTempNames(t *testing.T) {
	f, err := Create(filepath.Join(t.TempDir(), "gen.csv"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	name := filepath.Base(f.Name())
	want := fmt.Sprintf(".gen.csv.tmp-%d-%s-", os.Getpid(), hostID())
	if !strings.HasPrefix(name, want) || !IsTemp(name) {
		t.Errorf("temporary name %q: want %s<random>, recognised by IsTemp", name, want)
	}
	for _, n := range []string{"gen.csv", ".gen.csv.tmp-123", "gen.csv.tmp-1-0123abcd-2", ".gen.csv.tmp-1-0123abcd-x", ".gen.csv.tmp-0-0123abcd-2", ".gen.csv.new-1-0123abcd-2", ".tmp-1-0123abcd-2"} {
		if IsTemp(n) {
			t.Errorf("IsTemp(%q) = true", n)
		}
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
	if processAlive(pid) {
		t.Skipf("pid %d was reused at once", pid)
	}
	return pid
}

// TestCleanStale removes exactly the leftovers of dead hepflow processes of
// this machine (after DeadAge) and, by age alone, those of other machines;
// it keeps a live process's files, fresh ones, everything not named by
// hepflow's pattern, and symbolic links.
func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	dead, host := deadPID(t), hostID()
	old := time.Now().Add(-2 * DeadAge)
	ancient := time.Now().Add(-2 * UnknownAge)
	mk := func(name string, mtime time.Time, isDir bool) {
		p := filepath.Join(dir, name)
		if isDir {
			os.Mkdir(p, 0o755)
			os.WriteFile(filepath.Join(p, "inside.png"), nil, 0o644)
		} else {
			os.WriteFile(p, []byte("x"), 0o644)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	gone := []string{
		fmt.Sprintf(".gen.csv.tmp-%d-%s-1", dead, host),
		fmt.Sprintf(".report.tmp-%d-%s-2", dead, host),
		fmt.Sprintf(".report.old-%d-%s-3", dead, host),
		".far.csv.tmp-42-0badcafe-4", // another machine, untouched for two days
	}
	mk(gone[0], old, false)
	mk(gone[1], old, true)
	mk(gone[2], old, true)
	mk(gone[3], ancient, false)
	kept := []string{
		fmt.Sprintf(".live.csv.tmp-%d-%s-5", os.Getpid(), host), // this process
		fmt.Sprintf(".fresh.csv.tmp-%d-%s-6", dead, host),       // dead, but just written
		".far2.csv.tmp-42-0badcafe-7",                           // another machine, recent
		".gen.csv.tmp-12345",                                    // not hepflow's pattern
		"notes.txt",
		fmt.Sprintf("gen.csv.tmp-%d-%s-8", dead, host), // not hidden
	}
	mk(kept[0], ancient, false)
	mk(kept[1], time.Now(), false)
	mk(kept[2], old, false)
	mk(kept[3], ancient, false)
	mk(kept[4], ancient, false)
	mk(kept[5], ancient, false)
	link := fmt.Sprintf(".link.tmp-%d-%s-9", dead, host)
	os.Symlink(filepath.Join(dir, "notes.txt"), filepath.Join(dir, link))
	kept = append(kept, link)

	removed, err := CleanStale(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != len(gone) {
		t.Errorf("removed %v, want %v", removed, gone)
	}
	for _, n := range gone {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			t.Errorf("stale %s kept", n)
		}
	}
	for _, n := range kept {
		if _, err := os.Lstat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s removed", n)
		}
	}
}

// TestDirCommit: the folder appears only on Commit; with replace, a
// complete earlier folder stays as it was until then and is gone after,
// with no temporary name left.
func TestDirCommit(t *testing.T) {
	parent := t.TempDir()
	p := filepath.Join(parent, "report")
	d, err := CreateDir(p, false, "report.html")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d.Path(), "report.html"), []byte("v1"), 0o644)
	if _, err := os.Stat(p); err == nil {
		t.Fatal("folder visible before Commit")
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateDir(p, false, "report.html"); !errors.As(err, new(*ExistsError)) {
		t.Errorf("existing folder without replace: %v", err)
	}
	d, err = CreateDir(p, true, "report.html")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d.Path(), "report.html"), []byte("v2"), 0o644)
	if b, _ := os.ReadFile(filepath.Join(p, "report.html")); string(b) != "v1" {
		t.Errorf("old folder changed before Commit: %q", b)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(p, "report.html")); string(b) != "v2" {
		t.Errorf("after Commit: %q", b)
	}
	if got := entries(t, parent); len(got) != 1 {
		t.Errorf("left behind: %v", got)
	}
}

// TestDirAbort: an aborted folder leaves nothing, and a replaced one is as
// it was.
func TestDirAbort(t *testing.T) {
	parent := t.TempDir()
	p := filepath.Join(parent, "report")
	os.Mkdir(p, 0o755)
	os.WriteFile(filepath.Join(p, "report.html"), []byte("v1"), 0o644)
	d, err := CreateDir(p, true, "report.html")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d.Path(), "half.png"), []byte("x"), 0o644)
	d.Abort()
	if got := entries(t, parent); len(got) != 1 {
		t.Errorf("left behind: %v", got)
	}
	if got := entries(t, p); len(got) != 1 || got[0] != "report.html" {
		t.Errorf("old folder now holds %v", got)
	}
	if err := d.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

// TestCheckDir: what an output folder may replace.
func TestCheckDir(t *testing.T) {
	parent := t.TempDir()
	mk := func(name string, files ...string) string {
		p := filepath.Join(parent, name)
		os.Mkdir(p, 0o755)
		for _, f := range files {
			os.WriteFile(filepath.Join(p, f), nil, 0o644)
		}
		return p
	}
	file := filepath.Join(parent, "file")
	os.WriteFile(file, nil, 0o644)
	fifo := filepath.Join(parent, "fifo")
	syscall.Mkfifo(fifo, 0o644)
	hep := mk("hep", "report.html", "metrics.json", "a.png")
	link := filepath.Join(parent, "link")
	os.Symlink(hep, link)
	markers := []string{"report.html", "metrics.json"}
	exists, unsafe := "exists", "unsafe"
	for _, c := range []struct {
		path    string
		replace bool
		want    string
	}{
		{filepath.Join(parent, "new"), false, ""},
		{mk("empty"), false, exists},
		{filepath.Join(parent, "empty"), true, ""},
		{hep, false, exists},
		{hep, true, ""},
		{mk("half", "report.html"), true, unsafe},
		{mk("mine", "thesis.tex"), true, unsafe},
		{filepath.Join(parent, "mine"), false, unsafe},
		{file, true, unsafe},
		{fifo, true, unsafe},
		{link, true, unsafe},
	} {
		err := CheckDir(c.path, c.replace, markers)
		got := ""
		switch {
		case errors.As(err, new(*ExistsError)):
			got = exists
		case errors.As(err, new(*UnsafeError)):
			got = unsafe
		case err != nil:
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("CheckDir(%s, %v) = %v, want %q", filepath.Base(c.path), c.replace, err, c.want)
		}
	}
}
