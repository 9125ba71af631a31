// Command higgsgen writes a large file in the exact layout of the UCI HIGGS
// data set (label first, then 28 features, no header, every value written
// "%.18e" of a float32 like the real file; gzip'd when the name ends in
// .gz), for measuring hepflow at full size without downloading 2.6 GB.
// Events are the real embedded sample's (CC BY 4.0, see
// internal/demodata), drawn at random with replacement, their continuous
// features jittered by 1% so that values repeat no more than in real data.
//
//	go run ./cmd/higgsgen -n 11000000 -out /tmp/HIGGS.csv.gz
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"

	"hepflow/internal/atomicfile"
	"hepflow/internal/demodata"
)

// discrete are the UCI columns (1-based, after the label) that take few
// values: the four b-tags, kept as they are.
var discrete = map[int]bool{9: true, 13: true, 17: true, 21: true}

func main() {
	n := flag.Int64("n", 11_000_000, "events to write (the real file has 11,000,000)")
	out := flag.String("out", "", "file to write (.csv or .csv.gz); refused if it exists")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *out == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: higgsgen -n EVENTS -out FILE[.gz]")
		os.Exit(2)
	}
	if _, err := os.Stat(*out); err == nil {
		fmt.Fprintf(os.Stderr, "higgsgen: %s exists\n", *out)
		os.Exit(2)
	}
	start := time.Now()
	if err := write(*out, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "higgsgen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d events to %s in %.1f s\n", *n, *out, time.Since(start).Seconds())
}

// events are the real sample's rows: label then 28 features.
func events() ([][]float64, error) {
	bkg, sig, err := demodata.Split(context.Background())
	if err != nil {
		return nil, err
	}
	var rows [][]float64
	for label, x := range [][]float64{bkg, sig} {
		for r := 0; r+28 <= len(x); r += 28 {
			rows = append(rows, append([]float64{float64(label)}, x[r:r+28]...))
		}
	}
	return rows, nil
}

const block = 20_000 // events per gzip member (compressed in parallel)

func write(path string, n int64, seed uint64) error {
	src, err := events()
	if err != nil {
		return err
	}
	gz := len(path) > 3 && path[len(path)-3:] == ".gz"
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	blocks := (n + block - 1) / block
	workers := runtime.GOMAXPROCS(0)
	// Block b goes to results[b%len]; written in order.
	type job struct {
		b   int64
		out chan []byte
	}
	jobs := make(chan job, workers)
	queue := make(chan chan []byte, 2*workers)
	go func() {
		for b := int64(0); b < blocks; b++ {
			c := make(chan []byte, 1)
			queue <- c
			jobs <- job{b, c}
		}
		close(jobs)
		close(queue)
	}()
	for range workers {
		go func() {
			for j := range jobs {
				rows := min(block, n-j.b*block)
				j.out <- render(src, rows, seed, j.b, gz)
			}
		}()
	}
	for c := range queue {
		if _, err := f.Write(<-c); err != nil {
			return err
		}
	}
	return f.Commit()
}

// render writes block b's rows, gzip'd as one member when gz.
func render(src [][]float64, rows int64, seed uint64, b int64, gz bool) []byte {
	rng := rand.New(rand.NewPCG(seed, uint64(b)))
	var txt bytes.Buffer
	line := make([]byte, 0, 29*26)
	for range rows {
		ev := src[rng.IntN(len(src))]
		line = line[:0]
		for j, v := range ev {
			if j > 0 && !discrete[j] {
				v *= 1 + 0.01*rng.NormFloat64()
			}
			if j > 0 {
				line = append(line, ',')
			}
			line = strconv.AppendFloat(line, float64(float32(v)), 'e', 18, 64)
		}
		line = append(line, '\n')
		txt.Write(line)
	}
	if !gz {
		return txt.Bytes()
	}
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	io.Copy(w, &txt)
	w.Close()
	return z.Bytes()
}
