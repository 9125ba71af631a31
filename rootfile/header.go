package rootfile

import (
	"errors"
	"fmt"
	"io"
)

// groot v0.40.0 allocates the sizes it reads (string lengths up to 4 GiB,
// key counts, record sizes) before checking them against the data. Before
// it opens a file, the records it reads then are checked here against the
// file: the header, the top folder's record and key list, the keys of the
// streamer information and of the free segments, and the streamer record's
// checksum when it is compressed. The tree's record is checked the same
// way before groot reads it (open.go).

// maxRecordLen bounds the uncompressed size of a metadata record.
const maxRecordLen = 256 << 20

// fileHead is ROOT's file header (TFile), as far as the checks need it.
type fileHead struct {
	version                int32
	begin, end             int64
	seekFree, seekInfo     int64
	nbytesFree, nbytesInfo int32
	nbytesName             int32
}

// checkStructure checks the file's header and the records it points to.
func checkStructure(r io.ReaderAt, size int64) error {
	h, err := readFileHead(r, size)
	if err != nil {
		return err
	}
	if h.end > size {
		return fmt.Errorf("%w: the header says the file has %d bytes but it has %d (an incomplete copy?)", ErrCorrupt, h.end, size)
	}
	c := &structChecker{r: r, size: size}
	seekKeys, nbytesKeys, err := c.topDirectory(h)
	if err != nil {
		return err
	}
	if seekKeys > 0 {
		if err := c.keyList(seekKeys, nbytesKeys); err != nil {
			return fmt.Errorf("%w: the list of keys: %w", ErrCorrupt, err)
		}
	}
	if h.seekFree > 0 {
		if _, err := c.keyRecord(h.seekFree, int64(h.nbytesFree)); err != nil {
			return fmt.Errorf("%w: the list of free segments: %w", ErrCorrupt, err)
		}
	}
	if h.seekInfo > 0 {
		k, err := c.keyRecord(h.seekInfo, int64(h.nbytesInfo))
		if err == nil {
			err = verifyRecord(r, k)
		}
		if err != nil {
			return fmt.Errorf("%w: the streamer information: %w", ErrCorrupt, err)
		}
	}
	return nil
}

// verifyRecord decompresses a compressed record checking its checksums:
// groot does not, and parses what damaged data decompresses to, allocating
// as it goes. An uncompressed record carries no checksum.
func verifyRecord(r io.ReaderAt, k keyHead) error {
	if k.gap || k.objlen == k.nbytes-k.keylen {
		return nil
	}
	payload := make([]byte, k.objlen) // bounded by keyRecord or the caller
	return decompress(payload, io.NewSectionReader(r, k.seekKey+k.keylen, k.nbytes-k.keylen), true)
}

func readFileHead(r io.ReaderAt, size int64) (fileHead, error) {
	var b [64]byte
	n, err := r.ReadAt(b[:min(int64(len(b)), size)], 0)
	if n < 4 || string(b[:4]) != "root" {
		if err != nil && err != io.EOF {
			return fileHead{}, err
		}
		return fileHead{}, errors.New(`not a ROOT file (no "root" magic bytes at the start)`)
	}
	hr := &headReader{b: b[4:n]}
	var h fileHead
	h.version = hr.i32()
	h.begin = int64(hr.i32())
	if h.version < 1000000 {
		h.end = int64(hr.i32())
		h.seekFree = int64(hr.i32())
	} else {
		h.end = hr.i64()
		h.seekFree = hr.i64()
	}
	h.nbytesFree = hr.i32()
	hr.i32() // nfree
	h.nbytesName = hr.i32()
	hr.u8()  // units
	hr.i32() // compression
	if h.version < 1000000 {
		h.seekInfo = int64(hr.i32())
	} else {
		h.seekInfo = hr.i64()
	}
	h.nbytesInfo = hr.i32()
	if hr.err != nil {
		return h, fmt.Errorf("%w: the file ends within its header", ErrCorrupt)
	}
	h.version %= 1000000
	return h, nil
}

// structChecker reads records of a file of the given size.
type structChecker struct {
	r    io.ReaderAt
	size int64
}

// read returns the n bytes at off, which must lie inside the file.
func (c *structChecker) read(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off+n > c.size || n > maxRecordLen {
		return nil, fmt.Errorf("%d bytes at offset %d lie outside the file (%d bytes)", n, off, c.size)
	}
	b := make([]byte, n)
	if _, err := c.r.ReadAt(b, off); err != nil {
		return nil, err
	}
	return b, nil
}

// topDirectory checks the top folder's record at the header's begin, as
// groot's readDirInfo reads it, and returns where its keys are.
func (c *structChecker) topDirectory(h fileHead) (seekKeys, nbytesKeys int64, err error) {
	record := int64(2 + 4 + 4 + 4 + 4 + 3*4)
	if h.version >= 40000 {
		record = 2 + 4 + 4 + 4 + 4 + 3*8
	}
	if h.nbytesName < 0 || h.nbytesName > 1<<16 {
		return 0, 0, fmt.Errorf("%w: a folder name record of %d bytes", ErrCorrupt, h.nbytesName)
	}
	data, err := c.read(h.begin, int64(h.nbytesName)+record)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: the top folder: %w", ErrCorrupt, err)
	}
	kr := &headReader{b: data}
	kr.key() // its key, strings included
	if kr.err != nil {
		return 0, 0, fmt.Errorf("%w: the top folder's key: %w", ErrCorrupt, kr.err)
	}
	dr := &headReader{b: data[h.nbytesName:]}
	version := dr.i16()
	dr.i32() // creation time
	dr.i32() // modification time
	nbytesKeys = int64(dr.i32())
	dr.i32() // nbytesname
	if version > 1000 {
		dr.i64()
		dr.i64()
		seekKeys = dr.i64()
	} else {
		dr.i32()
		dr.i32()
		seekKeys = int64(dr.i32())
	}
	if dr.err != nil || (seekKeys > 0 && (nbytesKeys < 0 || seekKeys+nbytesKeys > c.size)) {
		return 0, 0, fmt.Errorf("%w: the top folder's list of keys (%d bytes at %d) lies outside the file (%d bytes)", ErrCorrupt, nbytesKeys, seekKeys, c.size)
	}
	return seekKeys, nbytesKeys, nil
}

// keyRecord checks a record of n bytes at off that starts with a key:
// the key's strings, and a payload that groot can allocate and read.
func (c *structChecker) keyRecord(off, n int64) (keyHead, error) {
	data, err := c.read(off, n)
	if err != nil {
		return keyHead{}, err
	}
	r := &headReader{b: data}
	k := r.key()
	if r.err != nil || k.gap {
		return k, r.err
	}
	if k.objlen < 0 || k.objlen > maxRecordLen {
		return k, fmt.Errorf("a record claiming %d bytes", k.objlen)
	}
	return k, vetPayload(c.r, c.size, k.seekKey, k.nbytes, k.keylen, k.objlen)
}

// keyList checks the list of keys of a folder: its own key, then the
// count and the keys, as groot's readKeys reads them.
func (c *structChecker) keyList(off, n int64) error {
	data, err := c.read(off, n)
	if err != nil {
		return err
	}
	r := &headReader{b: data}
	k := r.key()
	if r.err != nil {
		return r.err
	}
	if k.gap || k.keylen < 0 || k.objlen < 0 || k.objlen > maxRecordLen {
		return fmt.Errorf("a key list claiming %d bytes", k.objlen)
	}
	payload, err := c.read(off+k.keylen, k.objlen)
	if err != nil {
		return err
	}
	pr := &headReader{b: payload}
	nkeys := int64(pr.i32())
	if nkeys < 0 || nkeys*4 > int64(len(payload)) { // a key takes at least 4 bytes
		return fmt.Errorf("%d keys in %d bytes", nkeys, len(payload))
	}
	for range nkeys {
		pr.key()
		if pr.err != nil {
			return pr.err
		}
	}
	return nil
}
