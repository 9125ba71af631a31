package data

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// checkSameAsStrconv fails unless parseFloat agrees with strconv.ParseFloat
// on s: same bits (so -0 and 0 differ), and failure exactly where strconv
// fails (overflow, which strconv reports with ±Inf, counts as success).
func checkSameAsStrconv(t *testing.T, s string) {
	t.Helper()
	want, err := strconv.ParseFloat(s, 64)
	wantOK := err == nil || err.(*strconv.NumError).Err == strconv.ErrRange && math.IsInf(want, 0)
	got, ok := parseFloat([]byte(s))
	if ok != wantOK {
		t.Fatalf("%q: ok=%v, strconv err=%v", s, ok, err)
	}
	if ok && math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
		t.Fatalf("%q: got %v (%#x), strconv %v (%#x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
	}
}

func TestParseFloatMatchesStrconvRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	formats := []byte{'g', 'e', 'f', 'E', 'G'}
	n := 400000
	if testing.Short() {
		n = 40000
	}
	for i := range n {
		var v float64
		switch i % 4 {
		case 0: // HIGGS-like: order one, any bits
			v = rng.NormFloat64() * 2
		case 1: // any magnitude
			v = math.Float64frombits(rng.Uint64())
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
		case 2: // decimal mantissas of up to 19 digits near the fast path's edge
			v = float64(rng.Uint64N(1<<60)) * math.Pow10(rng.IntN(60)-30)
		case 3: // integers and round numbers
			v = float64(rng.IntN(2000000) - 1000000)
		}
		for _, prec := range []int{-1, rng.IntN(20), 17} {
			checkSameAsStrconv(t, strconv.FormatFloat(v, formats[rng.IntN(len(formats))], prec, 64))
		}
	}
}

func TestParseFloatMatchesStrconvDigits(t *testing.T) {
	// Random digit strings: long mantissas, leading and trailing zeros,
	// exponents around the exact-power limit of 22.
	rng := rand.New(rand.NewPCG(3, 5))
	for range 300000 {
		b := []byte{}
		switch rng.IntN(3) {
		case 0:
			b = append(b, '-')
		case 1:
			b = append(b, '+')
		}
		for range rng.IntN(4) {
			b = append(b, '0')
		}
		for range rng.IntN(21) {
			b = append(b, byte('0'+rng.IntN(10)))
		}
		if rng.IntN(2) == 0 {
			b = append(b, '.')
			for range rng.IntN(21) {
				b = append(b, byte('0'+rng.IntN(10)))
			}
		}
		if rng.IntN(2) == 0 {
			b = append(b, "eE"[rng.IntN(2)])
			if rng.IntN(2) == 0 {
				b = append(b, "+-"[rng.IntN(2)])
			}
			b = strconv.AppendInt(b, int64(rng.IntN(50)), 10)
		}
		checkSameAsStrconv(t, string(b))
	}
}

func TestParseFloatEdgeCases(t *testing.T) {
	for _, s := range []string{
		"", "-", "+", ".", "-.", "e5", "1e", "1e+", "1e-", "1.2.3", "1..2", "--1", "+-1", " 1", "1 ", "1,5",
		"0", "-0", "+0", "0.0", "-0.0", "00", "000.000", ".5", "5.", "-.5e1", "1E5", "1e+05", "1e-05",
		"9007199254740992", "9007199254740993", "9007199254740991", "123456789012345678", "1234567890123456789",
		"12345678901234567890", "1e22", "1e23", "1e-22", "1e-23", "4.9e-324", "5e-324", "2e-324", "1e-400",
		"1.7976931348623157e308", "1.8e308", "1e999", "-1e999", "0e999999", "0x1p-2", "0x10", "1_000",
		"inf", "-Inf", "+INF", "infinity", "nan", "NaN", "NAN", "0.34186098", "-1.313937902", "2.173076153",
		"0.000000000000000000000001", "100000000000000000000000", "0.1e-21", "123.456e-20", "9.999999999999999e22",
	} {
		checkSameAsStrconv(t, s)
	}
}

func TestParseFloatNoAllocs(t *testing.T) {
	// Valid numbers on both paths (fast and strconv); failures allocate
	// strconv's error, which only happens once per read.
	fields := [][]byte{[]byte("0.34186098"), []byte("1e-400"), []byte("3.14159265358979323846"), []byte("-0")}
	allocs := testing.AllocsPerRun(100, func() {
		for _, f := range fields {
			parseFloat(f)
		}
	})
	if allocs != 0 {
		t.Errorf("parseFloat allocates %v times per run", allocs)
	}
}

// TestPow10TableKnownEntries checks the computed table against entries of
// the published one (strconv's and fast_float's).
func TestPow10TableKnownEntries(t *testing.T) {
	for _, c := range []struct {
		e      int
		lo, hi uint64
	}{
		{-348, 0x1732C869CD60E453, 0xFA8FD5A0081C0288},
		{-1, 0xCCCCCCCCCCCCCCCD, 0xCCCCCCCCCCCCCCCC},
		{0, 0, 0x8000000000000000},
		{1, 0, 0xA000000000000000},
		{347, 0x4B7195F2D2D1A9FB, 0xD13EB46469447567},
	} {
		if got := pow10Table[c.e-pow10MinExp]; got != [2]uint64{c.lo, c.hi} {
			t.Errorf("1e%d: {%#x, %#x}, want {%#x, %#x}", c.e, got[0], got[1], c.lo, c.hi)
		}
	}
}

// TestParseFloatHiggsForm: the HIGGS file writes float32 values with
// "%.18e" (19 significant digits); every one must parse to strconv's bits,
// and on the fast path (no strconv fallback), which is what makes reading
// the full file fast.
func TestParseFloatHiggsForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	slow := 0
	const n = 200000
	for i := range n {
		v := float64(float32(rng.ExpFloat64() * math.Pow(10, float64(rng.IntN(12)-6))))
		if i%3 == 0 {
			v = -v
		}
		s := strconv.FormatFloat(v, 'e', 18, 64)
		checkSameAsStrconv(t, s)
		if _, ok := parseFast([]byte(s)); !ok {
			slow++
		}
		// The straight-line path takes every two-digit exponent.
		if e := s[len(s)-3:]; (e[0] == '-' || e[0] == '+') && len(strings.TrimPrefix(s, "-")) == 24 {
			if got, ok := parseE18([]byte(s)); !ok || got != v {
				t.Fatalf("%q: parseE18 gave %v, %v", s, got, ok)
			}
		}
	}
	if slow > n/1000 {
		t.Fatalf("%d of %d HIGGS-form values left the fast path", slow, n)
	}
}

// TestPow10TableMatchesStrconv compares every entry with the table in the
// Go distribution's strconv source, when it is there to read: the same,
// except that since Go 1.26 strconv truncates 1e-27..1e-1 where ours (and
// fast_float's) is one more.
func TestPow10TableMatchesStrconv(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "src", "internal", "strconv", "pow10tab.go"))
	if err != nil {
		t.Skipf("strconv's table not found: %v", err)
	}
	re := regexp.MustCompile(`\{0x([0-9a-f]+), 0x([0-9a-f]+)\}, // 1e(-?\d+)`)
	seen := 0
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		hi, _ := strconv.ParseUint(m[1], 16, 64)
		lo, _ := strconv.ParseUint(m[2], 16, 64)
		e, _ := strconv.Atoi(m[3])
		if e < pow10MinExp || e > pow10MaxExp {
			continue
		}
		seen++
		got := pow10Table[e-pow10MinExp]
		if e >= -27 && e < 0 && got == [2]uint64{lo + 1, hi} {
			continue
		}
		if got != [2]uint64{lo, hi} {
			t.Errorf("1e%d: {%#x, %#x}, strconv has {%#x, %#x}", e, got[0], got[1], lo, hi)
		}
	}
	if seen != len(pow10Table) {
		t.Skipf("strconv's table has %d of our %d entries: another layout?", seen, len(pow10Table))
	}
}
