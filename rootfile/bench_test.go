package rootfile

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// The HIGGS-like shape: 1M events of 28 float64 features.
const benchRows, benchCols = 1 << 20, 28

func benchData() ([]string, []float64) {
	cols := make([]string, benchCols)
	for j := range cols {
		cols[j] = fmt.Sprintf("f%d", j)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float64, benchRows*benchCols)
	for k := range data {
		data[k] = rng.NormFloat64()
	}
	return cols, data
}

func benchWrite(b *testing.B, path string, cols []string, data []float64, opt WriteOptions) {
	w, err := Create(path, "", cols, opt)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(data); i += DefaultChunkRows * benchCols {
		if err := w.WriteRows(data[i:min(len(data), i+DefaultChunkRows*benchCols)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWrite writes the 1M x 28 tree; rows/s is the figure.
func BenchmarkWrite(b *testing.B) {
	cols, data := benchData()
	for _, c := range []Compression{None, Zlib, LZ4, Zstd} {
		b.Run(string(c), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.root")
			b.SetBytes(int64(len(data) * 8))
			for b.Loop() {
				benchWrite(b, path, cols, data, WriteOptions{Compression: c})
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkScan reads the 1M x 28 tree back in chunks; rows/s is the figure.
func BenchmarkScan(b *testing.B) {
	cols, data := benchData()
	for _, c := range []Compression{None, Zlib, LZ4, Zstd} {
		b.Run(string(c), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.root")
			benchWrite(b, path, cols, data, WriteOptions{Compression: c})
			b.SetBytes(int64(len(data) * 8))
			for b.Loop() {
				rows := 0
				err := Scan(context.Background(), path, Options{}, func(ch *Chunk) error {
					rows += ch.Rows()
					return nil
				})
				if err != nil || rows != benchRows {
					b.Fatal(rows, err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
