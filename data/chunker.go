package data

import (
	"bytes"
	"io"
	"slices"
)

// chunkSize is the text handed to one parsing goroutine at a time: large
// enough that hand-off costs vanish, small enough that a few chunks in
// flight per core stay in cache-friendly memory.
const chunkSize = 1 << 20

// chunker cuts a byte stream into chunks of whole lines.
type chunker struct {
	r io.Reader
	// maxLine bounds a line: a chunk grows to hold a long line, but a line
	// without an end (a binary file, /dev/zero) is an error once longer
	// than this, so memory stays within a few times maxLine. The exact
	// check, line ending excluded, is the parser's.
	maxLine int
	// size is the chunk size; 0 means chunkSize. A chunk grows beyond it
	// to hold a long line.
	size  int
	carry []byte // the start of a line that did not fit the previous chunk
	err   error  // the reader's error, returned once the data before it is out
}

// next fills buf (reusing its storage) with whole lines and returns them.
// The last line of the stream may lack its newline. At the end of the
// stream, or on a read error, it returns (nil, err); a partial last line
// before a read error is dropped, since the error is what matters then. A
// line longer than maxLine is such an error (wrapping ErrLimit), returned
// when it starts the chunk, so that it is reported at the right line.
func (c *chunker) next(buf []byte) ([]byte, error) {
	size := c.size
	if size <= 0 {
		size = chunkSize
	}
	if cap(buf) < size {
		buf = make([]byte, 0, size)
	}
	buf = append(buf[:0], c.carry...)
	c.carry = c.carry[:0]
	if cap(buf)-len(buf) < size/2+1 {
		// A long carried line (after a grown buffer) must still leave room
		// to read, or no progress would be made.
		buf = slices.Grow(buf, size)
	}
	for c.err == nil && len(buf) < cap(buf) {
		n, err := c.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			c.err = err
			break
		}
		if len(buf) == cap(buf) && bytes.IndexByte(buf, '\n') < 0 {
			if len(buf) > c.maxLine+1 { // +1: the line may end in \r\n
				c.err = lineTooLong(len(buf), true, c.maxLine, buf[:min(len(buf), 4*maxQuote)])
				return nil, c.err
			}
			// A line longer than the buffer: grow it.
			buf = append(buf, 0)[:len(buf)]
		}
	}
	if c.err == nil {
		cut := bytes.LastIndexByte(buf, '\n') + 1
		c.carry = append(c.carry, buf[cut:]...)
		return buf[:cut], nil
	}
	if len(buf) == 0 {
		return nil, c.err
	}
	if c.err == io.EOF {
		return buf, nil
	}
	cut := bytes.LastIndexByte(buf, '\n') + 1
	if cut == 0 {
		return nil, c.err
	}
	return buf[:cut], nil
}
