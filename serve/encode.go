package serve

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"hepflow/data"
)

// Media types the service reads and writes.
const (
	typeJSON    = "application/json"
	typeCSV     = "text/csv"
	typeNPY     = "application/x-npy"
	typeParquet = "application/vnd.apache.parquet"
)

// negotiate picks the answer's media type from an Accept header: the first
// one listed that the service writes; JSON when none is asked for.
func negotiate(accept string) (string, error) {
	if strings.TrimSpace(accept) == "" {
		return typeJSON, nil
	}
	for _, part := range strings.Split(accept, ",") {
		switch t := mediaType(part); t {
		case typeJSON, "*/*", "application/*":
			return typeJSON, nil
		case typeCSV, "text/*":
			return typeCSV, nil
		case typeNPY:
			return typeNPY, nil
		case typeParquet, "application/x-parquet":
			return typeParquet, nil
		}
	}
	return "", errorf(http.StatusNotAcceptable, "Accept %q: the service answers %s, %s, %s or %s", accept, typeJSON, typeCSV, typeNPY, typeParquet)
}

// tableEncoder streams rows of float64 columns in the negotiated format.
type tableEncoder interface {
	write(rows []float64) error
	finish() error
	abort()
}

// newTableEncoder starts an answer of rows rows of cols. JSON, CSV and
// .npy stream as the rows come; Parquet goes through a temporary file in
// tmp (its footer needs every row), sent when complete. The column names
// are also in the X-Hepflow-Columns header (comma-separated).
func newTableEncoder(w http.ResponseWriter, accept string, cols []string, rows int64, tmp string) (tableEncoder, error) {
	t, err := negotiate(accept)
	if err != nil {
		return nil, err
	}
	w.Header().Set("X-Hepflow-Columns", strings.Join(cols, ","))
	w.Header().Set("X-Hepflow-Rows", strconv.FormatInt(rows, 10))
	switch t {
	case typeParquet:
		return newParquetEncoder(w, cols, tmp)
	}
	w.Header().Set("Content-Type", t)
	bw := bufio.NewWriterSize(w, 64<<10)
	e := &streamEncoder{w: bw, kind: t, ncol: len(cols)}
	switch t {
	case typeJSON:
		names, _ := json.Marshal(cols)
		fmt.Fprintf(bw, `{"columns":%s,"rows":%d,"events":[`, names, rows)
	case typeCSV:
		bw.WriteString(strings.Join(cols, ",") + "\n")
	case typeNPY:
		writeNPYHeader(bw, rows, len(cols))
	}
	return e, nil
}

// streamEncoder writes JSON, CSV or .npy rows as they come.
type streamEncoder struct {
	w    *bufio.Writer
	kind string
	ncol int
	rows int64
	buf  []byte
}

// appendFloat writes v exactly (shortest form that reads back the same
// float64); JSON has no infinities, so they become null there.
func (e *streamEncoder) appendFloat(b []byte, v float64) []byte {
	if e.kind == typeJSON && (math.IsInf(v, 0) || math.IsNaN(v)) {
		return append(b, "null"...)
	}
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

func (e *streamEncoder) write(data []float64) error {
	n := len(data) / e.ncol
	for r := 0; r < n; r++ {
		row := data[r*e.ncol : (r+1)*e.ncol]
		b := e.buf[:0]
		switch e.kind {
		case typeNPY:
			for _, v := range row {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
		case typeJSON:
			if e.rows > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for j, v := range row {
				if j > 0 {
					b = append(b, ',')
				}
				b = e.appendFloat(b, v)
			}
			b = append(b, ']')
		case typeCSV:
			for j, v := range row {
				if j > 0 {
					b = append(b, ',')
				}
				b = e.appendFloat(b, v)
			}
			b = append(b, '\n')
		}
		e.buf = b
		if _, err := e.w.Write(b); err != nil {
			return err
		}
		e.rows++
	}
	return nil
}

func (e *streamEncoder) finish() error {
	if e.kind == typeJSON {
		e.w.WriteString("]}\n")
	}
	return e.w.Flush()
}

func (e *streamEncoder) abort() {}

// writeNPYHeader writes a version 1.0 .npy header of rows x cols float64s
// (little-endian, C order), padded to a multiple of 64 bytes.
func writeNPYHeader(w io.Writer, rows int64, cols int) {
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	dict += strings.Repeat(" ", pad) + "\n"
	hdr := []byte("\x93NUMPY\x01\x00")
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(len(dict)))
	w.Write(append(hdr, dict...))
}

// parquetEncoder collects the rows in a temporary Parquet file and sends it
// on finish.
type parquetEncoder struct {
	w   http.ResponseWriter
	dir string
	out *data.Writer
}

func newParquetEncoder(w http.ResponseWriter, cols []string, tmp string) (*parquetEncoder, error) {
	dir, err := os.MkdirTemp(tmp, "hepflow-serve-*")
	if err != nil {
		return nil, err
	}
	out, err := data.Create(filepath.Join(dir, "events.parquet"), cols, data.WriteOptions{Format: data.FormatParquet, AllowInfinite: true})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &parquetEncoder{w: w, dir: dir, out: out}, nil
}

func (e *parquetEncoder) write(rows []float64) error { return e.out.WriteRows(rows) }

func (e *parquetEncoder) finish() error {
	if err := e.out.Close(); err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(e.dir, "events.parquet"))
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		e.w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	}
	e.w.Header().Set("Content-Type", typeParquet)
	_, err = io.Copy(e.w, f)
	return err
}

func (e *parquetEncoder) abort() {
	e.out.Abort()
	os.RemoveAll(e.dir)
}
