package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
)

// maxHeader bounds the JSON header of a safetensors file, as the reference
// implementation does, so a corrupt length cannot make us allocate gigabytes.
const maxHeader = 100 << 20

type stEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

// WriteSafetensors writes params as float32 tensors in the safetensors layout
// (8-byte little-endian header length, JSON header, raw little-endian data),
// with meta as the header's __metadata__ (string to string, per the format).
func WriteSafetensors(w io.Writer, ps []*Param, meta map[string]string) error {
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	var off int64
	for _, p := range ps {
		if _, dup := header[p.Name]; dup {
			return fmt.Errorf("safetensors: duplicate tensor name %q", p.Name)
		}
		n := int64(len(p.Value)) * 4
		header[p.Name] = stEntry{DType: "F32", Shape: p.Shape, Offsets: [2]int64{off, off + n}}
		off += n
	}
	h, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors header: %w", err)
	}
	// Pad the header with spaces so the data starts 8-byte aligned, as the spec recommends.
	for (8+len(h))%8 != 0 {
		h = append(h, ' ')
	}
	var buf bytes.Buffer
	buf.Grow(8 + len(h) + int(off))
	_ = binary.Write(&buf, binary.LittleEndian, uint64(len(h)))
	buf.Write(h)
	b4 := make([]byte, 4)
	for _, p := range ps {
		for _, v := range p.Value {
			binary.LittleEndian.PutUint32(b4, math.Float32bits(v))
			buf.Write(b4)
		}
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// Tensor is one float32 tensor read from a safetensors file.
type Tensor struct {
	Shape []int
	Data  []float32
}

// ReadSafetensors parses a whole safetensors file. Only F32 tensors are
// accepted, since hepflow writes nothing else.
func ReadSafetensors(b []byte) (map[string]Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("not a safetensors file: %d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n == 0 || n > maxHeader || n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("not a safetensors file: header length %d does not fit a %d-byte file", n, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, nil, fmt.Errorf("not a safetensors file: header is not JSON: %w", err)
	}
	data := b[8+n:]
	var meta map[string]string
	out := map[string]Tensor{}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "__metadata__" {
			if err := json.Unmarshal(raw[name], &meta); err != nil {
				return nil, nil, fmt.Errorf("safetensors __metadata__: %w", err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(raw[name], &e); err != nil {
			return nil, nil, fmt.Errorf("safetensors tensor %q: %w", name, err)
		}
		if e.DType != "F32" {
			return nil, nil, fmt.Errorf("safetensors tensor %q: dtype %s, hepflow reads F32 only", name, e.DType)
		}
		count := int64(1)
		for _, s := range e.Shape {
			if s < 0 {
				return nil, nil, fmt.Errorf("safetensors tensor %q: negative shape %v", name, e.Shape)
			}
			count *= int64(s)
		}
		lo, hi := e.Offsets[0], e.Offsets[1]
		if lo < 0 || hi < lo || hi > int64(len(data)) || hi-lo != 4*count {
			return nil, nil, fmt.Errorf("safetensors tensor %q: offsets %v do not match shape %v in %d data bytes", name, e.Offsets, e.Shape, len(data))
		}
		vals := make([]float32, count)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[lo+4*int64(i):]))
		}
		out[name] = Tensor{Shape: e.Shape, Data: vals}
	}
	return out, meta, nil
}

// LoadParams copies tensors into ps by name, checking that every param is
// present with its shape and that no tensor is left over. Masks are re-applied.
func LoadParams(ps []*Param, ts map[string]Tensor) error {
	if len(ts) != len(ps) {
		return fmt.Errorf("model has %d tensors, the architecture needs %d", len(ts), len(ps))
	}
	for _, p := range ps {
		t, ok := ts[p.Name]
		if !ok {
			return fmt.Errorf("tensor %q missing from the model file", p.Name)
		}
		if len(t.Data) != len(p.Value) || fmt.Sprint(t.Shape) != fmt.Sprint(p.Shape) {
			return fmt.Errorf("tensor %q has shape %v, the architecture needs %v", p.Name, t.Shape, p.Shape)
		}
		for _, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("tensor %q holds a non-finite value", p.Name)
			}
		}
		copy(p.Value, t.Data)
		p.ApplyMask()
	}
	return nil
}
