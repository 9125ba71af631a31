package rootfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go-hep.org/x/hep/groot/riofs"
	"go-hep.org/x/hep/groot/rtree"
)

// writeTrees writes, with groot directly, a file holding trees at the
// given "dir/name" places, each with one float64 branch x = entry.
func writeTrees(t *testing.T, path string, names ...string) {
	t.Helper()
	f, err := riofs.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]riofs.Directory{"": f}
	for _, name := range names {
		dirName, base := "", name
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			dirName, base = name[:i], name[i+1:]
		}
		dir, ok := dirs[dirName]
		if !ok {
			if dir, err = riofs.Dir(f).Mkdir(dirName); err != nil {
				t.Fatal(err)
			}
			dirs[dirName] = dir
		}
		var x float64
		tw, err := rtree.NewWriter(dir, base, []rtree.WriteVar{{Name: "x", Value: &x}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			x = float64(i)
			if _, err := tw.Write(); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTreesInFolders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dirs.root")
	writeTrees(t, path, "top", "sub/inner", "sub/deeper/leaf")
	got, err := Trees(path)
	if want := []string{"top", "sub/inner", "sub/deeper/leaf"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("Trees = %v, %v; want %v", got, err, want)
	}
	for _, name := range []string{"sub/inner", "/sub/deeper/leaf", "top"} {
		_, data := readAll(t, path, Options{Tree: name})
		if !slices.Equal(data, []float64{0, 1, 2, 3, 4}) {
			t.Errorf("tree %s: %v", name, data)
		}
	}
	info, err := Inspect(path, Options{Tree: "/sub/inner"})
	if err != nil || info.Tree != "sub/inner" || info.Entries != 5 {
		t.Errorf("Inspect = %+v, %v", info, err)
	}

	// Several trees and none named: an error that lists them.
	_, _, err = tryReadAll(path, Options{})
	want := `dirs.root: no such tree: the file holds 3 trees, name one: "top", "sub/inner", "sub/deeper/leaf"`
	if !errors.Is(err, ErrNoTree) || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("several trees: %v", err)
	}
	// A missing tree.
	_, _, err = tryReadAll(path, Options{Tree: "Events"})
	want = `dirs.root: tree "Events": no such tree (trees: "top", "sub/inner", "sub/deeper/leaf")`
	if !errors.Is(err, ErrNoTree) || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("missing tree: %v", err)
	}
	// A folder is not a tree.
	if _, _, err = tryReadAll(path, Options{Tree: "sub"}); !errors.Is(err, ErrNoTree) {
		t.Errorf("folder as a tree: %v", err)
	}
}

// Each selection error names the file, the tree and the branch.
func TestScanErrorsNameFileTreeBranch(t *testing.T) {
	const path = "testdata/sample-6.14.00-zlib.root"
	for _, c := range []struct {
		cols []string
		is   error
		msg  string
	}{
		{[]string{"n", "x"}, ErrNoBranch, `testdata/sample-6.14.00-zlib.root: tree "sample": no such branch "x" (branches: "n", "b", "ab", "Ab", "i1",`},
		{[]string{"str"}, ErrUnsupported, `testdata/sample-6.14.00-zlib.root: tree "sample": branch "str": unsupported branch type: a string (char*) branch`},
		{[]string{"Ai4"}, ErrBadColumn, `tree "sample": branch "Ai4": bad column "Ai4": the branch is a variable-length array int32[n]; name one element, such as "Ai4[0]"`},
		{[]string{"ai4[3]"}, ErrBadColumn, `branch "ai4": bad column "ai4[3]": index 3 out of range for int32[3]`},
		{[]string{"ai4[0][0]"}, ErrBadColumn, `branch "ai4": bad column "ai4[0][0]": the branch is an array int32[3]; name one element, such as "ai4[0]"`},
		{[]string{"Ai4[0][1]"}, ErrBadColumn, `name one element, such as "Ai4[0]"`},
		{[]string{"n[0]"}, ErrBadColumn, `branch "n": bad column "n[0]": the branch holds one int32 per event, it takes no index`},
		{[]string{"n", "n"}, ErrBadColumn, `bad column "n": asked for twice (columns 1 and 2)`},
		{[]string{"f4[x]"}, ErrBadColumn, `bad column "f4[x]": index "x" is not a non-negative integer`},
	} {
		_, _, err := tryReadAll(path, Options{Columns: c.cols})
		var e *Error
		if !errors.Is(err, c.is) || !errors.As(err, &e) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("columns %v: got %v, want %v containing %q", c.cols, err, c.is, c.msg)
		}
		if _, ierr := Inspect(path, Options{Columns: c.cols}); ierr == nil || ierr.Error() != err.Error() {
			t.Errorf("Inspect and Scan disagree: %v vs %v", ierr, err)
		}
	}
	_, _, err := tryReadAll("testdata/ndim.root", Options{})
	if !errors.Is(err, ErrBadColumn) || !strings.Contains(err.Error(), "no flat numeric branch to read by default") {
		t.Errorf("no default columns: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notROOT := filepath.Join(dir, "x.root")
	os.WriteFile(notROOT, []byte("a,b\n1,2\n"), 0o644)
	empty := filepath.Join(dir, "empty.root")
	os.WriteFile(empty, nil, 0o644)
	for path, want := range map[string]string{
		filepath.Join(dir, "missing.root"): "no such file",
		notROOT:                            `not a ROOT file (no "root" magic bytes at the start)`,
		empty:                              "not a ROOT file",
		dir:                                "not a regular file",
	} {
		_, err := Trees(path)
		if err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), want) {
			t.Errorf("Trees(%s) = %v, want %q", path, err, want)
		}
		if err := Scan(context.Background(), path, Options{}, func(*Chunk) error { return nil }); err == nil {
			t.Errorf("Scan(%s) succeeded", path)
		}
	}
	if _, err := Trees(filepath.Join(dir, "missing.root")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v does not wrap os.ErrNotExist", err)
	}
}
