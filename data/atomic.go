package data

import (
	"fmt"
	"os"
	"path/filepath"
)

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
		if in == "" {
			continue // an optional input that was not given
		}
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
