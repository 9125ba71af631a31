package rootfile

import (
	"context"
	"encoding/binary"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go-hep.org/x/hep/groot/riofs"
	"go-hep.org/x/hep/groot/rtree"
)

// Damaged files must give errors, never a crash. A panic in the goroutine
// groot decompresses baskets in would end the whole test binary, so these
// tests fail loudly if the checks in vet.go miss a case they cover.
//
// Not covered, because only decompressing could tell (see vet.go): a zstd
// block whose stream ends before its declared size, and a jagged basket
// whose decompressed offset table has a negative length. Random damage
// does not produce them: the compressed formats carry checksums.

// corruptCases are ROOT-written files with flat, array and jagged branches
// in every compression ROOT wrote them with, and the columns to read.
var corruptCases = []struct {
	file string
	cols []string
}{
	{"sample-6.14.00-uncompressed.root", []string{"n", "i4", "ai4[1]", "Ai4[0]", "Af8[2]", "Ab[0]"}},
	{"sample-6.14.00-zlib.root", []string{"n", "f8", "au2[2]", "Ai8[1]", "Ab[0]"}},
	{"sample-6.14.00-lz4.root", []string{"n", "f4", "Au4[0]", "Af4[3]"}},
	{"sample-6.14.00-lzma.root", []string{"n", "u8", "Ai1[0]"}},
	{"small-flat-tree.root", []string{"Float64", "ArrayFloat32[3]", "SliceInt64[2]"}},
	{"leaves.root", []string{"B", "D16", "ArrD32[1]", "SliD16[0]", "SliU8[2]"}},
	{"ndim-slice.root", []string{"N", "SliI32[0][1][2][3]", "SliD32[1][0][0][1]"}},
}

// scanAll reads the tree of path every way a user can: listing, the
// default columns, and the given ones.
func scanAll(path string, cols []string) error {
	if _, err := Trees(path); err != nil {
		return err
	}
	count := func(*Chunk) error { return nil }
	err1 := Scan(context.Background(), path, Options{}, count)
	err2 := Scan(context.Background(), path, Options{Columns: cols}, count)
	return errors.Join(err1, err2)
}

func TestTruncatedFilesFail(t *testing.T) {
	dir := t.TempDir()
	for _, c := range corruptCases {
		full, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		if err := scanAll(filepath.Join("testdata", c.file), c.cols); err != nil {
			t.Fatalf("%s: the intact file fails: %v", c.file, err)
		}
		step := max(1, len(full)/300)
		path := filepath.Join(dir, c.file)
		for n := 0; n < len(full); n += step {
			if err := os.WriteFile(path, full[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			err := scanAll(path, c.cols)
			if err == nil {
				t.Errorf("%s cut to %d of %d bytes: no error", c.file, n, len(full))
				continue
			}
			var e *Error
			if !errors.As(err, &e) || e.Path != path {
				t.Errorf("%s cut to %d bytes: %v does not name the file", c.file, n, err)
			}
			if n >= 64 && !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s cut to %d bytes: %v is not ErrCorrupt", c.file, n, err)
			}
		}
	}
	full, _ := os.ReadFile("testdata/leaves.root")
	os.WriteFile(filepath.Join(dir, "cut.root"), full[:len(full)/2], 0o644)
	_, err := Trees(filepath.Join(dir, "cut.root"))
	if want := "the header says the file has 15094 bytes but it has 7547"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("half a file: %v, want %q", err, want)
	}
}

// Overwriting bytes anywhere (keys, streamers, branch records, basket
// headers, compressed payloads) gives an error or wrong numbers, never a
// crash. Two regions are left out when they are stored uncompressed (so
// without a checksum): the tree's own record (its branch list and basket
// tables) and the streamer information, which groot v0.40.0 parses
// allocating whatever sizes it reads (a damaged byte there made it ask for
// 4 to 24 GiB, which the Go runtime may not survive).
func TestDamagedFilesDoNotCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	dir := t.TempDir()
	refused := 0
	for _, c := range corruptCases {
		full, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		skip := uncheckedRecords(t, filepath.Join("testdata", c.file))
		step := max(1, len(full)/100)
		path := filepath.Join(dir, c.file)
		buf := make([]byte, len(full))
		for pos := 0; pos < len(full); pos += step {
			if slices.ContainsFunc(skip, func(r [2]int64) bool { return int64(pos+4) > r[0] && int64(pos) < r[1] }) {
				continue
			}
			for _, v := range []func(byte) byte{
				func(byte) byte { return 0xff },
				func(byte) byte { return 0 },
				func(b byte) byte { return b ^ 0x40 },
			} {
				copy(buf, full)
				// A run of damage, as a bad sector would leave.
				for k := pos; k < min(len(buf), pos+4); k++ {
					buf[k] = v(buf[k])
				}
				if err := os.WriteFile(path, buf, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := scanAll(path, c.cols); err != nil {
					refused++
					var e *Error
					if !errors.As(err, &e) || e.Path != path {
						t.Errorf("%s damaged at %d: %v does not name the file", c.file, pos, err)
					}
				}
			}
		}
	}
	if refused == 0 {
		t.Error("no damage was detected at all")
	}
	t.Logf("%d damaged files refused", refused)
}

// uncheckedRecords returns the byte ranges of the tree's record and of
// the streamer information when they are stored uncompressed.
func uncheckedRecords(t *testing.T, path string) (ranges [][2]int64) {
	rf, err := openFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	if _, err := rf.trees(); err != nil {
		t.Fatal(err)
	}
	h, err := readFileHead(rf.f, rf.size)
	if err != nil {
		t.Fatal(err)
	}
	si, err := (&structChecker{r: rf.f, size: rf.size}).keyRecord(h.seekInfo, int64(h.nbytesInfo))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range append(slices.Collect(maps.Values(rf.treeKeys)), si) {
		if k.objlen == k.nbytes-k.keylen {
			ranges = append(ranges, [2]int64{k.seekKey, k.seekKey + k.nbytes})
		}
	}
	return ranges
}

// A basket whose header is damaged is refused before groot's reader
// goroutine would panic on it, with the branch named.
func TestDamagedBasketNamesBranch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.root")
	writeFile(t, path, []string{"a", "b"}, randomRows(100, 2, 1), WriteOptions{Compression: None})
	full, _ := os.ReadFile(path)
	rf, err := openFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, _, err := rf.tree("")
	if err != nil {
		t.Fatal(err)
	}
	bt, err := basketsOf(tr.Branch("b"))
	rf.Close()
	if err != nil || len(bt.seek) != 1 {
		t.Fatalf("basket table %+v, %v", bt, err)
	}
	seek := bt.seek[0]
	// Offsets in the basket's key: 0 nbytes, 4 version, 6 objlen, 10 date,
	// 14 keylen, 16 cycle, 18 seekkey, 22 seekpdir, 26 the class name.
	for _, c := range []struct {
		off  int64
		val  []byte
		want string // "" when the damage is harmless
	}{
		{6, []byte{0x7f, 0xff, 0xff, 0xff}, "claims 2147483647 bytes uncompressed"},
		{6, []byte{0xff, 0xff, 0xff, 0xfe}, "claims -2 bytes uncompressed"},
		{6, []byte{0, 0, 0x10, 0}, `unknown compression`}, // now seemingly compressed
		{0, []byte{0x7f, 0, 0, 0}, "outside the file"},
		{14, []byte{0x7f, 0xff}, "outside the file"},
		{18, []byte{0x7f, 0, 0, 0}, "outside the file"},
		{26, []byte{0xff, 0xff, 0xff, 0xff, 0xff}, "a string of 4294967295 bytes"},
		{4, []byte{0, 1}, ""},
		{22, []byte{0, 0, 0, 0}, ""},
	} {
		buf := append([]byte(nil), full...)
		copy(buf[seek+c.off:], c.val)
		damaged := filepath.Join(t.TempDir(), "b.root")
		if err := os.WriteFile(damaged, buf, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := tryReadAll(damaged, Options{})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("harmless damage %x at %d: %v", c.val, c.off, err)
		case c.want != "" && (!errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `branch "b": basket 0`)):
			t.Errorf("damage %x at %d: %v, want ErrCorrupt naming branch b, basket 0 and %q", c.val, c.off, err, c.want)
		}
	}
}

// A damaged array length (the count branch of a jagged one) is refused
// before groot allocates by it: 2^31 floats would be 8 GiB.
func TestDamagedCountRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "n.root")
	f, err := riofs.Create(path, riofs.WithoutCompression())
	if err != nil {
		t.Fatal(err)
	}
	var (
		n   int32
		sli []float32
	)
	tw, err := rtree.NewWriter(f, "t", []rtree.WriteVar{{Name: "n", Value: &n}, {Name: "x", Value: &sli, Count: "n"}}, rtree.WithoutCompression())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		n, sli = 2, []float32{float32(i), -1}
		if _, err := tw.Write(); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, data := readAll(t, path, Options{Columns: []string{"x[0]"}}); len(data) != 50 || data[7] != 7 {
		t.Fatalf("intact file reads %v", data)
	}
	rf, err := openFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, _, err := rf.tree("t")
	if err != nil {
		t.Fatal(err)
	}
	bt, err := basketsOf(tr.Branch("n"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := rf.basketHeader(bt.seek[0], int(bt.bytes[0]))
	rf.Close()
	if err != nil {
		t.Fatal(err)
	}
	full, _ := os.ReadFile(path)
	at := h.seekKey + h.keylen + 4*7 // entry 7's count
	if got := binary.BigEndian.Uint32(full[at:]); got != 2 {
		t.Fatalf("entry 7's count is %d here", got)
	}
	binary.BigEndian.PutUint32(full[at:], 0x7fffffff)
	os.WriteFile(path, full, 0o644)
	_, _, err = tryReadAll(path, Options{Columns: []string{"x[0]"}})
	want := `tree "t": branch "n": corrupt or truncated ROOT file: entry 7: an array length of 2.147483647e+09 (at most 16777216 accepted)`
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
}

// Damage that groot cannot see by itself is refused up front: a key count
// in the file's list of keys (groot would allocate 2^31 keys, which the Go
// runtime does not survive) and a damaged compressed tree record (which
// zlib still decompresses, to garbage that groot would parse).
func TestDamagedMetadataRefused(t *testing.T) {
	full, err := os.ReadFile("testdata/small-flat-tree.root")
	if err != nil {
		t.Fatal(err)
	}
	rf, err := openFile("testdata/small-flat-tree.root")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rf.trees(); err != nil {
		t.Fatal(err)
	}
	treeKey := rf.treeKeys["tree"]
	h, _ := readFileHead(rf.f, rf.size)
	seekKeys, _, err := (&structChecker{r: rf.f, size: rf.size}).topDirectory(h)
	rf.Close()
	if err != nil || treeKey.objlen == treeKey.nbytes-treeKey.keylen {
		t.Fatalf("keys at %d (%v); tree record %+v should be compressed", seekKeys, err, treeKey)
	}
	kr := &headReader{b: full[seekKeys:]}
	listKey := kr.key()

	for _, c := range []struct {
		what string
		at   int64
		val  []byte
		want string
	}{
		{"key count", seekKeys + listKey.keylen, []byte{0x7f, 0xff, 0xff, 0xff}, "the list of keys: 2147483646 keys in 55 bytes"}, // 1 ^ 0x7fffffff,
		{"tree record's checksum", treeKey.seekKey + treeKey.nbytes - 2, []byte{0x55, 0xaa}, `tree "tree": corrupt or truncated ROOT file: the tree's record: zlib block: zlib: invalid checksum`},
		{"tree record", treeKey.seekKey + treeKey.keylen + treeKey.nbytes/2 - treeKey.keylen/2, []byte{0x55, 0xaa}, `tree "tree": corrupt or truncated ROOT file: the tree's record: zlib block:`},
	} {
		buf := append([]byte(nil), full...)
		for k, v := range c.val {
			buf[c.at+int64(k)] ^= v
		}
		path := filepath.Join(t.TempDir(), "m.root")
		os.WriteFile(path, buf, 0o644)
		_, _, err := tryReadAll(path, Options{})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("damaged %s: %v, want %q", c.what, err, c.want)
		}
	}
}
