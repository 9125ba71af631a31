package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

// stFile builds a safetensors file from a header and n zero data bytes.
func stFile(header string, n int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), make([]byte, n)...)
}

// readAll3 reads b as bytes, as a sized stream and as a stream of unknown
// size; the three must agree.
func readAll3(t *testing.T, b []byte) (map[string]Tensor, map[string]string, error) {
	t.Helper()
	ts, meta, err := ReadSafetensors(b)
	for _, size := range []int64{int64(len(b)), -1} {
		ts2, meta2, err2 := ReadSafetensorsFrom(bytes.NewReader(b), size)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("bytes and stream (size %d) differ: %v / %v", size, err, err2)
		}
		if err == nil && (fmt.Sprint(ts) != fmt.Sprint(ts2) || fmt.Sprint(meta) != fmt.Sprint(meta2)) {
			t.Fatalf("bytes and stream (size %d) read different tensors", size)
		}
	}
	return ts, meta, err
}

// TestSafetensorsHostile: sizes a file claims that it does not hold are
// refused before anything is allocated for them.
func TestSafetensorsHostile(t *testing.T) {
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"huge header length":      {binary.LittleEndian.AppendUint64(nil, 1<<62), "header length"},
		"header length past EOF":  {append(binary.LittleEndian.AppendUint64(nil, 1000), `{"w":{}}`...), "header length 1000 does not fit"},
		"shape overflowing int64": {stFile(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,0]}}`, 0), "do not match shape"},
		"huge shape, small data":  {stFile(`{"w":{"dtype":"F32","shape":[2000000000,28],"data_offsets":[0,224000000000]}}`, 8), "cover 224000000000 data bytes, the file holds 8"},
		"truncated tensor":        {stFile(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 12), "cover 16 data bytes, the file holds 12"},
		"overlapping tensors": {stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8),
			"overlap"},
		"gap between tensors": {stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, 12),
			"gap"},
		"negative offset": {stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 4), "not an interval"},
		"negative shape":  {stFile(`{"a":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}`, 16), "do not match shape"},
		"trailing data":   {stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8), "cover 4 data bytes, the file holds 8"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := readAll3(t, c.b)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one mentioning %q", err, c.want)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
				t.Errorf("refusing a %d-byte file allocated %d bytes", len(c.b), a)
			}
		})
	}
	// Zero-size tensors tile the data too, anywhere.
	ok := stFile(`{"a":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`, 8)
	if ts, _, err := readAll3(t, ok); err != nil || len(ts["a"].Data) != 0 || len(ts["c"].Data) != 1 {
		t.Errorf("zero-size and scalar tensors: %v %v", ts, err)
	}
}

// endless yields zeros forever, like /dev/zero.
type endless struct{}

func (endless) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// prefixed is b, then endless zeros.
func prefixed(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b), endless{}) }

// TestSafetensorsFromEndlessStream: a stream that never ends (a device, a
// pipe fed by a runaway process) is refused after at most what its header
// claims, whatever it is.
func TestSafetensorsFromEndlessStream(t *testing.T) {
	for name, c := range map[string]struct {
		r    io.Reader
		want string
	}{
		"zeros":        {endless{}, "header length 0"},
		"valid header": {prefixed(stFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 0)), "data continue past the 8 bytes"},
		"huge claim":   {prefixed(stFile(`{"w":{"dtype":"F32","shape":[2000000000,28],"data_offsets":[0,224000000000]}}`, 0)), "more than the 4294967296 read from a stream"},
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := ReadSafetensorsFrom(c.r, -1)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one mentioning %q", err, c.want)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 1<<20 {
				t.Errorf("allocated %d bytes", a)
			}
		})
	}
}

// TestSafetensorsRoundTripStream: what WriteSafetensors writes reads back
// identically through every reader.
func TestSafetensorsRoundTripStream(t *testing.T) {
	ps := []*Param{NewParam("w", 2, 3), NewParam("b", 3), NewParam("empty", 0)}
	for i := range ps[0].Value {
		ps[0].Value[i] = float32(i) - 2.5
	}
	ps[1].Value[2] = math.MaxFloat32
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, ps, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	ts, meta, err := readAll3(t, buf.Bytes())
	if err != nil || meta["k"] != "v" || ts["w"].Data[5] != 2.5 || ts["b"].Data[2] != math.MaxFloat32 || len(ts["empty"].Data) != 0 {
		t.Fatalf("round trip: %v %v %v", ts, meta, err)
	}
	// A short read is a clean error naming what is missing.
	if _, _, err := ReadSafetensorsFrom(bytes.NewReader(buf.Bytes()[:buf.Len()-3]), -1); err == nil || !strings.Contains(err.Error(), "ends after") {
		t.Errorf("truncated stream: %v", err)
	}
	// A failing reader's error comes through.
	boom := errors.New("boom")
	if _, _, err := ReadSafetensorsFrom(io.MultiReader(bytes.NewReader(buf.Bytes()[:20]), errReader{boom}), -1); !errors.Is(err, boom) {
		t.Errorf("reader error: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// FuzzReadSafetensors: whatever the bytes, the three ways of reading agree,
// and the tensors never take more memory than the file.
//
//	go test -run '^$' -fuzz '^FuzzReadSafetensors$' -fuzztime 30s ./nn/
func FuzzReadSafetensors(f *testing.F) {
	var buf bytes.Buffer
	ps := []*Param{NewParam("block0.0.w", 3, 4), NewParam("block0.0.b", 4)}
	if err := WriteSafetensors(&buf, ps, map[string]string{"hepflow": `{"format":"hepflow-model"}`}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(stFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4))
	f.Add(stFile(`{"w":{"dtype":"F32","shape":[2000000000,28],"data_offsets":[0,224000000000]}}`, 8))
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8))
	f.Add(stFile(`{"__metadata__":{"a":"b"},"w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, 2))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<40))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, _, err := readAll3(t, b)
		if err != nil {
			return
		}
		total := 0
		for name, tn := range ts {
			n := 1
			for _, s := range tn.Shape {
				n *= s
			}
			if n != len(tn.Data) {
				t.Errorf("tensor %q: shape %v, %d values", name, tn.Shape, len(tn.Data))
			}
			total += len(tn.Data)
		}
		if 4*total > len(b) {
			t.Errorf("%d values from %d bytes", total, len(b))
		}
	})
}
