package rootfile

import (
	"fmt"

	"go-hep.org/x/hep/groot/rtree"
)

// maxJaggedValues bounds the values one event's jagged array may hold:
// groot allocates what the count branch says before reading, so a damaged
// count would otherwise ask for gigabytes.
const maxJaggedValues = 1 << 24

// countCheck is a count branch (nMuon) and the largest value the jagged
// columns that depend on it allow.
type countCheck struct {
	branch rtree.Branch
	most   int64
}

// addCount records that li's count branch must stay within bounds.
func (p *plan) addCount(li *leafInfo) {
	lc := li.leaf.LeafCount()
	if lc == nil || lc.Branch() == nil {
		return
	}
	most := int64(maxJaggedValues / max(1, product(li.dims)))
	for i := range p.counts {
		if p.counts[i].branch == lc.Branch() {
			p.counts[i].most = min(p.counts[i].most, most)
			return
		}
	}
	p.counts = append(p.counts, countCheck{branch: lc.Branch(), most: most})
}

// checkCounts reads the count branches alone over [0, end) and refuses a
// negative count or one beyond its bound, naming the branch and the entry.
// It costs a pass over these (small, integer) branches.
func (p *plan) checkCounts(end int64) (err error) {
	if len(p.counts) == 0 {
		return nil
	}
	defer recovered(&err, p.rf.path, p.info.Tree)
	rvars := make([]rtree.ReadVar, len(p.counts))
	acc := make([]accessor, len(p.counts))
	for i, c := range p.counts {
		li, err := describe(c.branch)
		if err == nil && li.kind != scalarLeaf {
			err = fmt.Errorf("%w: a count branch that is not a scalar", ErrCorrupt)
		}
		if err != nil {
			return &Error{Path: p.rf.path, Tree: p.info.Tree, Branch: c.branch.Name(), Err: err}
		}
		v := li.newValue()
		rvars[i] = rtree.ReadVar{Name: c.branch.Name(), Leaf: li.leaf.Name(), Value: v}
		if acc[i], err = scalarOf(v); err != nil {
			return &Error{Path: p.rf.path, Tree: p.info.Tree, Branch: c.branch.Name(), Err: err}
		}
	}
	r, err := rtree.NewReader(p.tree, rvars, rtree.WithRange(0, end))
	if err != nil {
		return &Error{Path: p.rf.path, Tree: p.info.Tree, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	defer r.Close()
	var bad error
	err = r.Read(func(rc rtree.RCtx) error {
		for i, a := range acc {
			if n, _ := a.value(); n < 0 || n > float64(p.counts[i].most) {
				bad = &Error{Path: p.rf.path, Tree: p.info.Tree, Branch: p.counts[i].branch.Name(),
					Err: fmt.Errorf("%w: entry %d: an array length of %v (at most %d accepted)", ErrCorrupt, rc.Entry, n, p.counts[i].most)}
				return errStop
			}
		}
		return nil
	})
	if bad != nil {
		return bad
	}
	if err != nil {
		return &Error{Path: p.rf.path, Tree: p.info.Tree, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	return nil
}
