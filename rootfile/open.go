package rootfile

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"go-hep.org/x/hep/groot/riofs"
	"go-hep.org/x/hep/groot/rtree"
)

// rootFile is an open ROOT file and what the checks need to know of it.
type rootFile struct {
	path     string // as the caller named it
	f        *riofs.File
	size     int64
	treeKeys map[string]keyHead // the records of the trees, by name (last cycle)
}

func (r *rootFile) Close() error { return r.f.Close() }

// errorf builds an *Error about this file.
func (r *rootFile) errorf(tree, branch string, format string, args ...any) error {
	return &Error{Path: r.path, Tree: tree, Branch: branch, Err: fmt.Errorf(format, args...)}
}

// openFile opens a local ROOT file for reading after checking that its
// header fits the file, so that a truncated copy is told as such.
func openFile(path string) (rf *rootFile, err error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	defer func() {
		if err != nil {
			fd.Close()
		}
	}()
	fi, err := fd.Stat()
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	if !fi.Mode().IsRegular() {
		return nil, &Error{Path: path, Err: errors.New("not a regular file (ROOT files need random access)")}
	}
	if err := checkStructure(fd, fi.Size()); err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	defer recovered(&err, path, "")
	f, err := riofs.NewReader(fd)
	if err != nil {
		return nil, &Error{Path: path, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	return &rootFile{path: path, f: f, size: fi.Size()}, nil
}

// Trees returns the names of the trees (TTree, TNtuple) in the file at path:
// top-level ones by name, those in folders as "dir/name", in file order.
func Trees(path string) ([]string, error) {
	rf, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer rf.Close()
	return rf.trees()
}

var treeType = reflect.TypeFor[rtree.Tree]()

func (rf *rootFile) trees() (names []string, err error) {
	defer recovered(&err, rf.path, "")
	rf.treeKeys = map[string]keyHead{}
	cycles := map[string]int{}
	var walk func(dir riofs.Directory, prefix string, depth int) error
	walk = func(dir riofs.Directory, prefix string, depth int) error {
		if depth > 64 {
			return fmt.Errorf("%w: folders nested more than 64 deep", ErrCorrupt)
		}
		keys := dir.Keys()
		for i := range keys {
			k := &keys[i]
			name := prefix + k.Name()
			switch t := k.ObjectType(); {
			case t == nil:
			case t.Implements(treeType):
				if !slices.Contains(names, name) { // several cycles of one tree
					names = append(names, name)
				}
				if old, ok := cycles[name]; !ok || k.Cycle() > old {
					cycles[name] = k.Cycle()
					rf.treeKeys[name] = keyHead{nbytes: int64(k.Nbytes()), objlen: int64(k.ObjLen()), keylen: int64(k.KeyLen()), seekKey: k.SeekKey()}
				}
			case t.Implements(reflect.TypeFor[riofs.Directory]()):
				if slices.ContainsFunc(keys[:i], func(o riofs.Key) bool { return o.Name() == k.Name() }) {
					continue
				}
				obj, err := k.Object()
				if err != nil {
					return fmt.Errorf("%w: folder %q: %w", ErrCorrupt, name, err)
				}
				sub, ok := obj.(riofs.Directory)
				if !ok {
					continue
				}
				if err := walk(sub, name+"/", depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(rf.f, "", 0); err != nil {
		return nil, &Error{Path: rf.path, Err: err}
	}
	return names, nil
}

// tree returns the tree named name ("dir/name"), or the file's only tree
// when name is empty.
func (rf *rootFile) tree(name string) (t rtree.Tree, resolved string, err error) {
	defer recovered(&err, rf.path, name)
	names, err := rf.trees()
	if err != nil {
		return nil, "", err
	}
	if name == "" {
		switch len(names) {
		case 0:
			return nil, "", rf.errorf("", "", "%w: the file holds no TTree", ErrNoTree)
		case 1:
			name = names[0]
		default:
			return nil, "", rf.errorf("", "", "%w: the file holds %d trees, name one: %s", ErrNoTree, len(names), quoteList(names))
		}
	}
	name = strings.TrimPrefix(name, "/")
	if !slices.Contains(names, name) {
		if len(names) == 0 {
			return nil, "", rf.errorf(name, "", "%w: the file holds no TTree", ErrNoTree)
		}
		return nil, "", rf.errorf(name, "", "%w (trees: %s)", ErrNoTree, quoteList(names))
	}
	// groot parses the tree's record, allocating the sizes it reads there:
	// check that the record fits the file and, when compressed, that its
	// checksums hold.
	k := rf.treeKeys[name]
	if k.objlen < 0 || k.objlen > maxRecordLen {
		return nil, "", rf.errorf(name, "", "%w: the tree's record claims %d bytes", ErrCorrupt, k.objlen)
	}
	if err := vetPayload(rf.f, rf.size, k.seekKey, k.nbytes, k.keylen, k.objlen); err != nil {
		return nil, "", rf.errorf(name, "", "%w: the tree's record: %w", ErrCorrupt, err)
	}
	if err := verifyRecord(rf.f, k); err != nil {
		return nil, "", rf.errorf(name, "", "%w: the tree's record: %w", ErrCorrupt, err)
	}
	obj, err := riofs.Dir(rf.f).Get(name)
	if err != nil {
		return nil, "", rf.errorf(name, "", "%w: %w", ErrCorrupt, err)
	}
	t, ok := obj.(rtree.Tree)
	if !ok {
		return nil, "", rf.errorf(name, "", "%w: a %s, not a TTree", ErrNoTree, obj.Class())
	}
	return t, name, nil
}
