package data

import (
	"bytes"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
)

const (
	// csvFormatBlock is the number of rows one goroutine formats at a time.
	csvFormatBlock = 4096
	// csvFlushBytes is how much text is gathered before it is compressed
	// and written.
	csvFlushBytes = 8 << 20
	// gzipMember is the text compressed into one gzip member. Members are
	// compressed in parallel and concatenated, which the gzip format allows
	// and every reader (gunzip, Python's gzip, pandas, Go) reads as one
	// stream; at this size the ratio is that of a single stream.
	gzipMember = 1 << 20
	// gzipLevel: on HIGGS-like text, klauspost's level 2 compresses as well
	// as level 6 at twice the speed.
	gzipLevel = 2
)

// csvEncoder writes CSV with the shortest text that reads back to the same
// float64 (strconv 'g', precision -1). Rows are formatted, and gzip members
// compressed, by several goroutines.
type csvEncoder struct {
	w       io.Writer
	gz      bool
	comma   byte
	ncol    int
	workers int
	pending []byte // text not yet written
	wrote   bool
}

func newCSVEncoder(f io.Writer, columns []string, comma byte, gz, header bool) (*csvEncoder, error) {
	e := &csvEncoder{w: f, gz: gz, comma: comma, ncol: len(columns), workers: runtime.GOMAXPROCS(0)}
	if header {
		for j, c := range columns {
			if j > 0 {
				e.pending = append(e.pending, comma)
			}
			e.pending = append(e.pending, csvQuote(c, comma)...)
		}
		e.pending = append(e.pending, '\n')
	}
	return e, nil
}

// csvQuote quotes a header name when it would otherwise not read back.
func csvQuote(s string, comma byte) string {
	if !strings.ContainsAny(s, "\"\r\n"+string(comma)) && strings.TrimSpace(s) == s {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func (e *csvEncoder) formatRows(dst []byte, data []float64) []byte {
	for i := 0; i < len(data); i += e.ncol {
		for j, v := range data[i : i+e.ncol] {
			if j > 0 {
				dst = append(dst, e.comma)
			}
			dst = strconv.AppendFloat(dst, v, 'g', -1, 64)
		}
		dst = append(dst, '\n')
	}
	return dst
}

func (e *csvEncoder) writeRows(data []float64) error {
	rowsLeft := len(data) / e.ncol
	if rowsLeft <= csvFormatBlock || e.workers == 1 {
		e.pending = e.formatRows(e.pending, data)
		return e.flush(false)
	}
	// Rounds of a few blocks per goroutine keep the text in memory small
	// however large the call.
	blockVals := csvFormatBlock * e.ncol
	round := 4 * e.workers
	outs := make([][]byte, round)
	for start := 0; start < len(data); {
		nb := min(round, (len(data)-start+blockVals-1)/blockVals)
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(e.workers, nb) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := int(next.Add(1) - 1); b < nb; b = int(next.Add(1) - 1) {
					lo := start + b*blockVals
					hi := min(len(data), lo+blockVals)
					outs[b] = e.formatRows(outs[b][:0], data[lo:hi])
				}
			}()
		}
		wg.Wait()
		for _, o := range outs[:nb] {
			e.pending = append(e.pending, o...)
		}
		start = min(len(data), start+nb*blockVals)
		if err := e.flush(false); err != nil {
			return err
		}
	}
	return nil
}

// flush writes the pending text once there is enough of it, or all of it
// when final.
func (e *csvEncoder) flush(final bool) error {
	if !final && len(e.pending) < csvFlushBytes {
		return nil
	}
	if !e.gz {
		_, err := e.w.Write(e.pending)
		e.pending = e.pending[:0]
		return err
	}
	n := len(e.pending)
	if !final {
		n -= n % gzipMember // keep members whole; the rest waits
	}
	if n == 0 && (!final || e.wrote) {
		return nil
	}
	members := max(1, (n+gzipMember-1)/gzipMember)
	outs := make([]bytes.Buffer, members)
	errs := make([]error, members)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(e.workers, members) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			zw, _ := gzip.NewWriterLevel(nil, gzipLevel)
			for m := int(next.Add(1) - 1); m < members; m = int(next.Add(1) - 1) {
				zw.Reset(&outs[m])
				lo := m * gzipMember
				if _, err := zw.Write(e.pending[lo:min(n, lo+gzipMember)]); err != nil {
					errs[m] = err
					continue
				}
				errs[m] = zw.Close()
			}
		}()
	}
	wg.Wait()
	for m := range outs {
		if errs[m] != nil {
			return errs[m]
		}
		if _, err := e.w.Write(outs[m].Bytes()); err != nil {
			return err
		}
	}
	e.wrote = true
	e.pending = append(e.pending[:0], e.pending[n:]...)
	return nil
}

func (e *csvEncoder) finish(int) error { return e.flush(true) }
