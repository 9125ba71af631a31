package data

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// CheckOutputDir refuses an output folder that is one of the inputs or
// holds one of them (compared as [CheckOutput] does): the folder is replaced
// as a whole, and an input inside it would go with it.
func CheckOutputDir(path string, inputs ...string) error {
	out, err := canonicalPath(path)
	if err != nil {
		return fmt.Errorf("output %s: %w", path, err)
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		c, err := canonicalPath(in)
		if err != nil {
			return fmt.Errorf("input %s: %w", in, err)
		}
		rel, err := filepath.Rel(out, c)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if rel == "." {
			return fmt.Errorf("output %s is the input %s; choose another output path", path, in)
		}
		return fmt.Errorf("input %s lies inside the output folder %s, which is replaced as a whole; choose another output path", in, path)
	}
	return nil
}

// SideFiles returns the files written beside a table written to path in
// format (empty: the format its extension tells): the column names of a
// .npy file (FILE.npy.columns). They follow the main file's rules: refused
// when they exist, unless replacing was asked for.
func SideFiles(path string, format Format) []string {
	if format == "" {
		f, err := FormatOf(path)
		if err != nil {
			return nil
		}
		format = f
	}
	if format == FormatNPY {
		return []string{npySidecar(path)}
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
