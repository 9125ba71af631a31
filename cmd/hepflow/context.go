package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"hepflow/data"
	"hepflow/model"
)

// parseContextValues reads --context NAME=VALUE,... for a model conditioned
// on cols: every context column exactly once, finite values.
func parseContextValues(v string, cols []string) ([]float64, error) {
	if len(cols) == 0 {
		return nil, usagef("--context %q: the model is not conditional (it was trained without --context)", v)
	}
	out := make([]float64, len(cols))
	seen := make([]bool, len(cols))
	for _, kv := range splitList(v) {
		name, val, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, usagef("--context %q: want NAME=VALUE pairs separated by commas, e.g. %s=1", v, cols[0])
		}
		j := slices.Index(cols, name)
		if j < 0 {
			return nil, usagef("--context: %q is not a context column of the model (its context: %s)", name, strings.Join(cols, ", "))
		}
		if seen[j] {
			return nil, usagef("--context: %q given twice", name)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, usagef("--context %s=%q: want a finite number", name, val)
		}
		out[j], seen[j] = f, true
	}
	for j, s := range seen {
		if !s {
			return nil, usagef("--context: no value for the context column %q (the model's context: %s)", cols[j], strings.Join(cols, ", "))
		}
	}
	return out, nil
}

// readContextFile reads the model's context columns from path (other
// columns are ignored), one row per generated event.
func readContextFile(ctx context.Context, path string, m *model.Model, opts data.ReadOptions) ([]float64, int, error) {
	if m.ContextDim() == 0 {
		return nil, 0, usagef("--context-from %s: the model is not conditional (it was trained without --context)", path)
	}
	opts.Columns = m.ContextColumns()
	opts.Drop = nil
	tab, err := data.Read(ctx, path, opts)
	if err != nil {
		return nil, 0, fmt.Errorf("--context-from: %w", err)
	}
	for i, v := range tab.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			k := m.ContextDim()
			return nil, 0, fmt.Errorf("--context-from %s: event %d, column %q: value %g is not finite", path, i/k+1, tab.Columns[i%k], v)
		}
	}
	return tab.Data, tab.Rows(), nil
}
