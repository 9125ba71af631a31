package data

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// csvText returns about n bytes of CSV-like lines of random numbers.
func csvText(rng *rand.Rand, n int) []byte {
	out := make([]byte, 0, n+64)
	for len(out) < n {
		for j := range 6 {
			if j > 0 {
				out = append(out, ',')
			}
			out = strconv.AppendFloat(out, rng.NormFloat64(), 'g', 8, 64)
		}
		out = append(out, '\n')
	}
	return out
}

// gzMember compresses text into one gzip member.
func gzMember(tb testing.TB, text []byte, level int, hdr gzip.Header) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		tb.Fatal(err)
	}
	zw.Header = hdr
	if _, err := zw.Write(text); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// rawMember builds a member by hand, with a header CRC (FHCRC), which the
// writers do not produce.
func rawMember(tb testing.TB, text []byte) []byte {
	tb.Helper()
	hdr := []byte{0x1f, 0x8b, 8, 0x02 | 0x08, 1, 2, 3, 4, 0, 3}
	hdr = append(hdr, "name.csv\x00"...)
	c := crc32.ChecksumIEEE(hdr)
	hdr = append(hdr, byte(c), byte(c>>8))
	var b bytes.Buffer
	b.Write(hdr)
	fw, _ := flate.NewWriter(&b, 5)
	fw.Write(text)
	fw.Close()
	var tr [8]byte
	binary.LittleEndian.PutUint32(tr[:4], crc32.ChecksumIEEE(text))
	binary.LittleEndian.PutUint32(tr[4:], uint32(len(text)))
	b.Write(tr[:])
	return b.Bytes()
}

// seqGunzip decompresses data as openText does without parallelism.
func seqGunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// parGunzip decompresses data with a parallelGunzip, reading in odd sizes.
func parGunzip(data []byte, cfg pgzConfig) ([]byte, error, int) {
	z, err := newParallelGunzip(bytes.NewReader(data), int64(len(data)), cfg)
	if err != nil {
		return nil, err, 0
	}
	defer z.Close()
	var out []byte
	buf := make([]byte, 100_003)
	for {
		n, err := z.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil, z.started
		}
		if err != nil {
			return out, err, z.started
		}
	}
}

// testConfigs exercise the paths: tiny pieces and budgets, so that
// speculative decodes wait for room; the defaults; a window too small to
// find candidates, so that each member is started when it becomes the
// head; and a single decoding goroutine.
var testConfigs = map[string]pgzConfig{
	"small":     {workers: 3, inFlight: 6, chunk: 2 << 10, memberPieces: 4, budgetPieces: 3, window: 1 << 20},
	"default":   newPgzConfig(4),
	"nowindow":  {workers: 2, inFlight: 4, chunk: 64 << 10, memberPieces: 16, budgetPieces: 16, window: 5},
	"oneworker": {workers: 1, inFlight: 2, chunk: 16 << 10, memberPieces: 4, budgetPieces: 0, window: 1 << 20},
	// ISA-L where it is installed (as "default" is then too), with tiny
	// pieces; Go's decoder elsewhere.
	"isal-small": {workers: 3, inFlight: 6, chunk: 3 << 10, memberPieces: 4, budgetPieces: 3, window: 1 << 20, isal: loadISAL()},
}

// checkSame checks that every configuration yields what the sequential
// reader yields: the same bytes, then the same error (nil for io.EOF).
func checkSame(t *testing.T, name string, data []byte) {
	t.Helper()
	want, wantErr := seqGunzip(data)
	for cname, cfg := range testConfigs {
		got, err, _ := parGunzip(data, cfg)
		if err != wantErr {
			t.Errorf("%s, %s: error %v, want %v", name, cname, err, wantErr)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s, %s: %d bytes differ from the %d of the sequential reader (first at %d)",
				name, cname, len(got), len(want), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func joinBytes(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParallelGunzipSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	big := csvText(rng, 10<<20) // more than any speculation buffer
	var many [][]byte
	for i := range 300 {
		many = append(many, gzMember(t, csvText(rng, rng.IntN(3000)), 1+i%9, gzip.Header{}))
	}
	var sizes [][]byte
	for _, n := range []int{1, 100, 5 << 20, 10, 200 << 10, 9 << 20, 0, 3, 1 << 20} {
		sizes = append(sizes, gzMember(t, csvText(rng, n)[:n], 2, gzip.Header{}))
	}
	empty := gzMember(t, nil, 6, gzip.Header{})
	small := csvText(rng, 50_000)
	headers := [][]byte{
		gzMember(t, small, 6, gzip.Header{Name: "a.csv", Comment: "made for a test", ModTime: time.Unix(1e9, 0)}),
		gzMember(t, small, 6, gzip.Header{Extra: bytes.Repeat([]byte{0x1f, 0x8b, 8, 0}, 1000)}),
		gzMember(t, small, 6, gzip.Header{OS: 100}), // an OS no candidate has: started as head
		rawMember(t, small),
		gzMember(t, small, 6, gzip.Header{Name: "é", Comment: "ü", Extra: []byte{1, 2, 3}}),
	}
	var stdLevels [][]byte
	for _, level := range []int{stdgzip.HuffmanOnly, 1, 6, 9} {
		var b bytes.Buffer
		zw, _ := stdgzip.NewWriterLevel(&b, level)
		zw.Write(csvText(rng, 300_000))
		zw.Close()
		stdLevels = append(stdLevels, b.Bytes())
	}
	var kpLevels [][]byte
	for _, level := range []int{gzip.StatelessCompression, gzip.BestSpeed, 2, 5, gzip.BestCompression} {
		kpLevels = append(kpLevels, gzMember(t, csvText(rng, 300_000), level, gzip.Header{}))
	}

	for _, c := range []struct {
		name string
		data []byte
	}{
		{"single member", gzMember(t, big, 1, gzip.Header{})},
		{"many small members", joinBytes(many...)},
		{"members of different sizes", joinBytes(sizes...)},
		{"headers", joinBytes(headers...)},
		{"empty members", joinBytes(empty, empty, many[0], empty, empty, many[1], empty)},
		{"only an empty member", empty},
		{"compress/gzip levels", joinBytes(stdLevels...)},
		{"klauspost levels", joinBytes(kpLevels...)},
	} {
		checkSame(t, c.name, c.data)
	}
}

// TestParallelGunzipFalseCandidates puts gzip headers inside members, in
// stored blocks where they stay intact: a whole member, which decodes
// without error, and headers followed by garbage. They must be tried and
// dropped.
func TestParallelGunzipFalseCandidates(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inner := gzMember(t, csvText(rng, 20_000), 6, gzip.Header{})
	fake := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255, 0xde, 0xad, 0xbe, 0xef}
	var text []byte
	for range 20 {
		text = append(text, inner...)
		text = append(text, fake...)
		text = append(text, csvText(rng, 5000)...)
	}
	stored := gzMember(t, text, gzip.NoCompression, gzip.Header{})
	data := joinBytes(stored, gzMember(t, csvText(rng, 10_000), 6, gzip.Header{}), stored, inner)
	checkSame(t, "false candidates", data)
	if _, err, started := parGunzip(data, testConfigs["small"]); err != nil || started <= 4 {
		t.Errorf("%d decodes started for 4 members (%v): the false candidates were not tried", started, err)
	}
}

// members returns a file of n members and where each starts.
func members(tb testing.TB, rng *rand.Rand, n, size int) ([]byte, []int) {
	var data []byte
	var starts []int
	for range n {
		starts = append(starts, len(data))
		data = append(data, gzMember(tb, csvText(rng, size), 6, gzip.Header{Name: "x"})...)
	}
	return data, starts
}

func TestParallelGunzipErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	data, _ := members(t, rng, 5, 200)
	// Truncated anywhere: in a header, in deflate data, in a trailer, at a
	// member boundary.
	for cut := range len(data) {
		checkSame(t, fmt.Sprintf("cut at %d of %d", cut, len(data)), data[:cut])
	}

	// A corrupt middle member: the members before it, the data of the
	// member up to the corruption, then the error.
	big, bigStarts := members(t, rng, 6, 300_000)
	end2 := bigStarts[3] // where member 2 ends
	var corrupt flate.CorruptInputError
	for name, c := range map[string]struct {
		mutate func([]byte)
		want   error // nil: a flate.CorruptInputError or gzip.ErrChecksum
	}{
		"crc of a middle member":     {func(b []byte) { b[end2-8] ^= 1 }, gzip.ErrChecksum},
		"size of a middle member":    {func(b []byte) { b[end2-1] ^= 1 }, gzip.ErrChecksum},
		"deflate of a middle member": {func(b []byte) { b[(bigStarts[2]+end2)/2] ^= 0x55 }, nil},
		"header of a middle member":  {func(b []byte) { b[bigStarts[3]+2] = 7 }, gzip.ErrHeader},
	} {
		b := bytes.Clone(big)
		c.mutate(b)
		checkSame(t, name, b)
		got, err, _ := parGunzip(b, newPgzConfig(4))
		if c.want != nil && err != c.want || c.want == nil && !errors.As(err, &corrupt) && err != gzip.ErrChecksum {
			t.Errorf("%s: %v", name, err)
		}
		if len(got) < 2*300_000 {
			t.Errorf("%s: %d bytes before the error: not those of the first members", name, len(got))
		}
	}
	for _, cut := range []int{bigStarts[3] - 4, bigStarts[3] - 8, bigStarts[3] + 5, (bigStarts[2] + bigStarts[3]) / 2} {
		checkSame(t, fmt.Sprintf("big cut at %d", cut), big[:cut])
		if _, err, _ := parGunzip(big[:cut], newPgzConfig(4)); err != io.ErrUnexpectedEOF {
			t.Errorf("big cut at %d: %v", cut, err)
		}
	}
}

// TestParallelGunzipTrailing pins what follows the last member: the
// multistream gzip.Reader has no notion of padding, so zeros, like any
// bytes that are not a header, are an error (ErrHeader, or
// io.ErrUnexpectedEOF when fewer than a header's 10 bytes), after all the
// data.
func TestParallelGunzipTrailing(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	data, _ := members(t, rng, 3, 100_000)
	full, err := seqGunzip(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		after []byte
		want  error
	}{
		{"three bytes", []byte("abc"), io.ErrUnexpectedEOF},
		{"text", []byte("this is not a gzip header"), gzip.ErrHeader},
		{"zero padding", make([]byte, 1024), gzip.ErrHeader},
		{"a magic without a member", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}, io.ErrUnexpectedEOF},
		{"a header and garbage", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255, 0xff, 0xff, 0xff, 0xff}, nil},
	} {
		b := joinBytes(data, c.after)
		checkSame(t, c.name, b)
		got, err := seqGunzip(b)
		if c.want != nil && err != c.want {
			t.Errorf("%s: the sequential reader says %v, want %v", c.name, err, c.want)
		}
		if err == nil {
			t.Errorf("%s: no error", c.name)
		}
		if !bytes.Equal(got, full) {
			t.Errorf("%s: %d bytes before the error, want %d", c.name, len(got), len(full))
		}
	}
}

func TestParallelGunzipNotGzip(t *testing.T) {
	for _, b := range [][]byte{{0x1f, 0x8b}, {0x1f, 0x8b, 9, 0, 0, 0, 0, 0, 0, 0, 0}, []byte("hello, world")} {
		_, err := newParallelGunzip(bytes.NewReader(b), int64(len(b)), newPgzConfig(2))
		_, want := gzip.NewReader(bytes.NewReader(b))
		if err == nil || err != want {
			t.Errorf("%q: %v, want %v", b, err, want)
		}
	}
}

// waitGoroutines fails unless the goroutine count comes back to n.
func waitGoroutines(t *testing.T, n int, what string) {
	t.Helper()
	for range 200 {
		if runtime.NumGoroutine() <= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("%s: %d goroutines, %d before", what, runtime.NumGoroutine(), n)
}

func TestParallelGunzipNoLeak(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	data, _ := members(t, rng, 20, 200_000)
	cfg := testConfigs["small"]
	base := runtime.NumGoroutine()

	z, err := newParallelGunzip(bytes.NewReader(data), int64(len(data)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := z.Read(buf); err != nil {
		t.Fatal(err)
	}
	if runtime.NumGoroutine() <= base {
		t.Fatal("no decoding goroutine: the test tests nothing")
	}
	z.Close()
	waitGoroutines(t, base, "closed early")
	if _, err := z.Read(buf); !errors.Is(err, os.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}

	// Read to the end or to an error without Close.
	for _, b := range [][]byte{data, data[:len(data)/2]} {
		z, err := newParallelGunzip(bytes.NewReader(b), int64(len(b)), cfg)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, z)
		waitGoroutines(t, base, "read to the end")
	}
}

// writeMemberCSV writes a multi-member .csv.gz with data's writer, large
// enough to be decompressed in parallel, and returns its table.
func writeMemberCSV(t *testing.T, path string, rows int) *Table {
	t.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	tb := &Table{Columns: []string{"a", "b", "c", "d", "e", "f"}}
	for range rows * len(tb.Columns) {
		tb.Data = append(tb.Data, rng.NormFloat64())
	}
	if err := Write(path, tb, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() < 2*pgzMinSize {
		t.Fatalf("%s: %v, too small for the parallel path", path, err)
	}
	return tb
}

func TestReadParallelGunzip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.csv.gz")
	want := writeMemberCSV(t, path, 100_000)

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	for workers, par := range map[int]bool{1: false, 3: true} {
		src, gz, err := openText(f, st.Size(), workers)
		if _, isPar := src.(*parallelGunzip); err != nil || !gz || isPar != par {
			t.Errorf("workers %d: %T, %v, %v: parallel path %v", workers, src, gz, err, par)
		}
		if z, ok := src.(*parallelGunzip); ok {
			z.Close()
		}
		f.Seek(0, io.SeekStart)
	}
	f.Close()

	for _, w := range []int{1, 3} {
		got, err := Read(context.Background(), path, ReadOptions{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if !slicesEqualBits(got.Data, want.Data) || fmt.Sprint(got.Columns) != fmt.Sprint(want.Columns) {
			t.Errorf("workers %d: the table differs", w)
		}
	}

	// Errors: the same message, at the same line, with and without
	// parallelism.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"truncated": raw[:len(raw)*2/3],
		"corrupt":   bytes.Clone(raw),
	}
	bad["corrupt"][len(raw)/2] ^= 0xff
	for name, b := range bad {
		p := filepath.Join(t.TempDir(), name+".csv.gz")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, seqErr := Read(context.Background(), p, ReadOptions{Workers: 1})
		_, parErr := Read(context.Background(), p, ReadOptions{Workers: 3})
		if seqErr == nil || parErr == nil || seqErr.Error() != parErr.Error() {
			t.Errorf("%s: %v, sequentially %v", name, parErr, seqErr)
		}
		if name == "truncated" && !errors.Is(parErr, ErrTruncated) {
			t.Errorf("%s: %v does not wrap ErrTruncated", name, parErr)
		}
	}
}

func slicesEqualBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestScanParallelGunzipNoLeak(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.csv.gz")
	writeMemberCSV(t, path, 100_000)
	base := runtime.NumGoroutine()
	stop := errors.New("stop")
	err := Scan(context.Background(), path, ReadOptions{Workers: 3}, func(*Table) error { return stop })
	if err != stop {
		t.Errorf("scan: %v", err)
	}
	waitGoroutines(t, base, "callback error")

	ctx, cancel := context.WithCancel(context.Background())
	err = Scan(ctx, path, ReadOptions{Workers: 3}, func(*Table) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("scan: %v", err)
	}
	waitGoroutines(t, base, "cancelled")
}

// BenchmarkGunzipParallel decompresses a multi-member file written by
// data's writer, sequentially as BenchmarkGunzip does and in parallel.
func BenchmarkGunzipParallel(b *testing.B) {
	dir := b.TempDir()
	single := filepath.Join(dir, "higgs.csv.gz")
	writeSyntheticHiggs(b, single, 200_000, 1)
	t, err := Read(context.Background(), single, ReadOptions{Format: FormatHIGGS})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "members.csv.gz")
	if err := Write(path, t, WriteOptions{Format: FormatHIGGS}); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	text, err := seqGunzip(data)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for _, workers := range []int{1, max(2, runtime.GOMAXPROCS(0))} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for range b.N {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				st, _ := f.Stat()
				src, _, err := openText(f, st.Size(), workers)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := src.Read(buf); err != nil {
						break
					}
				}
				if z, ok := src.(*parallelGunzip); ok {
					z.Close()
				}
				f.Close()
			}
		})
	}
}

// TestParallelGunzipMemory reads slowly, so that the decodes get as far
// ahead as they may, and checks that the output buffered stays within the
// budget: here 2*4+8 pieces of 1 MiB, where 16 decodes in flight could
// otherwise buffer 64.
func TestParallelGunzipMemory(t *testing.T) {
	line := []byte("0.123456789,1.23456789,-2.3456789,3.456789,4.56789\n")
	var data []byte
	for i := range 16 {
		text := bytes.Repeat(line, (4<<20)/len(line))
		text[i] = '9'
		data = append(data, gzMember(t, text, 1, gzip.Header{})...)
	}
	cfg := pgzConfig{workers: 4, inFlight: 16, chunk: 1 << 20, memberPieces: 4, budgetPieces: 8, window: 1 << 30}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	z, err := newParallelGunzip(bytes.NewReader(data), int64(len(data)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	buf := make([]byte, 1<<20)
	n := 0
	for {
		k, err := z.Read(buf)
		n += k
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	runtime.ReadMemStats(&after)
	if n != 16*((4<<20)/len(line))*len(line) {
		t.Fatalf("%d bytes", n)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 30<<20 {
		t.Errorf("%d MiB allocated to decompress 64 MiB with a budget of 16 MiB", alloc>>20)
	}
}
