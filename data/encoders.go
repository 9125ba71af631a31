package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go/compress/snappy"

	"github.com/parquet-go/parquet-go"
)

// parquetEncoder writes float64 columns in the table's order, required (no
// nulls), Snappy-compressed: the layout pandas and pyarrow read directly.
type parquetEncoder struct {
	w     *parquet.GenericWriter[any]
	ncol  int
	vals  []parquet.Value
	group int // rows in the current row group
}

// orderedGroup keeps the columns in the table's order; parquet.Group alone
// would sort them by name.
type orderedGroup struct {
	parquet.Group
	order []string
}

func (g orderedGroup) Fields() []parquet.Field {
	byName := make(map[string]parquet.Field, len(g.Group))
	for _, f := range g.Group.Fields() {
		byName[f.Name()] = f
	}
	out := make([]parquet.Field, len(g.order))
	for i, n := range g.order {
		out[i] = byName[n]
	}
	return out
}

// fastSnappy is Parquet's SNAPPY codec with s2's fast snappy-compatible
// encoder instead of its "better" one: float64 physics values barely
// compress either way (a few per cent), and the better encoder cost a
// tenth of a CSV to Parquet conversion.
type fastSnappy struct{ snappy.Codec }

// Encode compresses src into standard snappy blocks.
func (*fastSnappy) Encode(dst, src []byte) ([]byte, error) { return s2.EncodeSnappy(dst[:0], src), nil }

// parquetRowGroupRows bounds a row group so that a reader holding one in
// memory needs tens of megabytes, not the whole file.
const parquetRowGroupRows = 1 << 17

func newParquetEncoder(f io.Writer, columns []string) (*parquetEncoder, error) {
	g := parquet.Group{}
	for _, c := range columns {
		g[c] = parquet.Required(parquet.Leaf(parquet.DoubleType))
	}
	schema := parquet.NewSchema("hepflow", orderedGroup{Group: g, order: columns})
	w := parquet.NewGenericWriter[any](f, schema,
		parquet.Compression(&fastSnappy{}),
		parquet.MaxRowsPerRowGroup(parquetRowGroupRows),
		parquet.CreatedBy("hepflow", "", ""))
	return &parquetEncoder{w: w, ncol: len(columns)}, nil
}

// writeRows hands the values to the column writers a column at a time,
// ending a row group every parquetRowGroupRows rows: the row-based
// WriteRows spent more time splitting rows into columns than compressing
// them.
func (e *parquetEncoder) writeRows(data []float64) error {
	const batch = 4096
	d := e.ncol
	for len(data) > 0 {
		n := min(len(data)/d, batch, parquetRowGroupRows-e.group)
		if cap(e.vals) < n {
			e.vals = make([]parquet.Value, n)
		}
		vals := e.vals[:n]
		for j, cw := range e.w.ColumnWriters() {
			for i := range vals {
				vals[i] = parquet.DoubleValue(data[i*d+j]).Level(0, 0, j)
			}
			if _, err := cw.WriteRowValues(vals); err != nil {
				return err
			}
		}
		data = data[n*d:]
		if e.group += n; e.group == parquetRowGroupRows {
			if err := e.w.Flush(); err != nil {
				return err
			}
			e.group = 0
		}
	}
	return nil
}

func (e *parquetEncoder) finish(int) error { return e.w.Close() }

// npyEncoder writes a C-order float64 array. The row count is only known at
// the end, so the header is written with room for any count and rewritten
// in place by finish.
type npyEncoder struct {
	f      *os.File
	bw     *bufio.Writer
	ncol   int
	hdrLen int
	buf    []byte
}

func newNPYEncoder(f *os.File, ncol int) (*npyEncoder, error) {
	e := &npyEncoder{f: f, bw: bufio.NewWriterSize(f, 1<<20), ncol: ncol}
	e.hdrLen = len(npyHeaderBytes(math.MaxInt64, ncol, 0))
	if _, err := e.bw.Write(npyHeaderBytes(0, ncol, e.hdrLen)); err != nil {
		return nil, err
	}
	return e, nil
}

// npyHeaderBytes returns a version 1.0 header for a rows x ncol float64
// array, padded with spaces to total bytes (or to the next multiple of 64
// when total is 0), ending in a newline as numpy writes it.
func npyHeaderBytes(rows, ncol, total int) []byte {
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", rows, ncol)
	if total == 0 {
		total = (10 + len(dict) + 1 + 63) / 64 * 64
	}
	h := make([]byte, 10, total)
	copy(h, "\x93NUMPY\x01\x00")
	binary.LittleEndian.PutUint16(h[8:], uint16(total-10))
	h = append(h, dict...)
	for len(h) < total-1 {
		h = append(h, ' ')
	}
	return append(h, '\n')
}

func (e *npyEncoder) writeRows(data []float64) error {
	e.buf = e.buf[:0]
	for _, v := range data {
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
	}
	_, err := e.bw.Write(e.buf)
	return err
}

func (e *npyEncoder) finish(rows int) error {
	if err := e.bw.Flush(); err != nil {
		return err
	}
	h := npyHeaderBytes(rows, e.ncol, e.hdrLen)
	if len(h) != e.hdrLen {
		return fmt.Errorf("internal error: .npy header grew from %d to %d bytes", e.hdrLen, len(h))
	}
	_, err := e.f.WriteAt(h, 0)
	return err
}
