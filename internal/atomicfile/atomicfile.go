// Package atomicfile writes files so that a reader never sees a partial one:
// the content goes to a temporary file in the same folder, is synced, and is
// renamed over the target only when everything succeeded; on failure the
// temporary file is removed and the target is left as it was. [CreateDir]
// does the same for a whole folder.
//
// Only regular files are ever replaced: a device, a FIFO, a socket, a folder
// or a symbolic link at the destination is refused ([UnsafeError]), so that
// an output path such as /dev/null stays what it is. Temporary names carry
// the writer's process id (see [CleanStale]), so the leftovers of a killed
// run can be told from the files of a running one.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// File is a temporary file in the destination's folder that becomes the
// destination only on Commit.
type File struct {
	*os.File
	path string
	perm os.FileMode
	done bool
}

// Create starts writing path with permissions perm (0 means 0644). An
// existing regular file at path is replaced on Commit; anything else there is
// refused with an [*UnsafeError].
func Create(path string, perm os.FileMode) (*File, error) {
	if err := CheckFile(path, true); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), tempPattern(path, "tmp"))
	if err != nil {
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	if perm == 0 {
		perm = 0o644
	}
	return &File{File: f, path: path, perm: perm}, nil
}

// Commit syncs the data, renames the temporary file over the destination
// and syncs the folder so the rename itself survives a crash. The
// destination is checked again first: something other than a regular file
// that appeared there meanwhile is not replaced.
func (a *File) Commit() error {
	if a.done {
		return errors.New("file already closed")
	}
	a.done = true
	tmp := a.Name()
	err := CheckFile(a.path, true)
	if err == nil {
		err = a.Chmod(a.perm)
	}
	if err == nil {
		err = a.Sync()
	}
	if cerr := a.Close(); err == nil {
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

// Abort removes the temporary file; it does nothing after Commit, so
// `defer f.Abort()` is a good habit.
func (a *File) Abort() {
	if a.done {
		return
	}
	a.done = true
	a.Close()
	os.Remove(a.Name())
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // folders cannot be opened for syncing there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync folder: %w", err)
	}
	return nil
}

// Write creates path with the content that fill writes (buffered).
func Write(path string, fill func(w io.Writer) error) error {
	f, err := Create(path, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer f.Abort()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := fill(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteBytes creates path holding b.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}
