package preprocess

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// FormatVersion is the version of the JSON form written by MarshalJSON:
// 2 since the unbounded and positive kinds and the tails beyond a logit's
// range. Version 1 (logit, discrete and periodic columns only) reads as
// before and gains the tails; a hepflow that reads only version 1 refuses a
// version-2 file instead of mapping it without its tails.
const FormatVersion = 2

// wireScaler is the JSON form, stored in the model file's metadata:
//
//	{"version": 1, "beta": 1e-06, "dequant_guard": 0.0001,
//	 "columns": [
//	   {"name": "lepton_pT", "kind": "continuous", "min": 0.27, "max": 8.28, "mean": -1.9, "std": 1.1},
//	   {"name": "lepton_phi", "kind": "periodic", "min": -3.14159, "max": 3.14159, "mean": 0, "std": 1.8},
//	   {"name": "jet1_btag", "kind": "discrete", "levels": [0, 1.0865, 2.173], "mean": 0.1, "std": 1.7}]}
//
// Numbers are float64 written in shortest round-trip form, so a saved scaler
// maps bit for bit like the fitted one.
type wireScaler struct {
	Version      int          `json:"version"`
	Beta         *float64     `json:"beta"`
	DequantGuard *float64     `json:"dequant_guard"`
	Columns      []wireColumn `json:"columns"`
}

type wireColumn struct {
	Name   string    `json:"name"`
	Kind   Kind      `json:"kind"`
	Min    *float64  `json:"min,omitempty"`
	Max    *float64  `json:"max,omitempty"`
	Loc    *float64  `json:"loc,omitempty"`
	Scale  *float64  `json:"scale,omitempty"`
	Shift  *float64  `json:"shift,omitempty"`
	Levels []float64 `json:"levels,omitempty"`
	Mean   *float64  `json:"mean"`
	Std    *float64  `json:"std"`
}

// MarshalJSON writes every fitted parameter in the versioned form above.
func (s *Scaler) MarshalJSON() ([]byte, error) {
	w := wireScaler{Version: FormatVersion, Beta: ptr(s.beta), DequantGuard: ptr(s.guard)}
	for j := range s.cols {
		c := &s.cols[j]
		wc := wireColumn{Name: c.Name, Kind: c.Kind, Mean: ptr(c.Mean), Std: ptr(c.Std)}
		switch c.Kind {
		case KindDiscrete:
			wc.Levels = c.Levels
		case KindUnbounded:
			wc.Min, wc.Max, wc.Loc, wc.Scale = ptr(c.Min), ptr(c.Max), ptr(c.Loc), ptr(c.Scale)
		case KindPositive:
			wc.Min, wc.Max, wc.Loc, wc.Scale = ptr(c.Min), ptr(c.Max), ptr(c.Loc), ptr(c.Scale)
			wc.Shift = ptr(c.Shift)
		default:
			wc.Min, wc.Max = ptr(c.Min), ptr(c.Max)
		}
		w.Columns = append(w.Columns, wc)
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form MarshalJSON writes and validates it: unknown
// fields, a missing or out-of-range parameter (std <= 0, max <= min, no
// levels, unsorted levels, a kind or version it does not know) are errors.
// On error the receiver is left unchanged.
func (s *Scaler) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var w wireScaler
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("preprocess: decode scaler: %w", err)
	}
	if w.Version < 1 || w.Version > FormatVersion {
		return fmt.Errorf("preprocess: scaler format version %d, this build reads versions 1 to %d (a newer hepflow wrote it?)", w.Version, FormatVersion)
	}
	if w.Beta == nil || w.DequantGuard == nil {
		return fmt.Errorf("preprocess: scaler: beta and dequant_guard are required")
	}
	cols := make([]Column, len(w.Columns))
	for j, wc := range w.Columns {
		if wc.Mean == nil || wc.Std == nil {
			return fmt.Errorf("preprocess: scaler: column %d (%q): mean and std are required", j, wc.Name)
		}
		c := Column{Name: wc.Name, Kind: wc.Kind, Levels: wc.Levels, Mean: *wc.Mean, Std: *wc.Std}
		sa := wc.Kind == KindUnbounded || wc.Kind == KindPositive
		if (wc.Loc != nil || wc.Scale != nil) != sa || (wc.Shift != nil) != (wc.Kind == KindPositive) {
			return fmt.Errorf("preprocess: scaler: column %d (%q): loc and scale are for unbounded and positive columns (shift for positive ones) and required there", j, wc.Name)
		}
		switch wc.Kind {
		case KindDiscrete:
			if wc.Min != nil || wc.Max != nil {
				return fmt.Errorf("preprocess: scaler: column %d (%q): discrete column has min/max, want levels only", j, wc.Name)
			}
		case KindUnbounded, KindPositive:
			if wc.Min == nil || wc.Max == nil || wc.Loc == nil || wc.Scale == nil {
				return fmt.Errorf("preprocess: scaler: column %d (%q): %s column needs min, max, loc and scale", j, wc.Name, wc.Kind)
			}
			c.Min, c.Max, c.Loc, c.Scale = *wc.Min, *wc.Max, *wc.Loc, *wc.Scale
			if wc.Kind == KindPositive {
				c.Shift = *wc.Shift
			}
		default:
			if wc.Min == nil || wc.Max == nil {
				return fmt.Errorf("preprocess: scaler: column %d (%q): %s column needs min and max", j, wc.Name, wc.Kind)
			}
			c.Min, c.Max = *wc.Min, *wc.Max
		}
		cols[j] = c
	}
	ns, err := newScaler(*w.Beta, *w.DequantGuard, cols)
	if err != nil {
		return fmt.Errorf("preprocess: scaler: %w", err)
	}
	*s = *ns
	return nil
}

func ptr(v float64) *float64 { return &v }
