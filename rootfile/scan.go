package rootfile

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"go-hep.org/x/hep/groot/rtree"
)

// DefaultChunkRows is the number of rows [Scan] hands over at a time.
const DefaultChunkRows = 1 << 16

// Options selects what [Scan] and [Inspect] read. The zero value reads
// every flat numeric branch of the file's only tree.
type Options struct {
	// Tree names the tree, "dir/name" inside a folder; empty means the
	// file's only tree (several are an error that lists them).
	Tree string

	// Columns keeps exactly these columns, in this order: branch names,
	// with indices for array elements ("Muon_pt[0]", see the package
	// documentation). Empty means every flat numeric branch, in file order.
	Columns []string

	// SkipMissing drops the events in which a jagged array is too short
	// for an index asked for, instead of giving them NaN.
	SkipMissing bool

	// Limit, when positive, stops after this many rows (counted after
	// SkipMissing).
	Limit int

	// ChunkRows is the number of rows per chunk; 0 means DefaultChunkRows.
	ChunkRows int
}

// Chunk is a group of consecutive rows: the same layout as hepflow's
// data.Table (row-major: the value of row i, column j is
// Data[i*len(Columns)+j]), so that &data.Table{Columns: c.Columns, Data: c.Data}
// views it.
type Chunk struct {
	Columns []string
	Data    []float64
	// First is the tree entry (0-based) of the first row; with
	// SkipMissing rows may have been dropped after it.
	First int64
}

// Rows is the number of rows in the chunk.
func (c *Chunk) Rows() int { return len(c.Data) / len(c.Columns) }

// Info describes what [Scan] reads with the same path and options.
type Info struct {
	Tree    string    // the tree's name, "dir/name" inside a folder
	Entries int64     // the events in the tree, before Limit and SkipMissing
	Columns []string  // the columns of every chunk
	Skipped []Skipped // without Options.Columns: the branches left out
}

// Skipped is a branch the default selection leaves out, and why (with a
// hint, such as the column name of an element of an array).
type Skipped struct {
	Branch string
	Why    string
}

// plan is a resolved selection, ready to read.
type plan struct {
	rf     *rootFile
	tree   rtree.Tree
	info   Info
	rvars  []rtree.ReadVar
	acc    []accessor
	read   []rtree.Branch // the branches groot will read, counts included
	counts []countCheck   // the count branches of jagged columns
}

// Inspect resolves the tree and the columns as [Scan] would, without
// reading events: for the caller that wants to warn about skipped
// branches, or to know the columns and the number of events up front.
func Inspect(path string, opt Options) (*Info, error) {
	rf, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer rf.Close()
	p, err := rf.plan(opt)
	if err != nil {
		return nil, err
	}
	return &p.info, nil
}

func (rf *rootFile) plan(opt Options) (p *plan, err error) {
	t, name, err := rf.tree(opt.Tree)
	if err != nil {
		return nil, err
	}
	defer recovered(&err, rf.path, name)
	p = &plan{rf: rf, tree: t, info: Info{Tree: name, Entries: t.Entries()}}
	if p.info.Entries < 0 {
		return nil, rf.errorf(name, "", "%w: %d entries", ErrCorrupt, p.info.Entries)
	}
	columns := opt.Columns
	if len(columns) == 0 {
		for _, b := range t.Branches() {
			if why, _ := skipReason(b); why != "" {
				p.info.Skipped = append(p.info.Skipped, Skipped{Branch: b.Name(), Why: why})
				continue
			}
			columns = append(columns, b.Name())
		}
		if len(columns) == 0 {
			return nil, rf.errorf(name, "", "%w: no flat numeric branch to read by default (branches: %s); name the columns", ErrBadColumn, quoteList(branchNames(t)))
		}
	}
	values := map[string]any{} // one variable per branch, shared by its columns
	for j, col := range columns {
		if k := slices.Index(columns[:j], col); k >= 0 {
			return nil, rf.errorf(name, "", "%w %q: asked for twice (columns %d and %d)", ErrBadColumn, col, k+1, j+1)
		}
		c, err := parseColumn(col)
		if err != nil {
			return nil, rf.errorf(name, "", "%w", err)
		}
		b := t.Branch(c.branch)
		if b == nil {
			return nil, rf.errorf(name, "", "%w %q (branches: %s)", ErrNoBranch, c.branch, quoteList(branchNames(t)))
		}
		li, err := describe(b)
		if err == nil {
			err = li.checkIndex(c)
		}
		if err != nil {
			return nil, rf.errorf(name, c.branch, "%w", err)
		}
		v, bound := values[b.Name()]
		if !bound {
			// groot reads a variable-length array only with its count
			// leaf bound: bind it first (shared if it is also a column).
			if lc := li.leaf.LeafCount(); lc != nil && lc.Branch() != nil {
				if cb := lc.Branch(); values[cb.Name()] == nil {
					cli, err := describe(cb)
					if err != nil {
						return nil, rf.errorf(name, cb.Name(), "%w", err)
					}
					cv := cli.newValue()
					values[cb.Name()] = cv
					p.rvars = append(p.rvars, rtree.ReadVar{Name: cb.Name(), Leaf: cli.leaf.Name(), Value: cv})
					if !slices.Contains(p.read, cb) {
						p.read = append(p.read, cb)
					}
				}
			}
			v = li.newValue()
			values[b.Name()] = v
			p.rvars = append(p.rvars, rtree.ReadVar{Name: b.Name(), Leaf: li.leaf.Name(), Value: v})
			p.read = append(p.read, b)
		}
		if li.kind == jaggedLeaf {
			p.addCount(li)
		}
		a, err := newAccessor(li, v, c)
		if err != nil {
			return nil, rf.errorf(name, c.branch, "%w", err)
		}
		p.acc = append(p.acc, a)
	}
	p.info.Columns = slices.Clone(columns)
	return p, nil
}

// errStop ends groot's event loop early without an error.
var errStop = errors.New("stop")

// Scan reads the tree chunk by chunk, in entry order, calling fn with each
// chunk of rows (see [Options] for which). The chunk and its Data are only
// valid during the call: fn must copy what it keeps. An error from fn stops
// the scan and is returned as is; other errors are [*Error]s naming the
// file, the tree and, when one is to blame, the branch. A tree without
// events is not an error: fn is never called.
func Scan(ctx context.Context, path string, opt Options, fn func(chunk *Chunk) error) error {
	rf, err := openFile(path)
	if err != nil {
		return err
	}
	defer rf.Close()
	p, err := rf.plan(opt)
	if err != nil {
		return err
	}
	return p.scan(ctx, opt, fn)
}

func (p *plan) scan(ctx context.Context, opt Options, fn func(*Chunk) error) (err error) {
	tree := p.info.Tree
	end := p.info.Entries
	if opt.Limit > 0 && !opt.SkipMissing {
		end = min(end, int64(opt.Limit))
	}
	if end == 0 {
		return nil
	}
	for _, b := range p.read {
		if err := p.rf.vetBranch(b, end); err != nil {
			return &Error{Path: p.rf.path, Tree: tree, Branch: b.Name(), Err: err}
		}
	}
	if err := p.checkCounts(end); err != nil {
		return err
	}
	var (
		userErr   error // from fn, returned as is
		userPanic any   // from fn, raised again
	)
	defer func() {
		if userPanic != nil {
			panic(userPanic)
		}
	}()
	defer recovered(&err, p.rf.path, tree)
	r, err := rtree.NewReader(p.tree, p.rvars, rtree.WithRange(0, end))
	if err != nil {
		return &Error{Path: p.rf.path, Tree: tree, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	defer r.Close()

	nc := len(p.acc)
	rows := opt.ChunkRows
	if rows <= 0 {
		rows = DefaultChunkRows
	}
	if int64(rows) > end {
		rows = int(end)
	}
	chunk := &Chunk{Columns: p.info.Columns, Data: make([]float64, 0, rows*nc)}
	emitted := 0
	flush := func() error {
		if len(chunk.Data) == 0 {
			return nil
		}
		func() {
			defer func() { userPanic = recover() }()
			userErr = fn(chunk)
		}()
		if userErr != nil || userPanic != nil {
			return errStop
		}
		chunk.Data = chunk.Data[:0]
		return nil
	}
	nan := math.NaN()
	err = r.Read(func(rc rtree.RCtx) error {
		if rc.Entry&4095 == 0 {
			if err := ctx.Err(); err != nil {
				userErr = err
				return errStop
			}
		}
		if len(chunk.Data) == 0 {
			chunk.First = rc.Entry
		}
		n := len(chunk.Data)
		chunk.Data = chunk.Data[:n+nc]
		row := chunk.Data[n:]
		complete := true
		for j, a := range p.acc {
			v, ok := a.value()
			if !ok {
				v, complete = nan, false
			}
			row[j] = v
		}
		if !complete && opt.SkipMissing {
			chunk.Data = chunk.Data[:n]
			return nil
		}
		emitted++
		if opt.Limit > 0 && emitted >= opt.Limit {
			if err := flush(); err != nil {
				return err
			}
			return errStop
		}
		if len(chunk.Data) == cap(chunk.Data) {
			return flush()
		}
		return nil
	})
	switch {
	case userPanic != nil:
		return nil
	case userErr != nil:
		return userErr
	case err != nil && !errors.Is(err, errStop):
		return &Error{Path: p.rf.path, Tree: tree, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	case err != nil:
		return nil // stopped at Limit
	}
	if err := flush(); err != nil {
		return userErr // nil after a panic in fn, raised again on return
	}
	return nil
}
