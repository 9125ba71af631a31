package train

import (
	"encoding/json"
	"math"
)

// Nats is a negative log-likelihood in nats per event. NaN means "no such
// figure" (no validation events, say) and is written to JSON as null, which
// encoding/json cannot do for a bare NaN float64.
type Nats float64

// MarshalJSON writes the number, or null for NaN and ±Inf.
func (n Nats) MarshalJSON() ([]byte, error) {
	v := float64(n)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads a number, or null as NaN.
func (n *Nats) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Nats(math.NaN())
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = Nats(v)
	return nil
}

// Valid reports whether n is a real figure (not NaN or infinite).
func (n Nats) Valid() bool { v := float64(n); return !math.IsNaN(v) && !math.IsInf(v, 0) }
