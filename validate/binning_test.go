package validate

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestPooledKthMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		na, nb := rng.IntN(20), rng.IntN(20)
		if na+nb == 0 {
			continue
		}
		a, b := make([]float64, na), make([]float64, nb)
		for i := range a {
			a[i] = float64(rng.IntN(10)) // ties on purpose
		}
		for i := range b {
			b[i] = float64(rng.IntN(10))
		}
		slices.Sort(a)
		slices.Sort(b)
		all := slices.Sorted(slices.Values(append(append([]float64{}, a...), b...)))
		for k := range all {
			if got := pooledKth(a, b, k); got != all[k] {
				t.Fatalf("trial %d: kth(%d) = %g, want %g (a=%v b=%v)", trial, k, got, all[k], a, b)
			}
		}
	}
}

func TestSharedBinningContinuous(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := make([]float64, 5000), make([]float64, 3000)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	for i := range b {
		b[i] = rng.NormFloat64() + 0.5
	}
	bin, err := SharedBinning(a, b, BinningOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if bin.Discrete || bin.Bins() != DefaultMaxBins {
		t.Fatalf("got discrete=%v bins=%d, want continuous %d bins", bin.Discrete, bin.Bins(), DefaultMaxBins)
	}
	// The range is the pooled 0.1% and 99.9% quantiles: about 0.1% of the
	// 8000 pooled values on each side (a few events, allow 0..20).
	ha, hb := NewHist(bin, a, nil), NewHist(bin, b, nil)
	under, over := ha.Under+hb.Under, ha.Over+hb.Over
	if under < 1 || under > 20 || over < 1 || over > 20 {
		t.Errorf("under/overflow %g/%g, want ~8 each", under, over)
	}
	if ha.Total() != 5000 || hb.Total() != 3000 {
		t.Errorf("totals %g %g", ha.Total(), hb.Total())
	}
	// The sorted fast path agrees with filling one by one.
	sa := slices.Sorted(slices.Values(a))
	if hs := newHistSorted(bin, sa, nil); !slices.Equal(hs.Sum, ha.Sum) || !slices.Equal(hs.Count, ha.Count) ||
		hs.Under != ha.Under || hs.Over != ha.Over || hs.Entries != ha.Entries {
		t.Errorf("sorted fill differs: %v vs %v", hs.Sum, ha.Sum)
	}
	// Every value lands in the bin whose edges contain it.
	for _, v := range a {
		k := bin.Find(v)
		if k >= 0 && k < bin.Bins() && (v < bin.Edges[k] || v > bin.Edges[k+1]) {
			t.Fatalf("value %g in bin %d [%g, %g]", v, k, bin.Edges[k], bin.Edges[k+1])
		}
	}
	// Small samples get fewer bins (25 events per bin on average).
	bin, _ = SharedBinning(a[:250], b[:200], BinningOptions{})
	if bin.Bins() != 8 {
		t.Errorf("small-sample rule: %d bins, want 200/25 = 8", bin.Bins())
	}
	bin, _ = SharedBinning(a, b, BinningOptions{MinMax: true, Bins: 7})
	if h := NewHist(bin, a, nil); h.Under != 0 || h.Over != 0 || bin.Bins() != 7 {
		t.Errorf("min/max range: under %g over %g bins %d", h.Under, h.Over, bin.Bins())
	}
}

func TestSharedBinningDiscrete(t *testing.T) {
	a := []float64{0, 1, 1, 2, 2, 2, 0}
	b := []float64{1, 2, 3.5, 3.5}
	bin, err := SharedBinning(a, b, BinningOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bin.Discrete || !slices.Equal(bin.Values, []float64{0, 1, 2, 3.5}) {
		t.Fatalf("got %+v, want one bin per value", bin)
	}
	h := NewHist(bin, a, nil)
	if !slices.Equal(h.Sum, []float64{2, 2, 3, 0}) {
		t.Errorf("discrete counts %v", h.Sum)
	}
	// Too many distinct values: continuous.
	bin, _ = SharedBinning(a, b, BinningOptions{MaxDiscrete: 3})
	if bin.Discrete {
		t.Error("4 distinct values with MaxDiscrete 3 must not be discrete")
	}
}
