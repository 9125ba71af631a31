package rootfile

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go-hep.org/x/hep/groot/rtree"
)

// maxArrayLen bounds the elements of a fixed-size array branch (or of one
// entry of a jagged branch of arrays) that a column may index: the reader
// allocates that much, and a file could claim anything.
const maxArrayLen = 1 << 20

// shapeKind is how a leaf holds its values in one event.
type shapeKind int

const (
	scalarLeaf shapeKind = iota // one value
	fixedLeaf                   // a fixed-size array, shape dims
	jaggedLeaf                  // a variable-length array of elements of shape dims
)

// leafInfo is what a column needs to know of a branch.
type leafInfo struct {
	branch rtree.Branch
	leaf   rtree.Leaf
	elem   reflect.Type // Go type of one value
	kind   shapeKind
	dims   []int  // fixed: the array's shape; jagged: each element's
	count  string // jagged: the name of the leaf holding the length
	flat   bool   // jagged: groot fills a flat slice, dims folded in
}

// describe tells how the branch's values can be read, or why they cannot.
func describe(b rtree.Branch) (*leafInfo, error) {
	if subs := b.Branches(); len(subs) > 0 {
		names := make([]string, len(subs))
		for i, s := range subs {
			names[i] = s.Name()
		}
		return nil, fmt.Errorf("%w: an object split into sub-branches (read one of %s)", ErrUnsupported, quoteList(names))
	}
	leaves := b.Leaves()
	if len(leaves) != 1 {
		return nil, fmt.Errorf("%w: a branch of %d leaves", ErrUnsupported, len(leaves))
	}
	leaf := leaves[0]
	var elem reflect.Type
	switch leaf.(type) {
	case *rtree.LeafO, *rtree.LeafB, *rtree.LeafS, *rtree.LeafI, *rtree.LeafL, *rtree.LeafG,
		*rtree.LeafF, *rtree.LeafD, *rtree.LeafF16, *rtree.LeafD32:
		elem = leaf.Type()
	case *rtree.LeafC:
		return nil, fmt.Errorf("%w: a string (char*) branch", ErrUnsupported)
	default:
		return nil, fmt.Errorf("%w: a %s leaf of %s (objects and their members are not read)", ErrUnsupported, leaf.Class(), leaf.TypeName())
	}
	info := &leafInfo{branch: b, leaf: leaf, elem: elem}
	// groot reads Float16_t and Double32_t arrays flat, without the shape
	// it takes from other leaves' titles: take it from the branch's title.
	half := isHalfPrecision(leaf)
	var titleDims []int
	if half {
		titleDims = dimsOfTitle(b.Title())
	}
	if lc := leaf.LeafCount(); lc != nil {
		info.kind, info.count = jaggedLeaf, lc.Name()
		info.dims, info.flat = leaf.Shape(), half
		if half && len(titleDims) > 0 {
			info.dims = titleDims[1:]
		}
		if n := product(info.dims); n < 1 {
			return nil, fmt.Errorf("%w: each entry holds more than the %d values this reader accepts", ErrUnsupported, maxArrayLen)
		}
		return info, nil
	}
	n := leaf.Len()
	switch {
	case n == 1:
		return info, nil
	case n < 1 || n > maxArrayLen:
		return nil, fmt.Errorf("%w: an array of %d values (at most %d are accepted)", ErrUnsupported, n, maxArrayLen)
	}
	info.kind, info.dims = fixedLeaf, leaf.Shape()
	if half {
		info.dims = titleDims
	}
	if product(info.dims) != n {
		info.dims = []int{n}
	}
	return info, nil
}

// dimsOfTitle returns the dimensions in a leaf list such as
// "x[N][2][3]/f[0,0,16]": the count's name (N) as -1, then 2, 3.
func dimsOfTitle(title string) []int {
	head, _, _ := strings.Cut(title, "/")
	var dims []int
	for {
		i := strings.IndexByte(head, '[')
		j := strings.IndexByte(head, ']')
		if i < 0 || j < i {
			return dims
		}
		d, err := strconv.Atoi(head[i+1 : j])
		if err != nil {
			d = -1
		}
		dims = append(dims, d)
		head = head[j+1:]
	}
}

func isHalfPrecision(leaf rtree.Leaf) bool {
	switch leaf.(type) {
	case *rtree.LeafF16, *rtree.LeafD32:
		return true
	}
	return false
}

func product(dims []int) int {
	p := 1
	for _, d := range dims {
		if d < 0 || d > maxArrayLen {
			return -1
		}
		p *= d
		if p > maxArrayLen {
			return -1
		}
	}
	return p
}

// String describes the layout for messages: "float32", "float32[10]",
// "float32[nMuon]", "int32[N][2][3]".
func (li *leafInfo) String() string {
	var b strings.Builder
	switch li.leaf.(type) {
	case *rtree.LeafF16:
		b.WriteString("Float16_t")
	case *rtree.LeafD32:
		b.WriteString("Double32_t")
	default:
		b.WriteString(li.leaf.TypeName())
	}
	if li.kind == jaggedLeaf {
		b.WriteString("[" + li.count + "]")
	}
	for _, d := range li.dims {
		b.WriteString("[" + strconv.Itoa(d) + "]")
	}
	return b.String()
}

// newValue allocates what groot fills for this leaf.
func (li *leafInfo) newValue() any {
	t := li.elem
	for i := len(li.dims) - 1; i >= 0 && !li.flat; i-- {
		t = reflect.ArrayOf(li.dims[i], t)
	}
	if li.kind == jaggedLeaf {
		t = reflect.SliceOf(t)
	}
	return reflect.New(t).Interface()
}

// colSpec is a parsed column name: a branch and its indices, if any.
type colSpec struct {
	name   string
	branch string
	index  []int
}

// parseColumn splits "Muon_pt[0]" into the branch and the indices.
func parseColumn(s string) (colSpec, error) {
	c := colSpec{name: s, branch: s}
	i := strings.IndexByte(s, '[')
	if i < 0 {
		if strings.IndexByte(s, ']') >= 0 {
			return c, fmt.Errorf("%w %q: unmatched ']'", ErrBadColumn, s)
		}
		return c, nil
	}
	c.branch = s[:i]
	if c.branch == "" {
		return c, fmt.Errorf("%w %q: no branch name before '['", ErrBadColumn, s)
	}
	for rest := s[i:]; rest != ""; {
		end := strings.IndexByte(rest, ']')
		if rest[0] != '[' || end < 0 {
			return c, fmt.Errorf("%w %q: expected a branch name followed by indices such as [0]", ErrBadColumn, s)
		}
		n, err := strconv.Atoi(rest[1:end])
		if err != nil || n < 0 || n > 1<<30 || rest[1] == '+' {
			return c, fmt.Errorf("%w %q: index %q is not a non-negative integer", ErrBadColumn, s, rest[1:end])
		}
		c.index = append(c.index, n)
		rest = rest[end+1:]
	}
	return c, nil
}

// checkIndex tells whether the column's indices fit the leaf.
func (li *leafInfo) checkIndex(c colSpec) error {
	example := c.branch + strings.Repeat("[0]", len(li.dims))
	switch li.kind {
	case scalarLeaf:
		if len(c.index) > 0 {
			return fmt.Errorf("%w %q: the branch holds one %s per event, it takes no index", ErrBadColumn, c.name, li)
		}
		return nil
	case jaggedLeaf:
		example = c.branch + "[0]" + strings.Repeat("[0]", len(li.dims))
		if len(c.index) != 1+len(li.dims) {
			return fmt.Errorf("%w %q: the branch is a variable-length array %s; name one element, such as %q", ErrBadColumn, c.name, li, example)
		}
		return checkDims(c, c.index[1:], li)
	default:
		if len(c.index) != len(li.dims) {
			return fmt.Errorf("%w %q: the branch is an array %s; name one element, such as %q", ErrBadColumn, c.name, li, example)
		}
		return checkDims(c, c.index, li)
	}
}

func checkDims(c colSpec, index []int, li *leafInfo) error {
	for k, i := range index {
		if i >= li.dims[k] {
			return fmt.Errorf("%w %q: index %d out of range for %s", ErrBadColumn, c.name, i, li)
		}
	}
	return nil
}

// skipReason says why a branch is left out of the default selection, with
// a hint of how to read it, or "" when it is a flat numeric branch.
func skipReason(b rtree.Branch) (string, *leafInfo) {
	li, err := describe(b)
	if err != nil {
		return strings.TrimPrefix(err.Error(), ErrUnsupported.Error()+": "), nil
	}
	switch li.kind {
	case jaggedLeaf:
		return fmt.Sprintf("a variable-length array %s: name elements, such as %q", li, b.Name()+"[0]"+strings.Repeat("[0]", len(li.dims))), li
	case fixedLeaf:
		return fmt.Sprintf("an array %s: name elements, such as %q", li, b.Name()+strings.Repeat("[0]", len(li.dims))), li
	}
	return "", li
}

// branchNames lists the tree's top-level branches, for messages.
func branchNames(t rtree.Tree) []string {
	bs := t.Branches()
	names := make([]string, len(bs))
	for i, b := range bs {
		names[i] = b.Name()
	}
	return names
}
