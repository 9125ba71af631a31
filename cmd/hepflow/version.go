package main

import (
	"context"
	"fmt"
	"runtime"

	"hepflow/model"
)

func runVersion(_ context.Context, args []string, e *env) error {
	fs := newFlags("version", "version", "", e)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "hepflow %s (%s, model format %d)\n", model.Version, runtime.Version(), model.FormatVersion)
	return nil
}
