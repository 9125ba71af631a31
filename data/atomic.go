package data

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// atomicFile is a temporary file in the destination's directory that
// becomes the destination only on commit, so readers of the destination
// never see a partial file and a failure leaves nothing behind.
type atomicFile struct {
	f    *os.File
	path string
	perm os.FileMode
	done bool
}

func createAtomic(path string, perm os.FileMode) (*atomicFile, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	return &atomicFile{f: f, path: path, perm: perm}, nil
}

// commit syncs the data, renames the temporary file over the destination
// and syncs the directory so the rename itself survives a crash.
func (a *atomicFile) commit() error {
	if a.done {
		return errors.New("file already closed")
	}
	a.done = true
	tmp := a.f.Name()
	err := a.f.Chmod(a.perm)
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, a.path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(a.path))
}

// abort removes the temporary file; it is a no-op after commit.
func (a *atomicFile) abort() {
	if a.done {
		return
	}
	a.done = true
	a.f.Close()
	os.Remove(a.f.Name())
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for syncing there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

// CheckOutput refuses an output path that names the same file as one of the
// inputs (compared after making paths absolute and resolving symbolic links,
// and by file identity when both exist, which catches hard links), so a
// command never overwrites its own input.
func CheckOutput(path string, inputs ...string) error {
	out, err := canonicalPath(path)
	if err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	outInfo, outErr := os.Stat(out)
	for _, in := range inputs {
		c, err := canonicalPath(in)
		if err != nil {
			return fmt.Errorf("input %s: %w", in, err)
		}
		same := c == out
		if !same && outErr == nil {
			if inInfo, err := os.Stat(c); err == nil {
				same = os.SameFile(inInfo, outInfo)
			}
		}
		if same {
			return fmt.Errorf("output %s is the input %s; choose another output path", path, in)
		}
	}
	return nil
}

// canonicalPath makes path absolute and resolves symbolic links in it; for a
// file that does not exist yet, in its directory.
func canonicalPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return abs, nil // the directory does not exist either: compare as is
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}
