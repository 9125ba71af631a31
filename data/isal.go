package data

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"sync"
	"unsafe"
)

// Decompression with Intel's ISA-L (Debian package libisal2), when it is
// installed: its inflate is two to three times as fast as Go's on the
// HIGGS text (360 against 130-170 MB/s of output on one core here), and
// decompression is what bounds reading a large .csv.gz. The library is
// loaded at run time (purego, no cgo) and used for the deflate data only:
// the gzip header and trailer are parsed and checked in Go. At the first
// sign of trouble (a header ISA-L is not given, a decoding error, a bad
// checksum, a stream that ends early) the member is decoded again by Go's
// decoder, which skips the bytes already delivered and then yields what
// the sequential reader would: the same bytes and the same error. So ISA-L
// changes the speed, never the result. HEPFLOW_ISAL=0 turns it off.

// isalLib is the loaded library's inflate entry points.
type isalLib struct {
	name          string
	init, inflate uintptr
}

// loadISAL returns the library, loaded once per process, or nil when it is
// not installed, fails its self-test or HEPFLOW_ISAL=0.
var loadISAL = sync.OnceValue(func() *isalLib {
	if os.Getenv("HEPFLOW_ISAL") == "0" {
		return nil
	}
	lib, err := openISAL()
	if err != nil || !lib.selfTest() {
		return nil
	}
	return lib
})

// The leading fields of ISA-L's struct inflate_state (igzip_lib.h, the
// same since ISA-L 2.x): next_out, avail_out, total_out, next_in, read_in,
// avail_in, read_in_length. The rest is the library's business.
const (
	isalNextOut      = 0
	isalAvailOut     = 8
	isalNextIn       = 16
	isalAvailIn      = 32
	isalReadInLength = 36
	// isalStateSize is room for the struct: 87,368 bytes in ISA-L 2.30,
	// with a wide margin for other versions.
	isalStateSize = 256 << 10
)

// isalInflater is one raw-deflate decompression stream.
type isalInflater struct {
	lib   *isalLib
	state []byte // the C struct, in Go memory (which the collector does not move)
}

func newIsalInflater(lib *isalLib) *isalInflater {
	return &isalInflater{lib: lib, state: make([]byte, isalStateSize)}
}

// reset starts a new stream.
func (z *isalInflater) reset() { z.lib.call(z.lib.init, z.state) }

// inflate decodes from in into out; it returns the bytes written and
// consumed and ISA-L's code (negative: an error in the data).
func (z *isalInflater) inflate(out, in []byte) (nOut, nIn int, code int32) {
	st := unsafe.Pointer(&z.state[0])
	*(*uintptr)(unsafe.Add(st, isalNextOut)) = uintptr(unsafe.Pointer(unsafe.SliceData(out)))
	*(*uint32)(unsafe.Add(st, isalAvailOut)) = uint32(len(out))
	*(*uintptr)(unsafe.Add(st, isalNextIn)) = uintptr(unsafe.Pointer(unsafe.SliceData(in)))
	*(*uint32)(unsafe.Add(st, isalAvailIn)) = uint32(len(in))
	code = z.lib.call(z.lib.inflate, z.state)
	nOut = len(out) - int(*(*uint32)(unsafe.Add(st, isalAvailOut)))
	nIn = len(in) - int(*(*uint32)(unsafe.Add(st, isalAvailIn)))
	runtime.KeepAlive(out)
	runtime.KeepAlive(in)
	return nOut, nIn, code
}

// held is the whole bytes ISA-L has taken from the input but not used:
// its bit buffer reads ahead.
func (z *isalInflater) held() int {
	return int(*(*int32)(unsafe.Add(unsafe.Pointer(&z.state[0]), isalReadInLength))) / 8
}

// selfTest decodes a known stream, so that a library whose struct differs
// from the layout above is not used (it would write the wrong fields).
func (l *isalLib) selfTest() bool {
	// "hepflow hepflow hepflow\n", raw deflate (fixed Huffman codes).
	want := []byte("hepflow hepflow hepflow\n")
	in := []byte{0xcb, 0x48, 0x2d, 0x48, 0xcb, 0xc9, 0x2f, 0x57, 0xc8, 0x40, 0xa5, 0xb9, 0x00}
	z := newIsalInflater(l)
	z.reset()
	out := make([]byte, 64)
	n, _, code := z.inflate(out, in)
	return code == 0 && string(out[:n]) == string(want)
}

// errIsalFallback says that Go's decoder must take the member over.
var errIsalFallback = errors.New("isal: falling back to Go's decoder")

// isalMember decodes one gzip member: header and trailer in Go, the
// deflate data with ISA-L.
type isalMember struct {
	z      *isalInflater
	sr     *io.SectionReader // from the member's start
	buf    []byte            // compressed input
	lo, hi int               // buf[lo:hi] is not yet given to ISA-L
	bufOff int64             // offset of buf[0] in sr
	eof    bool              // sr has nothing more
	crc    uint32
	size   uint32
	done   bool  // the deflate data has ended
	end    int64 // the member's end in sr, once checked
	// tail is output held back at the file's end (see read); tailBuf
	// keeps its storage for the next member.
	tail, tailBuf []byte
}

// isalInBuf is the compressed input read at a time.
const isalInBuf = 256 << 10

func newIsalMember(lib *isalLib) *isalMember {
	return &isalMember{z: newIsalInflater(lib), buf: make([]byte, isalInBuf)}
}

// open starts the member at start: its header must be a plain one that
// fits the first read, else errIsalFallback.
func (m *isalMember) open(ra io.ReaderAt, start, size int64) error {
	m.sr = io.NewSectionReader(ra, start, size-start)
	m.lo, m.hi, m.bufOff, m.eof = 0, 0, 0, false
	m.crc, m.size, m.done, m.end, m.tail = 0, 0, false, 0, nil
	if err := m.fill(); err != nil && m.hi == 0 {
		return errIsalFallback
	}
	h, ok := gzipHeaderLen(m.buf[:m.hi])
	if !ok {
		return errIsalFallback
	}
	m.lo = h
	m.z.reset()
	return nil
}

// fill moves the unused input to the front and reads more.
func (m *isalMember) fill() error {
	if m.lo > 0 {
		n := copy(m.buf, m.buf[m.lo:m.hi])
		m.bufOff += int64(m.lo)
		m.lo, m.hi = 0, n
	}
	n, err := m.sr.ReadAt(m.buf[m.hi:], m.bufOff+int64(m.hi))
	m.hi += n
	if err == io.EOF {
		m.eof = true
		err = nil
		if n == 0 {
			err = io.EOF
		}
	}
	return err
}

// read decodes into p; io.EOF at the member's verified end, and
// errIsalFallback where Go's decoder must decide. Output decoded once the
// file's last bytes are in the input is held back until the trailer is
// verified: on a truncated file ISA-L gets a few bytes further than Go's
// decoder before it fails, and those bytes must not have been delivered.
func (m *isalMember) read(p []byte) (int, error) {
	if len(m.tail) > 0 || m.done {
		n := copy(p, m.tail)
		m.tail = m.tail[n:]
		if len(m.tail) == 0 && m.done {
			return n, io.EOF
		}
		return n, nil
	}
	n := 0
	for n < len(p) {
		if m.eof {
			return n, m.finish()
		}
		if m.lo == m.hi {
			if err := m.fill(); err != nil && err != io.EOF {
				return n, errIsalFallback
			}
			continue
		}
		out, used, code := m.z.inflate(p[n:], m.buf[m.lo:m.hi])
		if code < 0 {
			// What this call wrote is left to Go's decoder, which may
			// stop sooner.
			return n, errIsalFallback
		}
		m.crc = crc32.Update(m.crc, crc32.IEEETable, p[n:n+out])
		m.size += uint32(out)
		n += out
		m.lo += used
		if n < len(p) && m.lo < m.hi {
			// Room for output and input left unread: the deflate data
			// ended. The trailer follows the last byte it used.
			return n, m.trailer()
		}
	}
	return n, nil
}

// isalTailMax bounds the output held back at the file's end.
const isalTailMax = 32 << 20

// finish decodes the rest of the member, whose input now reaches the end
// of the file, into the tail, and delivers it only if the trailer checks.
func (m *isalMember) finish() error {
	m.tail = m.tailBuf[:0]
	for {
		if len(m.tail) == cap(m.tail) {
			if cap(m.tail) >= isalTailMax {
				return errIsalFallback
			}
			m.tail = append(m.tail, make([]byte, max(64<<10, cap(m.tail)))...)[:len(m.tail)]
		}
		space := m.tail[len(m.tail):cap(m.tail)]
		out, used, code := m.z.inflate(space, m.buf[m.lo:m.hi])
		if code < 0 {
			m.tail = nil
			return errIsalFallback
		}
		m.crc = crc32.Update(m.crc, crc32.IEEETable, space[:out])
		m.size += uint32(out)
		m.tail = m.tail[:len(m.tail)+out]
		m.lo += used
		if out < len(space) {
			break // ended, or out of input
		}
	}
	m.tailBuf = m.tail[:0]
	if m.lo == m.hi && m.z.held() == 0 {
		// Out of input with no trailer after it: Go's decoder says what
		// the file lacks.
		m.tail = nil
		return errIsalFallback
	}
	if err := m.trailer(); err != io.EOF {
		m.tail = nil
		return err
	}
	return nil
}

// trailer checks the CRC-32 and size after the deflate data.
func (m *isalMember) trailer() error {
	at := m.bufOff + int64(m.lo) - int64(m.z.held())
	var t [8]byte
	if _, err := m.sr.ReadAt(t[:], at); err != nil {
		return errIsalFallback
	}
	if binary.LittleEndian.Uint32(t[:4]) != m.crc || binary.LittleEndian.Uint32(t[4:]) != m.size {
		return errIsalFallback
	}
	m.done, m.end = true, at+8
	return io.EOF
}

// gzipHeaderLen is the length of the gzip member header at the start of b,
// false when it is not all in b or is not one ISA-L's path takes (a
// header CRC, reserved flags, a method other than deflate).
func gzipHeaderLen(b []byte) (int, bool) {
	const (
		fText, fHCRC, fExtra, fName, fComment = 1, 2, 4, 8, 16
	)
	if len(b) < 10 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 || b[3]&^(fText|fExtra|fName|fComment) != 0 {
		return 0, false
	}
	i := 10
	if b[3]&fExtra != 0 {
		if len(b) < i+2 {
			return 0, false
		}
		i += 2 + int(binary.LittleEndian.Uint16(b[i:]))
	}
	for _, f := range []byte{fName, fComment} {
		if b[3]&f == 0 {
			continue
		}
		for i < len(b) && b[i] != 0 {
			i++
		}
		i++ // the terminating zero
	}
	if i > len(b) {
		return 0, false
	}
	return i, true
}

// memberSource is where a memberDecoder's output comes from.
type memberSource struct {
	isal     *isalMember // nil: Go's decoder only
	goMode   bool        // Go's decoder (d.zr) is reading this member
	produced int64       // bytes delivered by ISA-L for this member
	ra       io.ReaderAt
	start    int64
	size     int64
	sr       *io.SectionReader // Go's decoder's section
}

// begin starts decoding the member at start: with ISA-L when lib is set,
// else (or when ISA-L declines the header) with Go's decoder.
func (d *memberDecoder) begin(ra io.ReaderAt, start, size int64, lib *isalLib) error {
	s := &d.src
	s.ra, s.start, s.size, s.produced, s.goMode = ra, start, size, 0, true
	if lib != nil {
		if s.isal == nil {
			s.isal = newIsalMember(lib)
		}
		if s.isal.open(ra, start, size) == nil {
			s.goMode = false
			return nil
		}
	}
	sr, err := d.open(ra, start, size)
	s.sr = sr
	return err
}

// read decodes the member into buf (see readFull).
func (d *memberDecoder) read(buf []byte) (int, error) {
	s := &d.src
	if !s.goMode {
		n, err := s.isal.read(buf)
		s.produced += int64(n)
		if err != errIsalFallback {
			return n, err
		}
		// Go's decoder from the member's start, past what was delivered.
		sr, err := d.open(s.ra, s.start, s.size)
		if err != nil {
			return n, err
		}
		s.sr, s.goMode = sr, true
		if _, err := io.CopyN(io.Discard, d.zr, s.produced); err != nil {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
	return d.zr.Read(buf)
}

// end is the offset, from the member's start, where it ended; valid after
// read returned io.EOF.
func (d *memberDecoder) end() int64 {
	s := &d.src
	if !s.goMode {
		return s.isal.end
	}
	pos, _ := s.sr.Seek(0, io.SeekCurrent)
	return pos - int64(d.br.Buffered())
}
