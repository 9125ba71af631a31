package rootfile

import (
	"encoding/binary"
	"fmt"
	"io"
	"reflect"

	"go-hep.org/x/hep/groot/rbytes"
	"go-hep.org/x/hep/groot/rtree"
)

// groot decompresses baskets in a goroutine of its own, where a panic
// (which a damaged basket can cause) cannot be recovered and would end the
// program. So before reading, every basket the scan will touch is checked
// here, in the caller's goroutine, the way groot will read it: its place
// in the file, its key and basket header (by hand, then by groot itself
// under recover), its uncompressed size, the chain of compressed blocks
// that groot's decompressor trusts and, for entries of varying size, the
// offset table at its end (which takes decompressing the basket once more).
// Left unchecked: a zstd block of a fixed-size branch whose stream ends
// before its declared size (groot panics on it; only a crafted file has
// one), and the values inside baskets, which counts.go bounds where groot
// allocates by them.

// maxBasketLen bounds the uncompressed size of one basket, which groot
// allocates as the file says; ROOT's baskets are kilobytes to a few MB.
const maxBasketLen = 256 << 20

// headerPrefix is how much of a basket is read to parse its header; the
// whole basket is read only when the header does not fit.
const headerPrefix = 4 << 10

// basketTable is the part of a TBranch that locates its baskets; groot
// keeps it unexported, so it is read by reflection.
type basketTable struct {
	bytes     []int32
	entry     []int64
	seek      []int64
	recovered reflect.Value // []rtree.Basket kept in the branch record itself
	offsets   bool          // entries of varying size: baskets end with an offset table
}

func basketsOf(b rtree.Branch) (*basketTable, error) {
	v := reflect.ValueOf(b)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		if emb := v.FieldByName("tbranch"); emb.IsValid() {
			v = emb
		}
	}
	field := func(name string, kind reflect.Kind) (reflect.Value, error) {
		f := v.FieldByName(name)
		if !f.IsValid() || f.Kind() != kind {
			return f, fmt.Errorf("internal error: groot's %T has no %s field of kind %s (a groot version other than v0.40.0?)", b, name, kind)
		}
		return f, nil
	}
	var t basketTable
	bytes, err := field("basketBytes", reflect.Slice)
	if err != nil {
		return nil, err
	}
	entry, err := field("basketEntry", reflect.Slice)
	if err != nil {
		return nil, err
	}
	seek, err := field("basketSeek", reflect.Slice)
	if err != nil {
		return nil, err
	}
	if t.recovered, err = field("baskets", reflect.Slice); err != nil {
		return nil, err
	}
	eoff, err := field("entryOffsetLen", reflect.Int)
	if err != nil {
		return nil, err
	}
	t.offsets = eoff.Int() > 0
	t.bytes = make([]int32, bytes.Len())
	for i := range t.bytes {
		t.bytes[i] = int32(bytes.Index(i).Int())
	}
	t.entry = make([]int64, entry.Len())
	for i := range t.entry {
		t.entry[i] = entry.Index(i).Int()
	}
	t.seek = make([]int64, seek.Len())
	for i := range t.seek {
		t.seek[i] = seek.Index(i).Int()
	}
	return &t, nil
}

// vetBranch checks the baskets of b that hold entries before end.
func (rf *rootFile) vetBranch(b rtree.Branch, end int64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: unreadable basket table: %v", ErrCorrupt, r)
		}
	}()
	t, err := basketsOf(b)
	if err != nil {
		return err
	}
	if len(t.bytes) < len(t.seek) || len(t.entry) < len(t.seek) {
		return fmt.Errorf("%w: basket table of %d baskets with %d sizes and %d first entries", ErrCorrupt, len(t.seek), len(t.bytes), len(t.entry))
	}
	// groot's "recover" layout (as many first entries as baskets) ends at
	// the first empty slot.
	recoverLayout := len(t.entry) == len(t.seek)
	for i, seek := range t.seek {
		if i > 0 && t.entry[i] >= end {
			break
		}
		if recoverLayout && i > 0 && seek == 0 {
			break
		}
		if err := rf.vetBasket(seek, t.bytes[i], t.offsets); err != nil {
			return fmt.Errorf("basket %d: %w", i, err)
		}
	}
	for i := 0; i < t.recovered.Len(); i++ {
		k := t.recovered.Index(i).FieldByName("key")
		if !k.IsValid() {
			return fmt.Errorf("internal error: groot's Basket has no key field")
		}
		objlen := k.FieldByName("objlen").Int()
		if objlen < 0 || objlen > maxBasketLen {
			return fmt.Errorf("%w: recovered basket %d claims %d bytes", ErrCorrupt, i, objlen)
		}
		if k.FieldByName("buf").Len() > 0 {
			continue
		}
		nbytes, keylen, seekKey := k.FieldByName("nbytes").Int(), k.FieldByName("keylen").Int(), k.FieldByName("seekkey").Int()
		if err := rf.vetPayload(seekKey, nbytes, keylen, objlen); err != nil {
			return fmt.Errorf("%w: recovered basket %d: %w", ErrCorrupt, i, err)
		}
	}
	return nil
}

// vetBasket checks one basket record of size bytes at seek.
func (rf *rootFile) vetBasket(seek int64, size int32, offsets bool) error {
	if size <= 0 || seek <= 0 || seek+int64(size) > rf.size {
		return fmt.Errorf("%w: %d bytes at offset %d, outside the file (%d bytes)", ErrCorrupt, size, seek, rf.size)
	}
	h, err := rf.basketHeader(seek, int(min(int64(size), headerPrefix)))
	if err != nil && size > headerPrefix {
		h, err = rf.basketHeader(seek, int(size))
	}
	if err != nil {
		return err
	}
	if h.objlen < 0 || h.objlen > maxBasketLen {
		return fmt.Errorf("%w: the basket claims %d bytes uncompressed (at most %d accepted)", ErrCorrupt, h.objlen, maxBasketLen)
	}
	if err := rf.vetPayload(h.seekKey, h.nbytes, h.keylen, h.objlen); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if offsets {
		return rf.vetOffsets(h)
	}
	return nil
}

// vetOffsets checks the table of entry offsets that ends a basket of
// entries of varying size: groot allocates the length it reads there. For
// a compressed basket that takes decompressing it, as groot will again.
func (rf *rootFile) vetOffsets(h basketHead) error {
	pos := h.last - h.keylen // in the uncompressed payload
	if pos < 0 || pos+4 > h.objlen {
		return fmt.Errorf("%w: the basket's entry offsets start at %d, outside its %d bytes", ErrCorrupt, h.last, h.keylen+h.objlen)
	}
	var n int64
	if h.objlen == h.nbytes-h.keylen {
		var b [4]byte
		if _, err := rf.f.ReadAt(b[:], h.seekKey+h.keylen+pos); err != nil {
			return fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		n = int64(int32(binary.BigEndian.Uint32(b[:])))
	} else {
		payload := make([]byte, h.objlen)
		if err := decompress(payload, io.NewSectionReader(rf.f, h.seekKey+h.keylen, h.nbytes-h.keylen), false); err != nil {
			return fmt.Errorf("%w: basket: %w", ErrCorrupt, err)
		}
		n = int64(int32(binary.BigEndian.Uint32(payload[pos:])))
	}
	if n < 0 || pos+4+4*n > h.objlen {
		return fmt.Errorf("%w: a table of %d entry offsets in a basket of %d bytes", ErrCorrupt, n, h.objlen)
	}
	return nil
}

// basketHeader parses the key and basket header in the first n bytes at
// seek: first by hand, checking every size that groot would allocate
// before it checks it against the data, then with groot's own code under
// recover, so that neither can fail later in groot's goroutine.
func (rf *rootFile) basketHeader(seek int64, n int) (h basketHead, err error) {
	buf := make([]byte, n)
	if _, err := rf.f.ReadAt(buf, seek); err != nil {
		return h, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if h, err = parseBasketHead(buf); err != nil {
		return h, fmt.Errorf("%w: unreadable basket header: %w", ErrCorrupt, err)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: unreadable basket header: %v", ErrCorrupt, r)
		}
	}()
	if err := new(rtree.Basket).UnmarshalROOT(rbytes.NewRBuffer(buf, nil, 0, rf.f)); err != nil {
		return h, fmt.Errorf("%w: unreadable basket header: %w", ErrCorrupt, err)
	}
	return h, nil
}

func (rf *rootFile) vetPayload(seekKey, nbytes, keylen, objlen int64) error {
	return vetPayload(rf.f, rf.size, seekKey, nbytes, keylen, objlen)
}

// vetPayload checks the record groot will decompress into objlen bytes
// (its errors do not wrap ErrCorrupt: callers say what the record is):
// nbytes at seekKey in a file of the given size, of which keylen are the
// key. For a compressed record it walks the chain of 9-byte block headers
// as groot's decompressor will.
func vetPayload(f io.ReaderAt, size, seekKey, nbytes, keylen, objlen int64) error {
	if keylen < 0 || nbytes < keylen || seekKey < 0 || seekKey+nbytes > size {
		return fmt.Errorf("a record of %d bytes (key %d) at offset %d, outside the file (%d bytes)", nbytes, keylen, seekKey, size)
	}
	if objlen == nbytes-keylen {
		return nil // stored uncompressed
	}
	off, left, done := seekKey+keylen, nbytes-keylen, int64(0)
	var hdr [9]byte
	for done < objlen {
		if left < int64(len(hdr)) {
			return fmt.Errorf("compressed data ends after %d of %d bytes", done, objlen)
		}
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			return err
		}
		src := int64(hdr[3]) | int64(hdr[4])<<8 | int64(hdr[5])<<16
		dst := int64(hdr[6]) | int64(hdr[7])<<8 | int64(hdr[8])<<16
		switch string(hdr[:2]) {
		case "ZL", "XZ", "ZS":
		case "L4":
			if src < 8 {
				return fmt.Errorf("an LZ4 block of %d bytes, shorter than its checksum", src)
			}
		case "CS":
			return fmt.Errorf("%w: ROOT's old compression (CS) is not supported by groot", ErrUnsupported)
		default:
			return fmt.Errorf("unknown compression %q", hdr[:2])
		}
		if dst == 0 || done+dst > objlen || src > left-int64(len(hdr)) {
			return fmt.Errorf("a compressed block of %d bytes (to %d) does not fit its record", src, dst)
		}
		done += dst
		off += int64(len(hdr)) + src
		left -= int64(len(hdr)) + src
	}
	return nil
}
