package data

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// higgsRows is the size of the full UCI HIGGS file, for extrapolation.
const higgsRows = 11_000_000

// writeSyntheticHiggs writes a HIGGS-like .csv.gz: no header, a 0/1 label
// then 28 values printed like the real file (up to 10 significant digits,
// b-tag-like columns with exact levels and zeros). It returns the size of
// the uncompressed text.
func writeSyntheticHiggs(tb testing.TB, path string, rows int, seed uint64) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	bw := bufio.NewWriterSize(zw, 1<<20)
	rng := rand.New(rand.NewPCG(seed, 1))
	var text int64
	var line []byte
	levels := []string{"0", "1.086538434", "2.173076153"}
	for range rows {
		line = line[:0]
		line = strconv.AppendFloat(line, float64(rng.IntN(2)), 'f', 1, 64)
		for j := 1; j < 29; j++ {
			line = append(line, ',')
			if j%4 == 0 && j <= 20 {
				line = append(line, levels[rng.IntN(3)]...)
				continue
			}
			line = strconv.AppendFloat(line, rng.NormFloat64()+1, 'g', 10, 64)
		}
		line = append(line, '\n')
		text += int64(len(line))
		bw.Write(line)
	}
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return text
}

// BenchmarkReadHiggsGz reads a 200k-row synthetic HIGGS .csv.gz and reports
// throughput in uncompressed MB/s, rows/s and the time extrapolated to the
// 11M rows of the real file.
func BenchmarkReadHiggsGz(b *testing.B) {
	const rows = 200_000
	path := filepath.Join(b.TempDir(), "higgs.csv.gz")
	text := writeSyntheticHiggs(b, path, rows, 1)
	b.SetBytes(text)
	b.ResetTimer()
	for range b.N {
		t, err := Read(context.Background(), path, ReadOptions{Format: FormatHIGGS})
		if err != nil {
			b.Fatal(err)
		}
		if t.Rows() != rows {
			b.Fatalf("%d rows", t.Rows())
		}
	}
	perRead := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(rows/perRead, "rows/s")
	b.ReportMetric(perRead*higgsRows/rows, "s/11M-rows")
}

// BenchmarkScanHiggsGzWhere streams the same file keeping label==0 rows,
// without holding the table.
func BenchmarkScanHiggsGzWhere(b *testing.B) {
	const rows = 200_000
	path := filepath.Join(b.TempDir(), "higgs.csv.gz")
	text := writeSyntheticHiggs(b, path, rows, 1)
	b.SetBytes(text)
	b.ResetTimer()
	for range b.N {
		n := 0
		err := Scan(context.Background(), path, ReadOptions{Format: FormatHIGGS, Where: "label==0", Drop: []string{"label"}},
			func(c *Table) error { n += c.Rows(); return nil })
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 || n == rows {
			b.Fatalf("%d rows kept", n)
		}
	}
	perRead := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(rows/perRead, "rows/s")
	b.ReportMetric(perRead*higgsRows/rows, "s/11M-rows")
}

// BenchmarkReadHiggsPlain reads the same rows uncompressed: parsing alone.
func BenchmarkReadHiggsPlain(b *testing.B) {
	const rows = 200_000
	dir := b.TempDir()
	gz := filepath.Join(dir, "higgs.csv.gz")
	text := writeSyntheticHiggs(b, gz, rows, 1)
	t, err := Read(context.Background(), gz, ReadOptions{Format: FormatHIGGS})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "higgs.csv")
	if err := Write(path, t, WriteOptions{Format: FormatHIGGS}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(text)
	b.ResetTimer()
	for range b.N {
		if _, err := Read(context.Background(), path, ReadOptions{Format: FormatHIGGS}); err != nil {
			b.Fatal(err)
		}
	}
	perRead := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(rows/perRead, "rows/s")
	b.ReportMetric(perRead*higgsRows/rows, "s/11M-rows")
}

// BenchmarkGunzip measures decompression alone, the serial part of reading.
func BenchmarkGunzip(b *testing.B) {
	path := filepath.Join(b.TempDir(), "higgs.csv.gz")
	text := writeSyntheticHiggs(b, path, 200_000, 1)
	b.SetBytes(text)
	buf := make([]byte, 1<<20)
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := zr.Read(buf); err != nil {
				break
			}
		}
		f.Close()
	}
}

func BenchmarkParseFloat(b *testing.B) {
	fields := [][]byte{[]byte("0.34186098"), []byte("-1.313937902"), []byte("2.173076153"), []byte("0"), []byte("1.0")}
	for i := range b.N {
		parseFloat(fields[i%len(fields)])
	}
}

func BenchmarkStrconvParseFloat(b *testing.B) {
	fields := [][]byte{[]byte("0.34186098"), []byte("-1.313937902"), []byte("2.173076153"), []byte("0"), []byte("1.0")}
	for i := range b.N {
		strconv.ParseFloat(string(fields[i%len(fields)]), 64)
	}
}

// BenchmarkParseChunk measures parsing alone on one core: no I/O, no
// decompression, no goroutines.
func BenchmarkParseChunk(b *testing.B) {
	const rows = 20000
	path := filepath.Join(b.TempDir(), "h.csv")
	tb, err := Read(context.Background(), writeSyntheticHiggsPath(b, rows), ReadOptions{Format: FormatHIGGS})
	if err != nil {
		b.Fatal(err)
	}
	if err := Write(path, tb, WriteOptions{Format: FormatHIGGS}); err != nil {
		b.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	pl, err := makePlan(HiggsColumns(), nil, &ReadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	p := &csvParser{comma: ',', ncols: 29, names: HiggsColumns(), plan: pl, maxLine: DefaultMaxLineBytes, maxField: DefaultMaxFieldBytes}
	out := make([]float64, 0, rows*29)
	scratch := make([]float64, 29)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for range b.N {
		if r := p.parseChunk(text, out, scratch); r.rows != rows {
			b.Fatal(r.rows, r.perr)
		}
	}
}

func writeSyntheticHiggsPath(b *testing.B, rows int) string {
	path := filepath.Join(b.TempDir(), "h.csv.gz")
	writeSyntheticHiggs(b, path, rows, 1)
	return path
}

// BenchmarkWrite writes 200k HIGGS-like rows in each format.
func BenchmarkWrite(b *testing.B) {
	const rows = 200_000
	tb, err := Read(context.Background(), writeSyntheticHiggsPath(b, rows), ReadOptions{Format: FormatHIGGS})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"w.csv", "w.csv.gz", "w.parquet", "w.npy"} {
		b.Run(name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), name)
			for range b.N {
				if err := Write(path, tb, WriteOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			per := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(rows/per, "rows/s")
			b.ReportMetric(per*higgsRows/rows, "s/11M-rows")
		})
	}
}
