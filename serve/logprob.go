package serve

import (
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"hepflow/data"
	"hepflow/model"
)

// logprobRequest is the JSON body of POST /v1/models/NAME/logprob.
type logprobRequest struct {
	// Columns name the values of each event (default: the model's columns,
	// then its context columns); columns the model does not use are ignored.
	Columns []string    `json:"columns"`
	Events  [][]float64 `json:"events"`
	// Seed of the dequantization noise of discrete columns (default 1), as
	// `hepflow logprob --seed`.
	Seed *uint64 `json:"seed"`
	// Context fixes the context of every event of a conditional model
	// (else it is read from the events' columns), as `logprob --context`.
	Context map[string]float64 `json:"context"`
}

// logprob scores events: a JSON body (logprobRequest), or a CSV (with a
// header), .npy (columns in the model's order, or named by the
// X-Hepflow-Columns header) or Parquet file as the body, with ?seed=S and
// ?context=NAME=VALUE,... in the query.
func (s *Server) logprob(w http.ResponseWriter, r *http.Request) (int64, error) {
	_, m, err := s.model(r)
	if err != nil {
		return 0, err
	}
	var tab *data.Table
	seed := uint64(1)
	var fixed []float64 // a context row for every event, or nil
	switch ct := mediaType(r.Header.Get("Content-Type")); ct {
	case "", typeJSON:
		var req logprobRequest
		if err := decodeJSON(r, &req); err != nil {
			return 0, err
		}
		if req.Seed != nil {
			seed = *req.Seed
		}
		if req.Context != nil {
			if fixed, err = m.ContextRow(req.Context); err != nil {
				return 0, errorf(http.StatusBadRequest, "context: %v", err)
			}
		}
		if tab, err = jsonEvents(m, req, s.cfg.MaxEvents); err != nil {
			return 0, err
		}
	case typeCSV, typeNPY, typeParquet, "application/x-parquet":
		q := r.URL.Query()
		if v := q.Get("seed"); v != "" {
			if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
				return 0, errorf(http.StatusBadRequest, "seed %q: want an unsigned integer", v)
			}
		}
		if v := q.Get("context"); v != "" {
			if fixed, err = m.ParseContext(v); err != nil {
				return 0, errorf(http.StatusBadRequest, "context %v", err)
			}
		}
		if tab, err = s.fileEvents(r, ct, m, fixed != nil); err != nil {
			return 0, err
		}
	default:
		return 0, errorf(http.StatusUnsupportedMediaType, "Content-Type %q: send events as %s, %s, %s or %s", ct, typeJSON, typeCSV, typeNPY, typeParquet)
	}
	rows := tab.Rows()
	if int64(rows) > s.cfg.MaxEvents {
		return 0, errorf(http.StatusRequestEntityTooLarge, "%d events: the server scores at most %d per request", rows, s.cfg.MaxEvents)
	}
	d, k := m.Dim(), m.ContextDim()
	x, c := tab.Data, []float64(nil)
	switch {
	case fixed != nil:
		c = make([]float64, 0, rows*k)
		for range rows {
			c = append(c, fixed...)
		}
	case k > 0:
		x, c = make([]float64, rows*d), make([]float64, rows*k)
		for i := range rows {
			copy(x[i*d:], tab.Data[i*(d+k):i*(d+k)+d])
			copy(c[i*k:], tab.Data[i*(d+k)+d:(i+1)*(d+k)])
		}
	}
	// Scored a noise block at a time, as the command line's logprob.
	lp := make([]float64, rows)
	var un model.Unscored
	for lo := 0; lo < rows; lo += model.NoiseBlock {
		if err := r.Context().Err(); err != nil {
			return 0, err
		}
		hi := min(rows, lo+model.NoiseBlock)
		u, err := m.LogProb(lp[lo:hi], x[lo*d:hi*d], c[lo*k:hi*k], hi-lo, model.NoiseRand(seed, int64(lo/model.NoiseBlock)))
		if err != nil {
			return 0, errorf(http.StatusBadRequest, "%v", err)
		}
		un.UnseenLevel += u.UnseenLevel
		un.NotFinite += u.NotFinite
	}
	if t, _ := negotiate(r.Header.Get("Accept")); t == typeJSON {
		return int64(rows), writeLogProbJSON(w, lp, un)
	}
	enc, err := newTableEncoder(w, r.Header.Get("Accept"), []string{"logprob"}, int64(rows), s.cfg.TempDir)
	if err != nil {
		return 0, err
	}
	defer enc.abort()
	if err := enc.write(lp); err != nil {
		return int64(rows), err
	}
	return int64(rows), enc.finish()
}

// writeLogProbJSON answers {"events", "scored", "mean_logprob", "unscored",
// "logprob": [...]} with null for an event without density.
func writeLogProbJSON(w http.ResponseWriter, lp []float64, un model.Unscored) error {
	vals := make([]any, len(lp))
	var sum float64
	scored := 0
	for i, v := range lp {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			continue // nil: JSON null
		}
		vals[i] = v
		sum += v
		scored++
	}
	var mean any
	if scored > 0 {
		mean = sum / float64(scored)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"events": len(lp), "scored": scored, "mean_logprob": mean, "unscored": un, "logprob": vals})
}

// jsonEvents puts a JSON request's events into a table of the model's
// columns (then its context columns unless fixed).
func jsonEvents(m *model.Model, req logprobRequest, maxEvents int64) (*data.Table, error) {
	want := m.Columns()
	if req.Context == nil {
		want = append(want[:len(want):len(want)], m.ContextColumns()...)
	}
	cols := req.Columns
	if cols == nil {
		cols = want
	}
	if int64(len(req.Events)) > maxEvents {
		return nil, errorf(http.StatusRequestEntityTooLarge, "%d events: the server scores at most %d per request", len(req.Events), maxEvents)
	}
	if len(req.Events) == 0 {
		return nil, errorf(http.StatusBadRequest, "no events: give \"events\": [[...], ...]")
	}
	idx := make([]int, len(want))
	for j, name := range want {
		idx[j] = -1
		for i, c := range cols {
			if c == name {
				idx[j] = i
				break
			}
		}
		if idx[j] < 0 {
			return nil, errorf(http.StatusBadRequest, "column %q is missing from \"columns\" %v", name, cols)
		}
	}
	vals := make([]float64, 0, len(req.Events)*len(want))
	for r, ev := range req.Events {
		if len(ev) != len(cols) {
			return nil, errorf(http.StatusBadRequest, "event %d has %d values for %d columns", r+1, len(ev), len(cols))
		}
		for _, i := range idx {
			vals = append(vals, ev[i])
		}
	}
	tab, err := data.New(want, vals)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	return tab, nil
}

// fileEvents spools a CSV, .npy or Parquet body to a temporary file and
// reads the model's columns (and context columns unless fixed) from it
// with the command line's readers and their checks.
func (s *Server) fileEvents(r *http.Request, ct string, m *model.Model, fixed bool) (*data.Table, error) {
	ext := map[string]string{typeCSV: ".csv", typeNPY: ".npy", typeParquet: ".parquet", "application/x-parquet": ".parquet"}[ct]
	dir, err := os.MkdirTemp(s.cfg.TempDir, "hepflow-serve-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "events"+ext)
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(f, r.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	opts := data.ReadOptions{Workers: 1, Columns: m.Columns()}
	if !fixed {
		opts.Columns = append(opts.Columns[:len(opts.Columns):len(opts.Columns)], m.ContextColumns()...)
	}
	if ct == typeNPY {
		opts.Names = opts.Columns
		if h := r.Header.Get("X-Hepflow-Columns"); h != "" {
			opts.Names = strings.Split(h, ",")
		}
	}
	tab, err := data.Read(r.Context(), path, opts)
	if err != nil {
		if errors.Is(err, r.Context().Err()) && r.Context().Err() != nil {
			return nil, err
		}
		// The temporary path means nothing to the client.
		return nil, errorf(http.StatusBadRequest, "events: %s", strings.ReplaceAll(err.Error(), path, "request body"))
	}
	return tab, nil
}
