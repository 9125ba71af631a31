package data

import (
	"context"
	"io"
	"sync"
)

type csvJob struct {
	seq int
	buf []byte
	err error // a read error: the stream ends here
}

type csvDone struct {
	seq int
	chunkResult
	err error
}

// runPipeline parses the rest of the stream: first is the start of the data
// (whole lines), preceded by skipLines lines. See scanCSV.
func runPipeline(ctx context.Context, ch *chunker, first []byte, skipLines int, p *csvParser, opts ReadOptions, fn func(*Table) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.allowInf = opts.AllowInfinite
	workers := opts.workers()
	inFlight := 2*workers + 2
	slots := make(chan struct{}, inFlight) // a token per chunk between reading and use
	jobs := make(chan csvJob, inFlight)
	done := make(chan csvDone, inFlight)
	freeText := make(chan []byte, inFlight+1)
	freeRows := make(chan []float64, inFlight+1)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the reader: decompression and cutting into lines
		defer wg.Done()
		defer close(jobs)
		buf, err := first, error(nil)
		for seq := 0; ; seq++ {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			if seq > 0 {
				var reuse []byte
				select {
				case reuse = <-freeText:
				default:
				}
				buf, err = ch.next(reuse)
			}
			if err == io.EOF {
				return
			}
			select {
			case jobs <- csvJob{seq: seq, buf: buf, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var pwg sync.WaitGroup
	for range workers {
		pwg.Add(1)
		go func() { // a parser
			defer pwg.Done()
			scratch := make([]float64, len(p.plan.parsed))
			for j := range jobs {
				d := csvDone{seq: j.seq, err: j.err}
				if j.err == nil {
					var out []float64
					select {
					case out = <-freeRows:
					default:
					}
					d.chunkResult = p.parseChunk(j.buf, out, scratch)
					select {
					case freeText <- j.buf:
					default:
					}
				}
				select {
				case done <- d:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		pwg.Wait()
		close(done)
	}()

	err := consume(ctx, done, skipLines, p, opts, fn, func(rows []float64) {
		select {
		case freeRows <- rows:
		default:
		}
		<-slots
	})
	cancel()
	for range done { // let the parsers finish
	}
	wg.Wait()
	return err
}

// consume hands the parsed chunks to fn in file order, keeping line numbers
// right; release is called once per chunk when its rows are no longer used.
func consume(ctx context.Context, done <-chan csvDone, line int, p *csvParser, opts ReadOptions, fn func(*Table) error, release func([]float64)) error {
	pending := make(map[int]csvDone)
	next, parsed, emitted := 0, 0, 0
	chunk := &Table{Columns: p.plan.outNames}
	for d := range done {
		pending[d.seq] = d
		for {
			d, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.err != nil {
				return readError(d.err, line+1)
			}
			if d.perr != nil {
				d.perr.Line += line
				return d.perr
			}
			line += d.lines
			parsed += d.rows
			rows := d.data
			stop := false
			if opts.Limit > 0 && emitted+len(rows)/len(chunk.Columns) >= opts.Limit {
				rows, stop = rows[:(opts.Limit-emitted)*len(chunk.Columns)], true
			}
			emitted += len(rows) / len(chunk.Columns)
			if len(rows) > 0 {
				chunk.Data = rows
				if err := fn(chunk); err != nil {
					return callbackError{err}
				}
			}
			release(d.data)
			if stop {
				return nil
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if parsed == 0 {
		return newErr(ErrNoRows, "no data rows")
	}
	return nil
}
