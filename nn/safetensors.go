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
// accepted, since hepflow writes nothing else. Every size the file claims
// is checked against len(b) before anything is allocated for it: the
// header length, each tensor's shape against its offsets, and the offsets
// against the data, which the tensors must cover exactly, in order and
// without overlap (as the reference implementation requires), so that the
// tensors never take more memory than the file.
func ReadSafetensors(b []byte) (map[string]Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("not a safetensors file: %d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n == 0 || n > maxHeader || n > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("not a safetensors file: header length %d does not fit a %d-byte file", n, len(b))
	}
	h, err := parseSTHeader(b[8 : 8+n])
	if err != nil {
		return nil, nil, err
	}
	if data := int64(len(b)) - 8 - int64(n); h.dataLen != data {
		return nil, nil, fmt.Errorf("safetensors: the tensors cover %d data bytes, the file holds %d", h.dataLen, data)
	}
	return h.decode(b[8+n:]), h.meta, nil
}

// maxStreamData bounds the tensor data ReadSafetensorsFrom accepts from a
// stream of unknown size (4 GiB: a billion float32 parameters, far beyond
// any flow hepflow trains). From a file of known size, the size is the bound.
const maxStreamData = 4 << 30

// ReadSafetensorsFrom reads a safetensors file from r, as ReadSafetensors
// does from bytes. size is the file's size, or -1 when it is not known (a
// pipe); then the header and data are read incrementally, so that memory
// follows what the stream really holds, the data are bounded by 4 GiB, and
// the stream must end with them.
func ReadSafetensorsFrom(r io.Reader, size int64) (map[string]Tensor, map[string]string, error) {
	var lb [8]byte
	if k, err := io.ReadFull(r, lb[:]); err != nil {
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("not a safetensors file: %d bytes, shorter than the 8-byte header length", k)
	}
	n := binary.LittleEndian.Uint64(lb[:])
	if n == 0 || n > maxHeader || size >= 0 && n > uint64(max(size-8, 0)) {
		if size < 0 {
			return nil, nil, fmt.Errorf("not a safetensors file: header length %d is not between 1 and %d", n, maxHeader)
		}
		return nil, nil, fmt.Errorf("not a safetensors file: header length %d does not fit a %d-byte file", n, size)
	}
	hb, err := readN(r, int64(n), size >= 0)
	if err != nil {
		return nil, nil, fmt.Errorf("not a safetensors file: header: %w", err)
	}
	h, err := parseSTHeader(hb)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case size >= 0 && h.dataLen != size-8-int64(n):
		return nil, nil, fmt.Errorf("safetensors: the tensors cover %d data bytes, the file holds %d", h.dataLen, size-8-int64(n))
	case size < 0 && h.dataLen > maxStreamData:
		return nil, nil, fmt.Errorf("safetensors: the tensors claim %d data bytes, more than the %d read from a stream", h.dataLen, int64(maxStreamData))
	}
	data, err := readN(r, h.dataLen, size >= 0)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: the tensors cover %d data bytes: %w", h.dataLen, err)
	}
	if size < 0 {
		var one [1]byte
		if k, _ := io.ReadFull(r, one[:]); k > 0 {
			return nil, nil, fmt.Errorf("safetensors: data continue past the %d bytes the tensors cover", h.dataLen)
		}
	}
	return h.decode(data), h.meta, nil
}

// readN reads exactly n bytes: into one allocation when n is known to be
// within the file (sized), else growing as the bytes arrive.
func readN(r io.Reader, n int64, sized bool) ([]byte, error) {
	var b []byte
	var err error
	if sized {
		b = make([]byte, n)
		var k int
		k, err = io.ReadFull(r, b)
		b = b[:k]
	} else {
		b, err = io.ReadAll(io.LimitReader(r, n))
	}
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	if int64(len(b)) < n {
		return nil, fmt.Errorf("the file ends after %d of %d bytes", len(b), n)
	}
	return b, nil
}

// stHeader is a parsed and checked safetensors header.
type stHeader struct {
	meta    map[string]string
	names   []string // tensor names, sorted
	entries []stEntry
	dataLen int64 // the data bytes the tensors cover
}

// parseSTHeader parses the JSON header and checks every tensor: F32, shape
// consistent with its offsets, and the offsets tiling [0, dataLen) in order.
func parseSTHeader(hb []byte) (*stHeader, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hb, &raw); err != nil {
		return nil, fmt.Errorf("not a safetensors file: header is not JSON: %w", err)
	}
	h := &stHeader{names: make([]string, 0, len(raw))}
	for k := range raw {
		if k == "__metadata__" {
			if err := json.Unmarshal(raw[k], &h.meta); err != nil {
				return nil, fmt.Errorf("safetensors __metadata__: %w", err)
			}
			continue
		}
		h.names = append(h.names, k)
	}
	sort.Strings(h.names)
	h.entries = make([]stEntry, len(h.names))
	for i, name := range h.names {
		e := &h.entries[i]
		if err := json.Unmarshal(raw[name], e); err != nil {
			return nil, fmt.Errorf("safetensors tensor %q: %w", name, err)
		}
		if e.DType != "F32" {
			return nil, fmt.Errorf("safetensors tensor %q: dtype %s, hepflow reads F32 only", name, e.DType)
		}
		lo, hi := e.Offsets[0], e.Offsets[1]
		if lo < 0 || hi < lo {
			return nil, fmt.Errorf("safetensors tensor %q: offsets %v are not an interval", name, e.Offsets)
		}
		count, ok := shapeCount(e.Shape, (hi-lo)/4)
		if !ok || hi-lo != 4*count {
			return nil, fmt.Errorf("safetensors tensor %q: offsets %v do not match shape %v", name, e.Offsets, e.Shape)
		}
	}
	// The tensors must tile the data: sorted by offset, each starting where
	// the previous ends. Overlapping tensors could otherwise make a small
	// file decode into any amount of memory.
	order := make([]int, len(h.entries))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ea, eb := h.entries[order[a]].Offsets, h.entries[order[b]].Offsets
		return ea[0] < eb[0] || ea[0] == eb[0] && ea[1] < eb[1]
	})
	for _, i := range order {
		e := h.entries[i]
		if e.Offsets[0] != h.dataLen {
			return nil, fmt.Errorf("safetensors tensor %q: offsets %v leave a gap or overlap another tensor (expected it to start at %d)", h.names[i], e.Offsets, h.dataLen)
		}
		h.dataLen = e.Offsets[1]
	}
	return h, nil
}

// shapeCount is the number of elements of a shape, and false when a
// dimension is negative or the count exceeds most (so it cannot overflow).
func shapeCount(shape []int, most int64) (int64, bool) {
	count := int64(1)
	for _, s := range shape {
		if s < 0 {
			return 0, false
		}
		if s == 0 {
			count = 0
		}
	}
	if count == 0 {
		return 0, true
	}
	for _, s := range shape {
		if int64(s) > most/count {
			return 0, false
		}
		count *= int64(s)
	}
	return count, true
}

// decode converts the checked tensors' data.
func (h *stHeader) decode(data []byte) map[string]Tensor {
	out := make(map[string]Tensor, len(h.names))
	for i, name := range h.names {
		e := h.entries[i]
		lo, hi := e.Offsets[0], e.Offsets[1]
		vals := make([]float32, (hi-lo)/4)
		for k := range vals {
			vals[k] = math.Float32frombits(binary.LittleEndian.Uint32(data[lo+4*int64(k):]))
		}
		out[name] = Tensor{Shape: e.Shape, Data: vals}
	}
	return out
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
