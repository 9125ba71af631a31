package data

import (
	"context"
	"fmt"
)

// Convert copies the events of in to out, each in any supported format (told
// by the extensions or the options), streaming: one chunk at a time, in
// constant memory. ropts select the rows and columns as for Read; progress,
// when set, gets the events written so far after every chunk. The output
// is written atomically; when no event passes ropts.Where nothing is
// written and the error wraps ErrNoRows.
func Convert(ctx context.Context, in, out string, ropts ReadOptions, wopts WriteOptions, progress func(events int64)) (int64, error) {
	var w *Writer
	defer func() {
		if w != nil {
			w.Abort()
		}
	}()
	var n int64
	err := Scan(ctx, in, ropts, func(t *Table) error {
		if w == nil {
			var err error
			if w, err = Create(out, t.Columns, wopts); err != nil {
				return err
			}
		}
		if err := w.WriteRows(t.Data); err != nil {
			return err
		}
		n += int64(t.Rows())
		if progress != nil {
			progress(n)
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if w == nil {
		return 0, fmt.Errorf("%s: %w", in, ErrNoRows)
	}
	if err := w.Close(); err != nil {
		return n, err
	}
	w = nil
	return n, nil
}
