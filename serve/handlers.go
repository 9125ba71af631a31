package serve

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"

	"hepflow/model"
	"hepflow/workflow/generate"
)

// modelInfo is a model's metadata as GET /v1/models shows it.
type modelInfo struct {
	Name          string           `json:"name"`
	Columns       []string         `json:"columns"`
	OutputColumns []string         `json:"output_columns"`
	Context       []string         `json:"context,omitempty"`
	Constants     []model.Constant `json:"constant_columns,omitempty"`
	Flow          any              `json:"flow"`
	Ensemble      int              `json:"ensemble"`
	Data          model.DataInfo   `json:"data"`
	Training      json.RawMessage  `json:"training,omitempty"`
	Version       string           `json:"hepflow_version"`
}

func (s *Server) info(name string) modelInfo {
	m := s.models[name]
	mi := modelInfo{Name: name, Columns: m.Columns(), OutputColumns: m.OutputColumns(), Context: m.ContextColumns(),
		Constants: m.Info.Constants, Flow: m.Info.Spec, Ensemble: m.Ensemble(), Data: m.Info.Data, Version: m.Info.Hepflow}
	if json.Valid(m.Info.Training) {
		mi.Training = m.Info.Training
	}
	return mi
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) (int64, error) {
	out := make([]modelInfo, 0, len(s.names))
	for _, n := range s.names {
		out = append(out, s.info(n))
	}
	return 0, writeJSON(w, http.StatusOK, map[string]any{"models": out})
}

func (s *Server) model(r *http.Request) (string, *model.Model, error) {
	name := r.PathValue("name")
	m, ok := s.models[name]
	if !ok {
		return "", nil, errorf(http.StatusNotFound, "no model %q (models: %s)", name, strings.Join(s.names, ", "))
	}
	return name, m, nil
}

func (s *Server) showModel(w http.ResponseWriter, r *http.Request) (int64, error) {
	name, _, err := s.model(r)
	if err != nil {
		return 0, err
	}
	return 0, writeJSON(w, http.StatusOK, s.info(name))
}

// sampleRequest is the body of POST /v1/models/NAME/sample.
type sampleRequest struct {
	// N events of the run seeded by Seed (default 1): the events of
	// `hepflow sample -n N --seed S`.
	N    int64   `json:"n"`
	Seed *uint64 `json:"seed"`
	// Context of a conditional model, by column: a number fixes it for
	// every event, an array gives one value per event (N of them).
	Context map[string]json.RawMessage `json:"context"`
	// Shard "K/M" draws the events of shard K of M of the run, as
	// `sample --shard K/M`.
	Shard string `json:"shard"`
}

func (s *Server) sample(w http.ResponseWriter, r *http.Request) (int64, error) {
	_, m, err := s.model(r)
	if err != nil {
		return 0, err
	}
	var req sampleRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, err
	}
	if req.N < 1 || req.N > s.cfg.MaxEvents {
		return 0, errorf(http.StatusBadRequest, "n %d: want 1 to %d events per request (the server's limit)", req.N, s.cfg.MaxEvents)
	}
	run := generate.Run{N: req.N, Seed: 1}
	if req.Seed != nil {
		run.Seed = *req.Seed
	}
	if req.Shard != "" {
		k, of, err := generate.ParseShard(req.Shard)
		if err != nil {
			return 0, errorf(http.StatusBadRequest, "%v", err)
		}
		run.Lo, run.Hi = generate.Shard(req.N, k, of)
		if run.Lo == run.Hi {
			return 0, errorf(http.StatusBadRequest, "shard %s of %d events is empty", req.Shard, req.N)
		}
	}
	if run.Context, run.PerEvent, err = sampleContext(m, req.Context, req.N); err != nil {
		return 0, err
	}
	if err := run.Check(m); err != nil {
		return 0, errorf(http.StatusBadRequest, "%v", err)
	}
	rows := run.N
	if run.Hi != 0 {
		rows = run.Hi - run.Lo
	}
	cols := generate.Columns(m)
	enc, err := newTableEncoder(w, r.Header.Get("Accept"), cols, rows, s.cfg.TempDir)
	if err != nil {
		return 0, err
	}
	defer enc.abort()
	var events int64
	err = generate.Generate(r.Context(), m, run, func(rows []float64) error {
		events += int64(len(rows) / len(cols))
		return enc.write(rows)
	})
	if err != nil {
		return events, err
	}
	return events, enc.finish()
}

// sampleContext reads a sample request's context: every column of the
// model's context, each a number (one row for all events) or an array of
// n numbers; (nil, nil) for an unconditional model without one.
func sampleContext(m *model.Model, given map[string]json.RawMessage, n int64) (one, perEvent []float64, err error) {
	cols := m.ContextColumns()
	for name := range given {
		if !slices.Contains(cols, name) {
			if len(cols) == 0 {
				return nil, nil, errorf(http.StatusBadRequest, "context %q: the model is not conditional", name)
			}
			return nil, nil, errorf(http.StatusBadRequest, "context %q: the model's context columns are %s", name, strings.Join(cols, ", "))
		}
	}
	if len(cols) == 0 {
		return nil, nil, nil
	}
	k := int64(len(cols))
	for j, name := range cols {
		raw, ok := given[name]
		if !ok {
			return nil, nil, errorf(http.StatusBadRequest, "the model is conditional on %s: give \"context\": {%q: value or [n values], ...}", strings.Join(cols, ", "), name)
		}
		var v float64
		if err := json.Unmarshal(raw, &v); err == nil {
			if one == nil {
				if perEvent != nil {
					return nil, nil, errorf(http.StatusBadRequest, "context: give every column as a number or every column as an array")
				}
				one = make([]float64, k)
			}
			one[j] = v
			continue
		}
		var vs []float64
		if err := json.Unmarshal(raw, &vs); err != nil {
			return nil, nil, errorf(http.StatusBadRequest, "context %q: want a number or an array of numbers", name)
		}
		if int64(len(vs)) != n {
			return nil, nil, errorf(http.StatusBadRequest, "context %q: %d values for n = %d events", name, len(vs), n)
		}
		if one != nil {
			return nil, nil, errorf(http.StatusBadRequest, "context: give every column as a number or every column as an array")
		}
		if perEvent == nil {
			perEvent = make([]float64, n*k)
		}
		for i, x := range vs {
			perEvent[int64(i)*k+int64(j)] = x
		}
	}
	for _, vs := range [][]float64{one, perEvent} {
		for _, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, errorf(http.StatusBadRequest, "context: every value must be finite")
			}
		}
	}
	return one, perEvent, nil
}

// decodeJSON reads the body as one JSON object into v, refusing unknown
// fields (a typo must not pass silently) and trailing data.
func decodeJSON(r *http.Request, v any) error {
	if ct := mediaType(r.Header.Get("Content-Type")); ct != "" && ct != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, "Content-Type %q: this endpoint takes application/json", ct)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errorf(http.StatusBadRequest, "request body: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "request body: data after the JSON object")
	}
	return nil
}

// mediaType is the media type of a Content-Type or Accept entry, lower case.
func mediaType(v string) string {
	t, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

func writeJSON(w http.ResponseWriter, code int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, err = w.Write(append(b, '\n'))
	return err
}
