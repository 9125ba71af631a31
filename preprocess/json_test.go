package preprocess

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	const rows = 1500
	x := testData(rows, 41)
	s, err := Fit(x, rows, testCols, testOpts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var loaded Scaler
	if err := json.Unmarshal(b, &loaded); err != nil {
		t.Fatal(err)
	}
	b2, err := json.Marshal(&loaded)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(b2) {
		t.Errorf("re-marshalled JSON differs:\n%s\n%s", b, b2)
	}
	d := s.Dim()
	run := func(s *Scaler) ([]float32, []float64, []float64) {
		y, ld := make([]float32, rows*d), make([]float64, rows)
		if err := s.ToLatent(y, x, rows, ld, rand.New(rand.NewPCG(3, 4))); err != nil {
			t.Fatal(err)
		}
		back := make([]float64, rows*d)
		s.ToData(back, y, rows)
		return y, ld, back
	}
	y1, ld1, back1 := run(s)
	y2, ld2, back2 := run(&loaded)
	for i := range y1 {
		if y1[i] != y2[i] || back1[i] != back2[i] {
			t.Fatalf("entry %d: loaded scaler gives y %v, x %v; fitted gives %v, %v", i, y2[i], back2[i], y1[i], back1[i])
		}
	}
	for i := range ld1 {
		if ld1[i] != ld2[i] {
			t.Fatalf("row %d: loaded logdet %v, fitted %v", i, ld2[i], ld1[i])
		}
	}
	if !strings.Contains(string(b), `"version":2`) || !strings.Contains(string(b), `"kind":"periodic"`) {
		t.Errorf("unexpected JSON: %s", b)
	}
}

func TestJSONRefusesCorrupt(t *testing.T) {
	const good = `{"version":1,"beta":1e-6,"dequant_guard":1e-4,"columns":[
		{"name":"pt","kind":"continuous","min":20,"max":300,"mean":-1.5,"std":1.2},
		{"name":"btag","kind":"discrete","levels":[0,1.08,2.17],"mean":0.2,"std":1.7}]}`
	var s Scaler
	if err := json.Unmarshal([]byte(good), &s); err != nil {
		t.Fatalf("good JSON refused: %v", err)
	}
	if s.Dim() != 2 {
		t.Fatalf("Dim %d, want 2", s.Dim())
	}
	cases := []struct {
		name, from, to, want string
	}{
		{"negative std", `"std":1.2`, `"std":-1.2`, "std = -1.2"},
		{"zero std", `"std":1.7`, `"std":0`, "std = 0"},
		{"max <= min", `"max":300`, `"max":20`, "range [20, 20]"},
		{"no levels", `"levels":[0,1.08,2.17]`, `"levels":[]`, "0 levels"},
		{"unsorted levels", `[0,1.08,2.17]`, `[0,2.17,1.08]`, "strictly increasing"},
		{"repeated level", `[0,1.08,2.17]`, `[0,1.08,1.08]`, "strictly increasing"},
		{"NaN", `"mean":-1.5`, `"mean":NaN`, "invalid character"},
		{"huge number", `"max":300`, `"max":1e999`, "max"},
		{"missing std", `,"std":1.2`, ``, "mean and std are required"},
		{"missing min", `"min":20,`, ``, "needs min and max"},
		{"discrete with range", `"kind":"discrete",`, `"kind":"discrete","min":0,"max":1,`, "levels only"},
		{"unknown kind", `"kind":"continuous"`, `"kind":"angular"`, `kind "angular"`},
		{"version", `"version":1`, `"version":3`, "version 3"},
		{"beta", `"beta":1e-6`, `"beta":1`, "beta = 1"},
		{"missing beta", `"beta":1e-6,`, ``, "beta and dequant_guard are required"},
		{"guard", `"dequant_guard":1e-4`, `"dequant_guard":0.5`, "guard = 0.5"},
		{"unknown field", `"std":1.2`, `"std":1.2,"sdt":1`, "unknown field"},
		{"duplicate name", `"name":"btag"`, `"name":"pt"`, "both named"},
	}
	for _, tc := range cases {
		if !strings.Contains(good, tc.from) {
			t.Fatalf("%s: %q not in the good JSON", tc.name, tc.from)
		}
		bad := strings.Replace(good, tc.from, tc.to, 1)
		loaded := s
		err := json.Unmarshal([]byte(bad), &loaded)
		if err == nil {
			t.Errorf("%s: corrupt JSON accepted", tc.name)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not mention %q", tc.name, err, tc.want)
		}
		if loaded.Dim() != 2 {
			t.Errorf("%s: receiver changed by a failed unmarshal", tc.name)
		}
	}
	if err := json.Unmarshal([]byte(`{"version":1,"beta":1e-6,"dequant_guard":1e-4,"columns":[]}`), &s); err == nil ||
		!strings.Contains(err.Error(), "no columns") {
		t.Errorf("empty column list: error %v, want one about no columns", err)
	}
}
