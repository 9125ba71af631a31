package data

import (
	"fmt"
	"slices"
)

// compactBlock is the rows per block of a Compact: big enough that the
// block index costs nothing, small enough that growing by a block wastes
// little (2 MiB of float32 at 29 columns).
const compactBlock = 1 << 14

// Compact is a table held as compactly as its values allow, for the large
// samples that training keeps in memory: float32 while every value is
// exactly a float32 (the HIGGS file, most ROOT ntuples), float64 from the
// first value that is not; rows in blocks, so that it grows without
// copying and a full-size sample needs no second copy while being read.
// Every value reads back as the float64 that was appended, bit for bit
// (NaN payloads aside).
//
// A Compact is not safe for concurrent appends; concurrent reads are fine.
type Compact struct {
	Columns []string
	rows    int
	block   int         // rows per block
	f32     [][]float32 // while every value is a float32
	f64     [][]float64 // otherwise (f32 is then nil)
}

// NewCompact returns an empty Compact with the given columns, stored as
// float32 until a value needs float64.
func NewCompact(columns []string) (*Compact, error) {
	if err := checkNames(columns); err != nil {
		return nil, err
	}
	if len(columns) == 0 {
		return nil, fmt.Errorf("compact table: no columns")
	}
	return &Compact{Columns: slices.Clone(columns), block: compactBlock}, nil
}

// CompactOf returns t as a Compact that shares t's storage (float64, one
// block): no copy, for callers that already hold a Table.
func CompactOf(t *Table) *Compact {
	rows := t.Rows()
	c := &Compact{Columns: t.Columns, rows: rows, block: max(rows, 1)}
	if rows > 0 {
		c.f64 = [][]float64{t.Data}
	}
	return c
}

// Rows is the number of rows.
func (c *Compact) Rows() int { return c.rows }

// Cols is the number of columns.
func (c *Compact) Cols() int { return len(c.Columns) }

// Float32 reports whether the values are held as float32.
func (c *Compact) Float32() bool { return c.f64 == nil }

// Bytes is the memory the values take.
func (c *Compact) Bytes() int64 {
	size := int64(8)
	if c.Float32() {
		size = 4
	}
	return size * int64(c.rows) * int64(len(c.Columns))
}

// Append adds rows (row-major, a multiple of Cols values).
func (c *Compact) Append(rows []float64) error {
	d := len(c.Columns)
	if len(rows)%d != 0 {
		return fmt.Errorf("compact table: %d values, not a multiple of its %d columns", len(rows), d)
	}
	if c.Float32() && !allFloat32(rows) {
		c.widen()
	}
	for len(rows) > 0 {
		b, r := c.rows/c.block, c.rows%c.block
		n := min(len(rows)/d, c.block-r)
		if c.Float32() {
			if b == len(c.f32) {
				c.f32 = append(c.f32, make([]float32, c.block*d))
			}
			dst := c.f32[b][r*d : (r+n)*d]
			for i, v := range rows[:n*d] {
				dst[i] = float32(v)
			}
		} else {
			if b == len(c.f64) {
				c.f64 = append(c.f64, make([]float64, c.block*d))
			}
			copy(c.f64[b][r*d:(r+n)*d], rows[:n*d])
		}
		c.rows += n
		rows = rows[n*d:]
	}
	return nil
}

// allFloat32 reports whether every value survives a round trip through
// float32: exactly representable, or NaN or an infinity.
func allFloat32(v []float64) bool {
	for _, x := range v {
		if float64(float32(x)) != x && x == x {
			return false
		}
	}
	return true
}

// widen moves the values to float64 storage, a block at a time.
func (c *Compact) widen() {
	c.f64 = make([][]float64, len(c.f32))
	for b, blk := range c.f32 {
		w := make([]float64, len(blk))
		for i, v := range blk {
			w[i] = float64(v)
		}
		c.f64[b], c.f32[b] = w, nil
	}
	c.f32 = nil
	if c.f64 == nil {
		c.f64 = [][]float64{}
	}
}

// At is the value in row i and column j.
func (c *Compact) At(i, j int) float64 {
	b, r := i/c.block, i%c.block
	k := r*len(c.Columns) + j
	if c.f64 != nil {
		return c.f64[b][k]
	}
	return float64(c.f32[b][k])
}

// Gather writes the values of the given rows and columns into dst, row by
// row: dst[k*len(cols)+m] = At(rows[k], cols[m]). It returns dst resized.
func (c *Compact) Gather(dst []float64, rows, cols []int) []float64 {
	m := len(cols)
	dst = slices.Grow(dst[:0], len(rows)*m)[:len(rows)*m]
	d := len(c.Columns)
	for k, i := range rows {
		b, r := i/c.block, i%c.block
		out := dst[k*m : (k+1)*m]
		if c.f64 != nil {
			row := c.f64[b][r*d : (r+1)*d]
			for q, j := range cols {
				out[q] = row[j]
			}
			continue
		}
		row := c.f32[b][r*d : (r+1)*d]
		for q, j := range cols {
			out[q] = float64(row[j])
		}
	}
	return dst
}

// Column writes column j of rows lo..lo+n-1 into buf and returns it
// resized.
func (c *Compact) Column(j, lo, n int, buf []float64) []float64 {
	buf = slices.Grow(buf[:0], n)[:n]
	d := len(c.Columns)
	for k := 0; k < n; {
		b, r := (lo+k)/c.block, (lo+k)%c.block
		m := min(n-k, c.block-r)
		if c.f64 != nil {
			blk := c.f64[b][r*d+j:]
			for q := range m {
				buf[k+q] = blk[q*d]
			}
		} else {
			blk := c.f32[b][r*d+j:]
			for q := range m {
				buf[k+q] = float64(blk[q*d])
			}
		}
		k += m
	}
	return buf
}

// GatherRange is Gather of rows lo..lo+n-1.
func (c *Compact) GatherRange(dst []float64, lo, n int, cols []int) []float64 {
	m := len(cols)
	dst = slices.Grow(dst[:0], n*m)[:n*m]
	d := len(c.Columns)
	for k := 0; k < n; {
		b, r := (lo+k)/c.block, (lo+k)%c.block
		cnt := min(n-k, c.block-r)
		for q := range cnt {
			out := dst[(k+q)*m : (k+q+1)*m]
			if c.f64 != nil {
				row := c.f64[b][(r+q)*d : (r+q+1)*d]
				for t, j := range cols {
					out[t] = row[j]
				}
			} else {
				row := c.f32[b][(r+q)*d : (r+q+1)*d]
				for t, j := range cols {
					out[t] = float64(row[j])
				}
			}
		}
		k += cnt
	}
	return dst
}

// Permute reorders the rows in place: afterwards row i holds what row
// order[i] held. order must be a permutation of 0..Rows()-1. It moves each
// row once (following the permutation's cycles), so it needs no second
// copy of the table.
func (c *Compact) Permute(order []int) error {
	if len(order) != c.rows {
		return fmt.Errorf("compact table: permutation of %d rows for %d", len(order), c.rows)
	}
	seen := make([]bool, c.rows)
	for _, k := range order {
		if k < 0 || k >= c.rows || seen[k] {
			return fmt.Errorf("compact table: not a permutation (row %d)", k)
		}
		seen[k] = true
	}
	clear(seen) // now: rows already in place
	d := len(c.Columns)
	row := func(i int) (f32 []float32, f64 []float64) {
		b, r := i/c.block, i%c.block
		if c.f64 != nil {
			return nil, c.f64[b][r*d : (r+1)*d]
		}
		return c.f32[b][r*d : (r+1)*d], nil
	}
	tmp32, tmp64 := make([]float32, d), make([]float64, d)
	for i := range order {
		if seen[i] || order[i] == i {
			continue
		}
		a32, a64 := row(i)
		copy(tmp32, a32)
		copy(tmp64, a64)
		j := i
		for {
			seen[j] = true
			k := order[j]
			d32, d64 := row(j)
			if k == i {
				copy(d32, tmp32)
				copy(d64, tmp64)
				break
			}
			s32, s64 := row(k)
			copy(d32, s32)
			copy(d64, s64)
			j = k
		}
	}
	return nil
}

// Range calls fn with consecutive runs of whole rows in order, as
// row-major float64 (a scratch slice, valid during the call), until fn
// returns an error, which Range returns.
func (c *Compact) Range(fn func(rows []float64) error) error {
	d := len(c.Columns)
	var buf []float64
	for b := 0; b*c.block < c.rows; b++ {
		n := min(c.block, c.rows-b*c.block) * d
		var rows []float64
		if c.f64 != nil {
			rows = c.f64[b][:n]
		} else {
			buf = slices.Grow(buf[:0], n)[:n]
			for i, v := range c.f32[b][:n] {
				buf[i] = float64(v)
			}
			rows = buf
		}
		if err := fn(rows); err != nil {
			return err
		}
	}
	return nil
}
