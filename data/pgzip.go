package data

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// Parallel decompression of multi-member gzip files.
//
// A gzip file may be a sequence of members, each a complete gzip stream
// (bgzip, pigz --independent, hepflow's own writer and generator). Members
// decompress independently, but where each starts is only known once the
// one before has been decoded. So the reader speculates: it looks ahead of
// the current member for bytes that look like a gzip header, and decoders
// start on each such candidate while the current member is being read.
// The reader follows the chain of members from the start of the file: the
// member at the head is the decode started where the previous member ended,
// and candidates that turn out to lie inside a member are dropped.
//
// A decode is a stream of output pieces to the reader. Memory is bounded by
// counting the pieces decoded and not yet read: each decode may be at most
// memberPieces ahead of the reader; the speculative ones share a budget of
// budgetPieces, except the one next in line after the head, which always
// may go on, so that decodes far ahead cannot starve the one needed next.
// A decode that may not go on waits, and goes on once it becomes the head:
// a member too big to buffer (the UCI HIGGS.csv.gz is a single member of
// gigabytes) is read in a streaming fashion at the sequential speed, only
// in another goroutine, and a member that
// fails yields the data before the failure and then its error, exactly as
// the sequential gzip.Reader does: the head's stream is the one the
// sequential reader would produce, whatever speculation happened.

const (
	// pgzChunk is the output piece handed from a decoder to the reader:
	// large, so that hand-off costs vanish.
	pgzChunk = 512 << 10
	// pgzMemberBuf bounds how far one decode may get ahead of the reader.
	pgzMemberBuf = 8 << 20
	// pgzBudget bounds the output buffered by the speculative decodes but
	// the next in line. With the head's and the next one's, at most
	// 2*pgzMemberBuf+pgzBudget is buffered.
	pgzBudget = 24 << 20
	// pgzWindow bounds how far ahead of the head member, in compressed
	// bytes, candidates are looked for, so that a huge member costs at most
	// this much scanning.
	pgzWindow = 64 << 20
	// pgzMinSize is the compressed size under which decompression is left
	// sequential: it takes milliseconds, and parallelism would gain little.
	pgzMinSize = 1 << 20
	// pgzScanBlock is how much compressed text is read at a time to look
	// for candidate headers.
	pgzScanBlock = 256 << 10
	// pgzReadBuf buffers a decoder's compressed input. It is small because
	// each member, however small, reads at least this much.
	pgzReadBuf = 32 << 10
)

// pgzConfig sizes a parallelGunzip.
type pgzConfig struct {
	workers      int      // decodes running at a time
	inFlight     int      // decodes started and not yet read to their end or dropped
	chunk        int      // size of an output piece
	memberPieces int      // pieces one decode may have ahead of the reader
	budgetPieces int      // pieces shared by the speculative decodes but the next
	window       int64    // how far ahead of the head candidates are looked for
	isal         *isalLib // decodes the members' deflate data when set (see isal.go)
}

// newPgzConfig returns the sizes for the given number of decoding
// goroutines: twice as many decodes in flight, so that the cores stay busy
// while some wait to be read.
func newPgzConfig(workers int) pgzConfig {
	workers = max(workers, 1)
	return pgzConfig{
		workers:      workers,
		inFlight:     min(2*workers, 64),
		chunk:        pgzChunk,
		memberPieces: pgzMemberBuf / pgzChunk,
		budgetPieces: pgzBudget / pgzChunk,
		window:       pgzWindow,
		isal:         loadISAL(),
	}
}

// pgzPiece is a piece of a member's output. err is io.EOF after the
// member's last piece, which then tells where the member ends; another
// error ends the member after buf, as it would end the sequential stream.
type pgzPiece struct {
	buf []byte
	end int64
	err error
}

// pgzJob is the decode of a member that may start at start.
type pgzJob struct {
	start  int64
	out    chan pgzPiece // room for memberPieces: a granted piece never waits
	cancel chan struct{} // closed when the candidate is known to be false

	// Guarded by parallelGunzip.mu.
	pending int  // pieces granted and not yet read
	head    bool // the reader reads this decode
	next    bool // the first speculative decode, exempt from the budget
	dropped bool
}

// memberDecoder decodes one member at a time; each decoding goroutine keeps
// one, so that buffers and tables are reused from member to member.
type memberDecoder struct {
	br  *bufio.Reader
	zr  *gzip.Reader
	src memberSource // ISA-L or Go, see isal.go
}

// open starts decoding the member at start, reading its header.
func (d *memberDecoder) open(ra io.ReaderAt, start, size int64) (*io.SectionReader, error) {
	sr := io.NewSectionReader(ra, start, size-start)
	if d.br == nil {
		d.br = bufio.NewReaderSize(sr, pgzReadBuf)
	} else {
		d.br.Reset(sr)
	}
	// The bufio.Reader is an io.ByteReader, so the decoder reads no byte
	// past the member's trailer and the member's end is known exactly.
	var err error
	if d.zr == nil {
		d.zr, err = gzip.NewReader(d.br)
	} else {
		err = d.zr.Reset(d.br)
	}
	if err != nil {
		return nil, err
	}
	d.zr.Multistream(false)
	return sr, nil
}

// parallelGunzip reads the decompressed content of a gzip file, decoding
// its members in parallel; see the comment at the top of this file. Read
// and Close must be called from one goroutine at a time.
type parallelGunzip struct {
	ra   io.ReaderAt
	size int64
	cfg  pgzConfig

	jobs   chan *pgzJob  // decodes waiting for a goroutine
	tokens chan struct{} // a token per decode running, at most cfg.workers
	free   chan []byte   // output pieces for reuse
	done   chan struct{} // closed to stop the decoding goroutines
	wg     sync.WaitGroup

	mu    sync.Mutex
	spent int           // pieces granted to speculative decodes, not yet read
	wake  chan struct{} // closed, and replaced, when a decode may go on

	// The rest belongs to the reading goroutine.
	head    int64     // where the member being read starts
	headJob *pgzJob   // its decode, nil between members
	ahead   []*pgzJob // speculative decodes, by start, all after head
	scanPos int64     // candidates before this have been started
	scanBuf []byte    // compressed bytes read for the candidate search
	scan    []byte    // the part of scanBuf that holds scanOff onwards
	scanOff int64
	cur     []byte // the unread part of the current piece
	curBuf  []byte // the current piece, for reuse
	err     error  // returned once cur is read
	stopped bool
	started int // decodes started, for tests
}

// newParallelGunzip returns a reader of the decompressed content of the
// gzip file ra of size bytes, which yields what a multistream gzip.Reader
// yields: the same bytes, and the same error after the same bytes. It reads
// the first header before returning, so that a file that is not gzip fails
// here as with gzip.NewReader. Close stops its goroutines.
func newParallelGunzip(ra io.ReaderAt, size int64, cfg pgzConfig) (*parallelGunzip, error) {
	first := new(memberDecoder)
	if _, err := first.open(ra, 0, size); err != nil {
		return nil, err
	}
	cfg.workers, cfg.inFlight = max(cfg.workers, 1), max(cfg.inFlight, 2)
	cfg.chunk, cfg.memberPieces = max(cfg.chunk, 1), max(cfg.memberPieces, 1)
	z := &parallelGunzip{
		ra:     ra,
		size:   size,
		cfg:    cfg,
		jobs:   make(chan *pgzJob, cfg.inFlight),
		tokens: make(chan struct{}, cfg.workers),
		free:   make(chan []byte, 2*cfg.memberPieces+cfg.budgetPieces),
		done:   make(chan struct{}),
		wake:   make(chan struct{}),
	}
	// One goroutine per decode in flight: a speculative decode that may
	// not go on holds its goroutine, but no token, while it waits.
	for i := range cfg.inFlight {
		d := first
		if i > 0 {
			d = new(memberDecoder)
		}
		z.wg.Add(1)
		go z.decoder(d)
	}
	return z, nil
}

// Read implements io.Reader.
func (z *parallelGunzip) Read(p []byte) (int, error) {
	for len(z.cur) == 0 {
		if z.err != nil {
			return 0, z.err
		}
		z.next()
	}
	n := copy(p, z.cur)
	z.cur = z.cur[n:]
	if len(z.cur) == 0 {
		z.recycle(z.curBuf)
		z.curBuf = nil
	}
	return n, nil
}

// Close stops the decoding goroutines and waits for them to exit; reading
// after Close fails. It never fails.
func (z *parallelGunzip) Close() error {
	z.finish(fmt.Errorf("gunzip: %w", fs.ErrClosed))
	z.cur, z.curBuf = nil, nil
	return nil
}

// next receives the next piece of the head member into cur, moving to the
// next member after the last piece.
func (z *parallelGunzip) next() {
	if z.curBuf != nil {
		z.recycle(z.curBuf)
		z.cur, z.curBuf = nil, nil
	}
	if z.headJob == nil {
		if z.head >= z.size {
			// As in the sequential reader, the stream may end after any
			// member.
			z.finish(io.EOF)
			return
		}
		z.headJob = z.take(z.head)
		z.speculate()
		z.mu.Lock()
		z.headJob.head, z.headJob.next = true, false
		z.spent -= z.headJob.pending // its pieces are the head's now
		if len(z.ahead) > 0 {
			z.ahead[0].next = true
		}
		z.wakeLocked()
		z.mu.Unlock()
	}
	// The head decode is never cancelled, a goroutine frees up for it (see
	// speculate) and it may always go on, so a piece always comes.
	p := <-z.headJob.out
	z.mu.Lock()
	z.headJob.pending--
	z.wakeLocked()
	z.mu.Unlock()
	z.cur, z.curBuf = p.buf, p.buf
	switch {
	case p.err == io.EOF:
		z.head, z.headJob = p.end, nil
	case p.err != nil:
		z.finish(p.err)
	}
}

// take returns the decode of the member at start, starting it if no
// candidate was there (a header that did not look plausible, or one beyond
// the window), and drops the decodes of candidates before it: they lay
// inside the members already read.
func (z *parallelGunzip) take(start int64) *pgzJob {
	i := 0
	for ; i < len(z.ahead) && z.ahead[i].start < start; i++ {
		z.drop(z.ahead[i])
	}
	z.ahead = append(z.ahead[:0], z.ahead[i:]...)
	if len(z.ahead) > 0 && z.ahead[0].start == start {
		j := z.ahead[0]
		z.ahead = append(z.ahead[:0], z.ahead[1:]...)
		return j
	}
	return z.start(start)
}

// drop cancels a decode and reuses the pieces it has buffered.
func (z *parallelGunzip) drop(j *pgzJob) {
	close(j.cancel)
	z.mu.Lock()
	j.dropped = true
	z.spent -= j.pending
	j.pending = 0
	z.wakeLocked()
	z.mu.Unlock()
	for {
		select {
		case p := <-j.out:
			z.recycle(p.buf)
		default:
			return
		}
	}
}

// speculate starts decodes at the candidate headers after the head, up to
// cfg.inFlight decodes in all (the head's included) and cfg.window bytes
// ahead. With at most cfg.inFlight decodes not yet dropped, as many
// goroutines as that, and the head among them, the head always gets a
// goroutine: no deadlock however the others are blocked.
func (z *parallelGunzip) speculate() {
	limit := min(z.size, z.head+z.cfg.window)
	z.scanPos = max(z.scanPos, z.head+1)
	for 1+len(z.ahead) < z.cfg.inFlight && z.scanPos < limit {
		c, ok := z.candidate(z.scanPos, limit)
		if !ok {
			z.scanPos = limit
			return
		}
		z.ahead = append(z.ahead, z.start(c))
		z.scanPos = c + 1
	}
}

func (z *parallelGunzip) start(at int64) *pgzJob {
	z.started++
	j := &pgzJob{
		start:  at,
		out:    make(chan pgzPiece, z.cfg.memberPieces),
		cancel: make(chan struct{}),
	}
	// Never blocks for long: fewer decodes are live than goroutines, so a
	// goroutine is free or soon free (a dropped decode stops after its
	// current piece).
	z.jobs <- j
	return j
}

// candidate returns the first offset in [from, limit) where the bytes look
// like a gzip header, reading the file as needed. Being stricter than the
// decoder costs only speed: a real member that was not a candidate is
// decoded when it becomes the head.
func (z *parallelGunzip) candidate(from, limit int64) (int64, bool) {
	const hdr = 10                    // the fixed part of a header
	magic := [...]byte{0x1f, 0x8b, 8} // ID1, ID2, CM (deflate)
	for from < limit {
		if from < z.scanOff || from+hdr > z.scanOff+int64(len(z.scan)) {
			if z.scanBuf == nil {
				z.scanBuf = make([]byte, pgzScanBlock)
			}
			n, _ := z.ra.ReadAt(z.scanBuf[:min(int64(len(z.scanBuf)), z.size-from)], from)
			if n < hdr {
				// The file's end or a read error: the decoders will meet
				// the error when (if) the chain gets there.
				return 0, false
			}
			z.scan, z.scanOff = z.scanBuf[:n], from
		}
		rel := from - z.scanOff
		i := bytes.Index(z.scan[rel:], magic[:])
		scanEnd := z.scanOff + int64(len(z.scan))
		if i < 0 {
			// The last bytes may start a header: search again from there.
			from = max(from+1, scanEnd-int64(len(magic)-1))
			if scanEnd == z.size {
				return 0, false
			}
			continue
		}
		c := from + int64(i)
		if c >= limit {
			return 0, false
		}
		if c+hdr > scanEnd {
			from = c // read the rest of the header
			continue
		}
		if plausibleHeader(z.scan[c-z.scanOff : c-z.scanOff+hdr]) {
			return c, true
		}
		from = c + 1
	}
	return 0, false
}

// plausibleHeader reports whether h, the fixed 10 bytes of a gzip header
// after the magic, looks like what real writers produce: no reserved flag,
// XFL 0, 2 or 4, and a known OS (RFC 1952).
func plausibleHeader(h []byte) bool {
	flg, xfl, sys := h[3], h[8], h[9]
	return flg&0xe0 == 0 && (xfl == 0 || xfl == 2 || xfl == 4) && (sys <= 13 || sys == 255)
}

// decoder runs decodes, one at a time, until the reader stops.
func (z *parallelGunzip) decoder(d *memberDecoder) {
	defer z.wg.Done()
	for {
		select {
		case j := <-z.jobs:
			z.decode(d, j)
		case <-z.done:
			return
		}
	}
}

// decode decodes the member that may start at j.start into pieces sent to
// j.out, ending with a piece whose err is io.EOF (the member's end) or the
// error the sequential reader would meet there. It gives up when the
// decode is dropped or the reader stops. A token is held only while
// decoding, not while waiting for a grant.
func (z *parallelGunzip) decode(d *memberDecoder, j *pgzJob) {
	if !z.grant(j) || !z.acquire(j) {
		return
	}
	if err := d.begin(z.ra, j.start, z.size, z.cfg.isal); err != nil {
		z.release()
		z.send(j, pgzPiece{err: err})
		return
	}
	for {
		buf := z.buffer()
		n, err := readFull(readerFunc(d.read), buf)
		p := pgzPiece{buf: buf[:n], err: err}
		if err == io.EOF {
			p.end = j.start + d.end()
		}
		z.release()
		if !z.send(j, p) || err != nil || !z.grant(j) || !z.acquire(j) {
			return
		}
	}
}

// readerFunc is a function as an io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// readFull reads into buf until it is full or r fails.
func readFull(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// grant waits until the decode may decode one more piece, and counts it;
// false if it is dropped or the reader stops first.
func (z *parallelGunzip) grant(j *pgzJob) bool {
	z.mu.Lock()
	for {
		if j.dropped {
			z.mu.Unlock()
			return false
		}
		if j.pending < z.cfg.memberPieces && (j.head || j.next || z.spent < z.cfg.budgetPieces) {
			j.pending++
			if !j.head {
				z.spent++
			}
			z.mu.Unlock()
			return true
		}
		wake := z.wake
		z.mu.Unlock()
		select {
		case <-wake:
		case <-j.cancel:
			return false
		case <-z.done:
			return false
		}
		z.mu.Lock()
	}
}

// wakeLocked tells the waiting decodes to check again; z.mu is held.
func (z *parallelGunzip) wakeLocked() {
	close(z.wake)
	z.wake = make(chan struct{})
}

// acquire takes a token to decode: at most cfg.workers decode at a time.
func (z *parallelGunzip) acquire(j *pgzJob) bool {
	select {
	case z.tokens <- struct{}{}:
		return true
	case <-j.cancel:
	case <-z.done:
	}
	return false
}

func (z *parallelGunzip) release() { <-z.tokens }

// send hands a piece to the reader, unless the decode is dropped or the
// reader stops first. There is room for it: it was granted.
func (z *parallelGunzip) send(j *pgzJob, p pgzPiece) bool {
	select {
	case <-j.cancel:
	case <-z.done:
	default:
		select {
		case j.out <- p:
			return true
		case <-j.cancel:
		case <-z.done:
		}
	}
	z.recycle(p.buf)
	return false
}

// buffer returns an empty output piece, reusing one when it can.
func (z *parallelGunzip) buffer() []byte {
	select {
	case b := <-z.free:
		return b[:cap(b)]
	default:
		return make([]byte, z.cfg.chunk)
	}
}

func (z *parallelGunzip) recycle(b []byte) {
	if cap(b) < z.cfg.chunk {
		return
	}
	select {
	case z.free <- b[:0]:
	default:
	}
}

// finish ends the stream with err (unless it already ended) and stops the
// decoding goroutines, waiting for them.
func (z *parallelGunzip) finish(err error) {
	if z.err == nil {
		z.err = err
	}
	if z.stopped {
		return
	}
	z.stopped = true
	close(z.done)
	z.wg.Wait()
	z.headJob, z.ahead, z.scanBuf, z.scan = nil, nil, nil, nil
	for {
		select {
		case <-z.free:
		default:
			return
		}
	}
}
