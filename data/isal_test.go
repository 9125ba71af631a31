package data

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// isalOrSkip returns the ISA-L library, or skips the test where it is not
// installed (Debian: apt-get install libisal2).
func isalOrSkip(t *testing.T) *isalLib {
	t.Helper()
	lib := loadISAL()
	if lib == nil && os.Getenv("HEPFLOW_REQUIRE_ISAL") == "1" {
		t.Fatal("HEPFLOW_REQUIRE_ISAL=1 but ISA-L (libisal.so.2) did not load")
	}
	if lib == nil {
		t.Skip("ISA-L (libisal.so.2) not installed, or HEPFLOW_ISAL=0: Go's decoder is used")
	}
	return lib
}

// TestISALMemberDecodes: ISA-L decodes members itself (no fallback to
// Go's decoder) in pieces of any size, with the member's end exactly where
// the next one starts, for every header form it takes.
func TestISALMemberDecodes(t *testing.T) {
	lib := isalOrSkip(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, hdr := range []gzip.Header{{}, {Name: "x.csv", Comment: "c"}, {Extra: []byte{1, 2, 3, 4}}} {
		for _, n := range []int{0, 1, 1000, 700_000} {
			text := csvText(rng, n)[:n]
			member := gzMember(t, text, 1+n%9, hdr)
			next := gzMember(t, []byte("next\n"), 6, gzip.Header{})
			file := append(bytes.Clone(member), next...)
			for _, piece := range []int{1, 777, 1 << 20} {
				m := newIsalMember(lib)
				if err := m.open(bytes.NewReader(file), 0, int64(len(file))); err != nil {
					t.Fatalf("open: %v", err)
				}
				var got []byte
				buf := make([]byte, piece)
				for {
					k, err := m.read(buf)
					got = append(got, buf[:k]...)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%d bytes in pieces of %d, header %+v: %v after %d bytes", n, piece, hdr, err, len(got))
					}
				}
				if !bytes.Equal(got, text) || m.end != int64(len(member)) {
					t.Fatalf("%d bytes in pieces of %d: got %d bytes, end %d, want %d bytes, end %d", n, piece, len(got), m.end, len(text), len(member))
				}
			}
		}
	}
}

// TestISALMemberFallsBack: a wrong CRC, a wrong size, a truncated member,
// corrupt deflate data and a header with a CRC are left to Go's decoder.
func TestISALMemberFallsBack(t *testing.T) {
	lib := isalOrSkip(t)
	rng := rand.New(rand.NewPCG(5, 6))
	good := gzMember(t, csvText(rng, 200_000), 6, gzip.Header{})
	for name, b := range map[string][]byte{
		"crc":       func() []byte { b := bytes.Clone(good); b[len(b)-8] ^= 1; return b }(),
		"size":      func() []byte { b := bytes.Clone(good); b[len(b)-1] ^= 1; return b }(),
		"truncated": good[:len(good)-20],
		"trailer":   good[:len(good)-3],
		"deflate":   func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 0x55; return b }(),
		"hcrc":      append([]byte{0x1f, 0x8b, 8, 2, 0, 0, 0, 0, 0, 255, 0, 0}, good[10:]...),
	} {
		m := newIsalMember(lib)
		err := m.open(bytes.NewReader(b), 0, int64(len(b)))
		buf := make([]byte, 64<<10)
		for err == nil {
			_, err = m.read(buf)
		}
		if err != errIsalFallback {
			t.Errorf("%s: %v, want the fallback", name, err)
		}
	}
}

// TestISALSelfTest: the library that loaded passes its self-test, and the
// inflater reports the bytes its bit buffer holds back.
func TestISALSelfTest(t *testing.T) {
	lib := isalOrSkip(t)
	if !lib.selfTest() {
		t.Fatal("self-test failed")
	}
	t.Logf("ISA-L loaded from %s", lib.name)
}
