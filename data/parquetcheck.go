package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// The Parquet library trusts the sizes a file's metadata claims: a list
// count in the footer becomes an allocation of that many elements, a page
// header's sizes and value count become buffers, before the data are there
// to fill them. A few hundred bytes could make it ask for gigabytes, which
// no recover can undo (the runtime aborts). So the footer and the headers of
// the pages to be read are checked here first, against the bytes the file
// really has.

// errThrift is wrapped by the errors of checkThrift.
var errThrift = errors.New("corrupt Thrift metadata")

// maxThriftDepth bounds the nesting of Thrift structures and containers;
// Parquet's deepest is a handful of levels.
const maxThriftDepth = 64

// checkThrift checks that b starts with a well-formed compact-protocol
// Thrift struct in which no container or string claims more elements or
// bytes than follow it, and returns the struct's length. Every element of a
// container takes at least one byte, so a count beyond the bytes left is a
// lie; the walk costs time linear in len(b).
func checkThrift(b []byte) (int, error) {
	w := thriftWalker{b: b}
	if err := w.structure(0); err != nil {
		return 0, fmt.Errorf("%w at byte %d: %v", errThrift, w.off, err)
	}
	return w.off, nil
}

type thriftWalker struct {
	b   []byte
	off int
}

// Compact-protocol type codes.
const (
	ctStop = iota
	ctTrue
	ctFalse
	ctByte
	ctI16
	ctI32
	ctI64
	ctDouble
	ctBinary
	ctList
	ctSet
	ctMap
	ctStruct
	ctUUID
)

func (w *thriftWalker) byte1() (byte, error) {
	if w.off >= len(w.b) {
		return 0, io.ErrUnexpectedEOF
	}
	c := w.b[w.off]
	w.off++
	return c, nil
}

func (w *thriftWalker) uvarint() (uint64, error) {
	v, n := binary.Uvarint(w.b[w.off:])
	if n <= 0 {
		return 0, errors.New("bad varint")
	}
	w.off += n
	return v, nil
}

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(len(w.b)-w.off) {
		return fmt.Errorf("%d bytes claimed, %d left", n, len(w.b)-w.off)
	}
	w.off += int(n)
	return nil
}

func (w *thriftWalker) structure(depth int) error {
	if depth > maxThriftDepth {
		return errors.New("nested too deeply")
	}
	for {
		h, err := w.byte1()
		if err != nil {
			return err
		}
		t := h & 0x0f
		if t == ctStop {
			return nil
		}
		if h>>4 == 0 { // the field id follows as a zigzag varint
			if _, err := w.uvarint(); err != nil {
				return err
			}
		}
		if t == ctTrue || t == ctFalse {
			continue // the value is the type
		}
		if err := w.value(t, depth); err != nil {
			return err
		}
	}
}

func (w *thriftWalker) value(t byte, depth int) error {
	switch t {
	case ctTrue, ctFalse, ctByte: // booleans in containers take a byte
		return w.skip(1)
	case ctI16, ctI32, ctI64:
		_, err := w.uvarint()
		return err
	case ctDouble:
		return w.skip(8)
	case ctUUID:
		return w.skip(16)
	case ctBinary:
		n, err := w.uvarint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case ctList, ctSet:
		h, err := w.byte1()
		if err != nil {
			return err
		}
		n, et := uint64(h>>4), h&0x0f
		if n == 15 {
			if n, err = w.uvarint(); err != nil {
				return err
			}
		}
		if n > uint64(len(w.b)-w.off) {
			return fmt.Errorf("a list of %d elements in %d bytes", n, len(w.b)-w.off)
		}
		for range n {
			if err := w.value(et, depth+1); err != nil {
				return err
			}
		}
		return nil
	case ctMap:
		n, err := w.uvarint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := w.byte1()
		if err != nil {
			return err
		}
		if n > uint64(len(w.b)-w.off)/2 {
			return fmt.Errorf("a map of %d entries in %d bytes", n, len(w.b)-w.off)
		}
		for range n {
			if err := w.value(kv>>4, depth+1); err != nil {
				return err
			}
			if err := w.value(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case ctStruct:
		return w.structure(depth + 1)
	}
	return fmt.Errorf("unknown type %d", t)
}

// checkParquetFooter checks, before the Parquet library reads it, that the
// footer the file's last bytes point to fits in the file and that its
// Thrift encoding claims no more than it holds.
func checkParquetFooter(r io.ReaderAt, size int64) error {
	var head [4]byte
	if n, _ := r.ReadAt(head[:], 0); n < 4 || string(head[:]) != "PAR1" {
		return fmt.Errorf("not a Parquet file (invalid magic header of parquet file: %q)", head[:n])
	}
	if size < 12 {
		return fmt.Errorf("%w: the Parquet footer is missing (a %d-byte file)", ErrTruncated, size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("read the Parquet footer: %w", err)
	}
	switch string(tail[4:]) {
	case "PAR1":
	case "PARE":
		return errors.New("encrypted Parquet files are not supported")
	default:
		return fmt.Errorf("%w: the Parquet footer is missing (invalid magic footer %q)", ErrTruncated, tail[4:])
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 {
		return fmt.Errorf("%w: the Parquet footer length %d runs past the start of the %d-byte file", ErrTruncated, n, size)
	}
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil {
		return fmt.Errorf("read the Parquet footer: %w", err)
	}
	if _, err := checkThrift(footer); err != nil {
		return fmt.Errorf("corrupt Parquet footer: %w", err)
	}
	return nil
}

// parquetBudget is the decoded page memory reading a row group may claim:
// the pages of the columns read are held at once, one per column, and
// their claimed sizes (bytes once decompressed, values once decoded) are
// trusted only within 64 MiB or 64 times the file, so that a small file
// cannot make the library allocate much more than it could hold.
func parquetBudget(size int64) int64 { return max(64<<20, 64*size) }

// pageHeaderWindow is how much of a column chunk is read to decode a page
// header; a larger header is read whole when it does not fit.
const pageHeaderWindow = 4 << 10

// checkColumnPages walks the page headers of a column chunk of a row group
// of rows rows, checking that each page lies inside the chunk, the chunk
// inside the file, and that no page holds more values than the row group
// has rows. It returns the most memory one page of the column (with the
// column's dictionary) claims once decoded.
func checkColumnPages(r io.ReaderAt, size int64, md *format.ColumnMetaData, rows int64) (int64, error) {
	base := md.DataPageOffset
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < base {
		base = md.DictionaryPageOffset
	}
	total := md.TotalCompressedSize
	if base < 0 || total < 0 || base > size || total > size-base {
		return 0, fmt.Errorf("%w: the column chunk at offset %d of %d bytes runs past the end of the %d-byte file", ErrTruncated, base, total, size)
	}
	var dict, page int64
	buf := make([]byte, 0, pageHeaderWindow)
	for off := int64(0); off < total; {
		win := min(int64(pageHeaderWindow), total-off)
		var hlen int
		for {
			buf = buf[:win]
			if _, err := r.ReadAt(buf, base+off); err != nil {
				return 0, fmt.Errorf("read a page header: %w", err)
			}
			n, err := checkThrift(buf)
			if err == nil {
				hlen = n
				break
			}
			if win == total-off { // the whole rest of the chunk: a bad header
				return 0, fmt.Errorf("page header at byte %d of the column chunk: %w", off, err)
			}
			win = min(4*win, total-off)
			buf = make([]byte, 0, win)
		}
		var h format.PageHeader
		if err := thrift.Unmarshal(&thrift.CompactProtocol{}, buf[:hlen], &h); err != nil {
			return 0, fmt.Errorf("page header at byte %d of the column chunk: %w", off, err)
		}
		comp, uncomp := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
		if comp < 0 || uncomp < 0 || comp > total-off-int64(hlen) {
			return 0, fmt.Errorf("%w: a page of %d bytes at byte %d of a %d-byte column chunk", ErrTruncated, comp, off, total)
		}
		var values int64
		switch {
		case h.DataPageHeader.Valid:
			values = int64(h.DataPageHeader.V.NumValues)
		case h.DataPageHeaderV2.Valid:
			values = int64(max(h.DataPageHeaderV2.V.NumValues, h.DataPageHeaderV2.V.NumRows))
		case h.DictionaryPageHeader.Valid:
			values = int64(h.DictionaryPageHeader.V.NumValues)
		}
		if values < 0 || values > rows && !h.DictionaryPageHeader.Valid {
			return 0, fmt.Errorf("corrupt Parquet page: %d values in a row group of %d rows", values, rows)
		}
		// Decoded, a value takes at most 8 bytes (a double, an int64, an
		// offset and an index), plus the bytes themselves for strings.
		mem := comp + uncomp + 8*values
		if h.DictionaryPageHeader.Valid {
			dict += mem
		} else {
			page = max(page, mem)
		}
		off += int64(hlen) + comp
	}
	return dict + page, nil
}
