package report

import (
	"encoding/json"
	"fmt"

	"hepflow/internal/atomicfile"
)

// WriteJSON writes v as indented JSON to path atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, append(b, '\n'))
}

// Markers are the files every complete report folder holds: --force
// replaces an existing folder only when it has them all, so it never
// deletes a folder hepflow did not write.
func Markers() []string { return []string{HTMLName, MetricsName} }

// CreateFolder starts writing the report folder path under a temporary
// name: give [atomicfile.Dir.Path] to [NewBuilder], and Commit once
// [Builder.Write] succeeded; until then path is untouched, and Abort (or a
// failed Commit) removes everything written. replace allows replacing a
// complete earlier report folder as a whole.
func CreateFolder(path string, replace bool) (*atomicfile.Dir, error) {
	return atomicfile.CreateDir(path, replace, Markers()...)
}
