package rootfile

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// keyHead is what the checks need of a record's key (ROOT's TKey).
type keyHead struct {
	nbytes, objlen, keylen, seekKey int64
	gap                             bool // a free gap, not a record
}

// basketHead is what the checks need of a basket's key and header.
type basketHead struct {
	keyHead
	last int64 // where the entry offsets start
}

// headReader reads big-endian fields, failing instead of reading past the
// end.
type headReader struct {
	b   []byte
	pos int
	err error
}

var errShort = errors.New("the header runs past its record")

func (r *headReader) next(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b)-r.pos {
		if r.err == nil {
			r.err = errShort
		}
		return make([]byte, 8) // what the fixed-size readers need
	}
	p := r.b[r.pos : r.pos+n]
	r.pos += n
	return p
}

func (r *headReader) u8() uint8   { return r.next(1)[0] }
func (r *headReader) i16() int16  { return int16(binary.BigEndian.Uint16(r.next(2))) }
func (r *headReader) i32() int32  { return int32(binary.BigEndian.Uint32(r.next(4))) }
func (r *headReader) i64() int64  { return int64(binary.BigEndian.Uint64(r.next(8))) }
func (r *headReader) left() int64 { return int64(len(r.b) - r.pos) }

// str skips a ROOT string the way groot reads it (a string whose first
// byte is 0 ends there), checking its length against the data first:
// groot allocates the length it reads, up to 4 GiB, before looking.
func (r *headReader) str() {
	n := int64(r.u8())
	if n == 255 {
		n = int64(uint32(r.i32()))
	}
	if n == 0 || r.err != nil {
		return
	}
	if n > r.left() {
		r.err = fmt.Errorf("a string of %d bytes in a record of %d", n, len(r.b))
		return
	}
	if r.u8() != 0 {
		r.next(int(n - 1))
	}
}

// count reads a length of 4-byte values that groot would allocate.
func (r *headReader) count(size int64) int64 {
	n := int64(r.i32())
	if r.err == nil && (n < 0 || n*size > r.left()) {
		r.err = fmt.Errorf("an array of %d values in a record of %d bytes", n, len(r.b))
	}
	return n
}

// key reads a TKey header as groot's riofs.Key.UnmarshalROOT does.
func (r *headReader) key() keyHead {
	var h keyHead
	if h.nbytes = int64(r.i32()); h.nbytes < 0 {
		h.gap = true
		return h
	}
	version := r.i16()
	h.objlen = int64(r.i32())
	r.i32() // date and time
	h.keylen = int64(r.i16())
	r.i16() // cycle
	if version > 1000 {
		h.seekKey = r.i64()
		r.i64()
	} else {
		h.seekKey = int64(r.i32())
		r.i32()
	}
	r.str() // class
	r.str() // name
	r.str() // title
	return h
}

// parseBasketHead reads a TKey and the TBasket header that follows it,
// following groot's rtree.Basket.UnmarshalROOT.
func parseBasketHead(b []byte) (basketHead, error) {
	r := &headReader{b: b}
	h := basketHead{keyHead: r.key()}
	if h.gap {
		return h, errors.New("a free gap where a basket should be")
	}
	vers := r.i16()
	r.i32() // buffer size
	if nevsize := r.i32(); nevsize < 0 {
		// The I/O features: a versioned record of one or four bytes.
		if bcnt := uint32(r.i32()); bcnt&0x40000000 != 0 {
			if r.i16() <= 0 {
				r.err = errors.New("an I/O features record without a version")
			}
		} else {
			r.pos -= 4
			if r.i16() <= 0 {
				r.err = errors.New("an I/O features record without a version")
			}
		}
		if r.u8() != 0 {
			r.next(3)
			r.u8()
		}
	}
	nevbuf := r.i32()
	h.last = int64(r.i32())
	flag := r.u8()
	mustGenOffsets := flag >= 80
	if mustGenOffsets {
		flag -= 80
	}
	if !mustGenOffsets && flag != 0 && flag%10 != 2 {
		if nevbuf > 0 {
			r.next(int(4 * r.count(4)))
		}
		if flag > 40 {
			r.next(int(4 * r.count(4)))
		}
	}
	if flag == 1 || flag > 10 {
		sz := h.last
		if vers <= 1 {
			sz = int64(r.i32())
		}
		if r.err == nil && (sz < 0 || sz > r.left()) {
			r.err = fmt.Errorf("%d bytes of raw data in a record of %d", sz, len(b))
		}
	}
	return h, r.err
}
