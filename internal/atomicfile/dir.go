package atomicfile

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Dir is an output folder written under a temporary sibling name (see
// [CleanStale] for the naming) that takes the destination's name only on
// Commit, so that the destination never holds half a report: a run that
// fails or is interrupted leaves the destination as it was.
type Dir struct {
	path    string
	tmp     string
	replace bool
	markers []string
	done    bool
}

// CreateDir starts writing the folder path. The destination is checked
// with [CheckDir] (replace is the command's --force; markers are the files
// every complete folder of the kind holds) now and again on Commit; until
// then it is not touched. Write the content into [Dir.Path].
func CreateDir(path string, replace bool, markers ...string) (*Dir, error) {
	if err := CheckDir(path, replace, markers); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), tempPattern(path, "tmp"))
	if err != nil {
		return nil, fmt.Errorf("create temporary folder: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		os.Remove(tmp)
		return nil, fmt.Errorf("create temporary folder: %w", err)
	}
	return &Dir{path: path, tmp: tmp, replace: replace, markers: markers}, nil
}

// Path returns the temporary folder to write into.
func (d *Dir) Path() string { return d.tmp }

// Dest returns the destination folder.
func (d *Dir) Dest() string { return d.path }

// Commit moves the complete folder into place. A folder at the destination
// (allowed by [CheckDir], checked again now) is first moved aside under a
// temporary name, then the new one takes its name, and only then is the old
// one removed; if the second rename fails the old folder is put back. On
// any error the temporary folder is removed.
func (d *Dir) Commit() error {
	if d.done {
		return errors.New("folder already committed or aborted")
	}
	d.done = true
	err := d.commit()
	if err != nil {
		os.RemoveAll(d.tmp)
		return fmt.Errorf("write %s: %w", d.path, err)
	}
	return nil
}

func (d *Dir) commit() error {
	if err := CheckDir(d.path, d.replace, d.markers); err != nil {
		return err
	}
	if err := syncDir(d.tmp); err != nil {
		return err
	}
	parent := filepath.Dir(d.path)
	old := ""
	if _, err := os.Lstat(d.path); err == nil {
		old = filepath.Join(parent, strings.TrimSuffix(tempPattern(d.path, "old"), "*")+fmt.Sprint(rand.Uint32()))
		if err := os.Rename(d.path, old); err != nil {
			return fmt.Errorf("move the previous folder aside: %w", err)
		}
	}
	if err := os.Rename(d.tmp, d.path); err != nil {
		if old != "" {
			if rerr := os.Rename(old, d.path); rerr != nil {
				return fmt.Errorf("%w; the previous folder is at %s (putting it back failed: %v)", err, old, rerr)
			}
		}
		return err
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	if old != "" {
		// The new folder is in place; a failure here leaves a hidden
		// leftover that the next run cleans (CleanStale).
		os.RemoveAll(old)
	}
	return nil
}

// Abort removes the temporary folder and everything in it; the destination
// is left as it was. It does nothing after Commit, so `defer d.Abort()` is a
// good habit.
func (d *Dir) Abort() {
	if d.done {
		return
	}
	d.done = true
	os.RemoveAll(d.tmp)
}
