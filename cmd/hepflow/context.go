package main

import (
	"context"
	"fmt"
	"math"

	"hepflow/data"
	"hepflow/model"
)

// parseContextValues reads --context NAME=VALUE,... for model m.
func parseContextValues(v string, m *model.Model) ([]float64, error) {
	row, err := m.ParseContext(v)
	if err != nil {
		return nil, usagef("--context %v", err)
	}
	return row, nil
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
