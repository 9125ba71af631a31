package atomicfile

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// Temporary names. Every temporary file or folder hepflow writes is a
// hidden sibling of its destination named
//
//	.NAME.tmp-PID-HOST-RANDOM    (being written)
//	.NAME.old-PID-HOST-RANDOM    (a folder being replaced, for an instant)
//
// with the writing process's id and an 8-hex-digit hash of its host name, so
// that a later run can tell the leftovers of a killed run (kill -9, a
// crash, a power cut) from the files of a run still going, possibly on
// another machine sharing the folder: [CleanStale] removes only the first.

// Ages that make a leftover stale.
const (
	// DeadAge is how long a temporary file of a process of this machine
	// that is no longer alive must have been left alone before it is
	// removed (a guard against a process of another PID namespace).
	DeadAge = time.Minute
	// UnknownAge is how long a temporary file whose writer cannot be
	// checked (another machine, or a system without process signals) must
	// have been left alone before it is removed.
	UnknownAge = 24 * time.Hour
)

// maxBase bounds the part of a destination's name kept in a temporary name,
// so that the name stays within the 255 bytes file systems allow.
const maxBase = 200

var tempName = regexp.MustCompile(`^\..+\.(tmp|old)-([1-9][0-9]*)-([0-9a-f]{8})-[0-9]+$`)

// hostID is the hash of the host name in temporary names.
func hostID() string {
	h := fnv.New32a()
	name, _ := os.Hostname()
	h.Write([]byte(name))
	return fmt.Sprintf("%08x", h.Sum32())
}

// tempPattern is the os.CreateTemp / os.MkdirTemp pattern of a temporary
// sibling of path; kind is "tmp" or "old".
func tempPattern(path, kind string) string {
	base := filepath.Base(path)
	if len(base) > maxBase {
		base = base[:maxBase]
	}
	return fmt.Sprintf(".%s.%s-%d-%s-*", base, kind, os.Getpid(), hostID())
}

// IsTemp reports whether name (a file name, not a path) has the form of
// hepflow's temporary names.
func IsTemp(name string) bool { return tempName.MatchString(name) }

// stale reports whether the entry name of a folder, described by fi, is a
// temporary file or folder of hepflow that no running hepflow is writing.
func stale(name string, fi os.FileInfo, now time.Time, host string) bool {
	m := tempName.FindStringSubmatch(name)
	if m == nil || !(fi.Mode().IsRegular() || fi.IsDir()) {
		return false
	}
	pid, err := strconv.Atoi(m[2])
	if err != nil {
		return false
	}
	age := now.Sub(fi.ModTime())
	if m[3] == host && canCheckProcess {
		return !processAlive(pid) && age >= DeadAge
	}
	return age >= UnknownAge
}

// CleanStale removes from dir the temporary files and folders of hepflow
// runs that ended without tidying up (see the naming above): an entry is
// removed only when its name has hepflow's exact pattern and its writer is
// a process of this machine that no longer runs (and it was left alone for
// [DeadAge]), or, when that cannot be checked, when it was left alone for
// [UnknownAge]. Nothing else is touched, and symbolic links never. It
// returns the names it removed; failing to remove one is not an error of the
// run that tidies up, so the errors are joined for whoever wants them.
func CleanStale(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	now, host := time.Now(), hostID()
	var removed []string
	var errs []error
	for _, e := range ents {
		if !IsTemp(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil || !stale(e.Name(), fi, now, host) {
			continue
		}
		if fi.IsDir() {
			err = os.RemoveAll(p)
		} else {
			err = os.Remove(p)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}

// CheckWritable finds out whether temporary files can be created in dir (as
// every output is written) by creating and removing one.
func CheckWritable(dir string) error {
	f, err := os.CreateTemp(dir, tempPattern(filepath.Join(dir, "hepflow-probe"), "tmp"))
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}
