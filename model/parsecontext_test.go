package model

import (
	"slices"
	"strings"
	"testing"
)

// TestParseContext: NAME=VALUE,... gives the model's context row in its
// order; every misuse says what is wrong.
func TestParseContext(t *testing.T) {
	m := &Model{Info: Info{Context: []ContextColumn{{Name: "m", Std: 1}, {Name: "label", Std: 1}}}}
	row, err := m.ParseContext(" label=1 , m=3.5")
	if err != nil || !slices.Equal(row, []float64{3.5, 1}) {
		t.Fatalf("row %v, %v", row, err)
	}
	for s, want := range map[string]string{
		"m=1":             `no value for the context column "label"`,
		"m=1,label=0,x=2": `"x" is not a context column`,
		"m=1,m=2,label=0": `"m" given twice`,
		"m=1,label=NaN":   "want a finite number",
		"m=1,label=abc":   "want a finite number",
		"m:1,label=0":     "want NAME=VALUE",
	} {
		if _, err := m.ParseContext(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", s, err, want)
		}
	}
	if _, err := (&Model{}).ParseContext("a=1"); err == nil || !strings.Contains(err.Error(), "not conditional") {
		t.Errorf("unconditional model: %v", err)
	}
}
