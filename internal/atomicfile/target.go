package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ExistsError is an output path that exists when replacing it was not asked
// for (the command's --force).
type ExistsError struct {
	Path string
	// Folder is set for a folder output: --force would replace the folder
	// as a whole.
	Folder bool
}

// Error implements error.
func (e *ExistsError) Error() string {
	if e.Folder {
		return fmt.Sprintf("%s exists already; use --force to replace it (the whole folder)", e.Path)
	}
	return fmt.Sprintf("%s exists already; use --force to overwrite it", e.Path)
}

// UnsafeError is an output path hepflow never replaces, even when asked to:
// anything but a regular file for a file output (a device, a FIFO, a
// socket, a folder, a symbolic link whatever it points to), anything but
// one of hepflow's own output folders for a folder output.
type UnsafeError struct {
	Path string
	What string // what is there, e.g. "a FIFO (named pipe)"
	Hint string // what hepflow replaces instead, and what to do
}

// Error implements error.
func (e *UnsafeError) Error() string {
	return fmt.Sprintf("%s is %s; %s", e.Path, e.What, e.Hint)
}

const fileHint = "hepflow writes and replaces regular files only, even with --force: choose another output path"

// Describe says what a file is, for messages: "a regular file", "a
// directory", "a symbolic link to TARGET", "a FIFO (named pipe)", ...
func Describe(path string, fi os.FileInfo) string {
	m := fi.Mode()
	switch {
	case m.IsRegular():
		return "a regular file"
	case m&os.ModeSymlink != 0:
		if t, err := os.Readlink(path); err == nil {
			return fmt.Sprintf("a symbolic link (to %s)", t)
		}
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file"
}

// CheckFile reports whether path may become an output file. It may not
// exist yet, or be a regular file, which is replaced only when replace is
// set ([*ExistsError] otherwise). Anything else there is an [*UnsafeError],
// whatever replace says; a symbolic link is not followed.
func CheckFile(path string, replace bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return &UnsafeError{Path: path, What: Describe(path, fi), Hint: fileHint}
	case !replace:
		return &ExistsError{Path: path}
	}
	return nil
}

// CheckDir reports whether path may become an output folder. It may not
// exist yet; an existing folder is replaced (as a whole) only when replace
// is set ([*ExistsError] otherwise), and only when it is empty or holds
// every one of markers, the files each complete output of the kind has, so
// that --force never deletes a folder hepflow did not write. Such a folder,
// and anything but a folder at path, is an [*UnsafeError] whatever replace
// says; a symbolic link is not followed.
func CheckDir(path string, replace bool, markers []string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !fi.IsDir():
		return &UnsafeError{Path: path, What: Describe(path, fi) + ", not a folder",
			Hint: "the output is a folder: choose a path that does not exist yet"}
	}
	empty, err := isEmptyDir(path)
	if err != nil {
		return err
	}
	if !empty {
		for _, m := range markers {
			if fi, err := os.Lstat(filepath.Join(path, m)); err != nil || !fi.Mode().IsRegular() {
				return &UnsafeError{Path: path, What: "a folder that hepflow did not write (it has no " + strings.Join(markers, " and ") + ")",
					Hint: "--force replaces only hepflow's own output folders, as a whole: choose another path, or empty or remove the folder yourself"}
			}
		}
	}
	if !replace {
		return &ExistsError{Path: path, Folder: true}
	}
	return nil
}

// isEmptyDir reports whether the folder at path has no entries.
func isEmptyDir(path string) (bool, error) {
	d, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer d.Close()
	_, err = d.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}
