package rootfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/pierrec/xxHash/xxHash64"
	"github.com/ulikunitz/xz"
)

// decompress fills dst from the chain of ROOT compressed blocks in src,
// call for call as groot's internal rcompress.Decompress (v0.40.0) does,
// with the same libraries, so that the outcome is the one groot's reader
// goroutine will meet: an error here wherever groot would panic there.
//
// With verify, it also checks what groot does not: each block's checksum
// (zlib's Adler-32, xz's CRC, zstd's when the frame has one, and the
// xxHash64 that ROOT puts before LZ4 data), so that damaged data is told
// from garbage that happens to decompress.
func decompress(dst []byte, src io.Reader, verify bool) error {
	var hdr [9]byte
	for beg, end := 0, 0; end < len(dst); beg = end {
		if _, err := io.ReadFull(src, hdr[:]); err != nil {
			return fmt.Errorf("compressed block header: %w", err)
		}
		srcsz := int64(hdr[3]) | int64(hdr[4])<<8 | int64(hdr[5])<<16
		tgtsz := int(hdr[6]) | int(hdr[7])<<8 | int(hdr[8])<<16
		end += tgtsz
		if tgtsz == 0 || end > len(dst) {
			return fmt.Errorf("a compressed block of %d bytes overflows its %d-byte basket", tgtsz, len(dst))
		}
		lr := &io.LimitedReader{R: src, N: srcsz}
		out := dst[beg:end]
		switch string(hdr[:2]) {
		case "ZL":
			rc, err := zlib.NewReader(lr)
			if err != nil {
				return fmt.Errorf("zlib block: %w", err)
			}
			_, err = io.ReadFull(rc, out)
			if err == nil && verify {
				err = atEOF(rc)
			}
			rc.Close()
			if err != nil {
				return fmt.Errorf("zlib block: %w", err)
			}
		case "L4":
			if srcsz < 8 {
				return fmt.Errorf("an LZ4 block of %d bytes, shorter than its checksum", srcsz)
			}
			buf := make([]byte, srcsz)
			if _, err := io.ReadFull(lr, buf); err != nil {
				return fmt.Errorf("lz4 block: %w", err)
			}
			if verify && binary.BigEndian.Uint64(buf) != xxHash64.Checksum(buf[8:], 0) {
				return errors.New("lz4 block: checksum mismatch")
			}
			if _, err := lz4.UncompressBlock(buf[8:], out); err != nil && srcsz <= int64(tgtsz) {
				return fmt.Errorf("lz4 block: %w", err)
			}
		case "XZ":
			rc, err := xz.NewReader(lr)
			if err != nil {
				return fmt.Errorf("lzma block: %w", err)
			}
			if _, err := io.ReadFull(rc, out); err != nil {
				return fmt.Errorf("lzma block: %w", err)
			}
			if verify {
				if err := atEOF(rc); err != nil {
					return fmt.Errorf("lzma block: %w", err)
				}
			}
			if lr.N > 0 {
				if _, err := lr.Read(make([]byte, lr.N)); err != nil {
					return fmt.Errorf("lzma block: %w", err)
				}
			}
		case "ZS":
			rc, err := zstd.NewReader(lr)
			if err != nil {
				return fmt.Errorf("zstd block: %w", err)
			}
			_, err = io.ReadFull(rc, out)
			if err == nil && verify {
				err = atEOF(rc)
			}
			rc.Close()
			if err != nil {
				return fmt.Errorf("zstd block: %w", err)
			}
			if lr.N > 0 {
				return fmt.Errorf("zstd block: %d bytes left after its end", lr.N)
			}
		default:
			return fmt.Errorf("unknown compression %q", hdr[:2])
		}
	}
	return nil
}

// atEOF reads on to the end of a decompressed stream, where the
// decompressor checks the stream's checksum; more data is an error too.
func atEOF(r io.Reader) error {
	var b [1]byte
	n, err := r.Read(b[:])
	for n == 0 && err == nil {
		n, err = r.Read(b[:])
	}
	switch {
	case n > 0:
		return errors.New("more data than the block declares")
	case err == io.EOF:
		return nil
	}
	return err
}
