package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hepflow/data"
	"hepflow/workflow/resonant"
)

// TestResonantMethods runs anomaly --method cathode, anode and supervised
// end to end on small synthetic sets: --example and --data with --inject,
// the report, the per-event scores next to the input columns, and misuse.
func TestResonantMethods(t *testing.T) {
	dir := t.TempDir()
	quick := []string{"--signal-region", "3.7:4.3", "--epochs", "5", "--hidden", "16,16", "--blocks", "2", "--folds", "3", "--classifiers", "1", "--classifier-epochs", "20", "--classifier-patience", "5", "--json"}
	out := filepath.Join(dir, "cathode")
	stdout, stderr, code := hepflow(t, append([]string{"anomaly", "--method", "cathode", "--example", "synthetic", "--example-background", "20000",
		"--example-signal", "400", "--truth", "label", "--out", out}, quick...)...)
	if code != 0 {
		t.Fatalf("cathode: exit %d: %s", code, stderr)
	}
	var res struct {
		Method        string `json:"method"`
		NSignalRegion int    `json:"n_signal_region"`
		Truth         struct {
			NSignal int     `json:"n_signal"`
			AUC     float64 `json:"auc"`
		} `json:"truth"`
		DataVsGenerated struct {
			AUC float64 `json:"auc"`
		} `json:"data_vs_generated"`
	}
	lastJSON(t, stdout, &res)
	if res.Method != "cathode" || res.Truth.NSignal < 300 || res.Truth.AUC < 0.8 || res.DataVsGenerated.AUC <= 0.5 {
		t.Errorf("cathode summary %+v", res)
	}
	cols, rows := readCSV(t, filepath.Join(out, "scores.csv"))
	if strings.Join(cols, ",") != "m,x1,x2,x3,x4,label,score,density_score" || len(rows) != res.NSignalRegion {
		t.Errorf("scores.csv: columns %v, %d rows for %d signal-region events", cols, len(rows), res.NSignalRegion)
	}
	for _, r := range rows {
		if r[0] < 3.7 || r[0] >= 4.3 {
			t.Fatalf("scores.csv holds an event outside the signal region: m = %g", r[0])
		}
	}
	for _, f := range []string{"report.html", "metrics.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}

	// --data with --inject: background and signal files, the injected
	// events are the truth.
	bkg := resonant.Synthetic{Background: 20000, Seed: 7}.Generate()
	sig := resonant.Synthetic{Signal: 500, Seed: 8}.Generate()
	for _, tab := range []*data.Table{bkg, sig} {
		if err := tab.Drop("label"); err != nil {
			t.Fatal(err)
		}
	}
	bp, sp := filepath.Join(dir, "bkg.csv"), filepath.Join(dir, "sig.csv")
	if err := data.Write(bp, bkg, data.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := data.Write(sp, sig, data.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Without --truth the injected events are the truth, so supervised runs too.
	for _, method := range []string{"anode", "supervised"} {
		stdout, stderr, code = hepflow(t, append([]string{"anomaly", "--method", method, "--data", bp, "--inject", "300", "--signal", sp,
			"--resonant", "m", "--out", filepath.Join(dir, method)}, quick...)...)
		if code != 0 {
			t.Fatalf("%s --inject: exit %d: %s", method, code, stderr)
		}
		lastJSON(t, stdout, &res)
		if res.Method != method || res.Truth.NSignal < 250 || res.Truth.AUC < 0.7 {
			t.Errorf("%s --inject: %+v", method, res)
		}
	}
	if _, stderr, code := hepflow(t, append([]string{"anomaly", "--method", "idealized", "--example", "synthetic", "--example-background", "20000",
		"--example-signal", "400", "--truth", "label", "--out", filepath.Join(dir, "ideal")}, quick...)...); code != 0 {
		t.Fatalf("idealized: exit %d: %s", code, stderr)
	}
	for _, bad := range [][]string{
		{"anomaly", "--method", "idealized", "--data", bp, "--resonant", "m", "--signal-region", "3.7:4.3", "--out", filepath.Join(dir, "b0")},
		{"anomaly", "--method", "cathode", "--example", "synthetic", "--out", filepath.Join(dir, "b1")},                               // no region
		{"anomaly", "--method", "cathode", "--example", "synthetic", "--signal-region", "4.3:3.7", "--out", filepath.Join(dir, "b2")}, // empty region
		{"anomaly", "--method", "supervised", "--data", bp, "--resonant", "m", "--signal-region", "3.7:4.3", "--out", filepath.Join(dir, "b3")},
		{"anomaly", "--method", "cathode", "--data", bp, "--inject", "10", "--resonant", "m", "--signal-region", "3.7:4.3", "--out", filepath.Join(dir, "b4")},
		{"anomaly", "--method", "kde", "--data", bp, "--resonant", "m", "--signal-region", "3.7:4.3", "--out", filepath.Join(dir, "b5")},
	} {
		if _, stderr, code := hepflow(t, bad...); code != 2 {
			t.Errorf("%v: exit %d, %q", bad, code, stderr)
		}
		if _, err := os.Stat(bad[len(bad)-1]); err == nil {
			t.Errorf("%v wrote its output", bad)
		}
	}
}
