package preprocess

import (
	"fmt"
	"math"
	"sync"
)

// FitTransform is FitColumns followed by ToLatentContinuous of the same
// training rows into dst (rows x len(cols)) and logdet, with the same
// results bit for bit, for less work: an asinh-mapped column's map is
// evaluated once per value, its moments taken from the values the
// transform computes anyway, where the two calls evaluate it twice (on
// the full HIGGS background, a quarter of the time before training).
// column must give a column's values in the same order each time it is
// called (twice for such columns). logdet is set (not added to) to each
// row's log|dy/dx| of the continuous columns: ToLatentContinuous's sum on
// a zeroed logdet.
func FitTransform(rows int, cols []string, column ColumnFunc, opt Options, workers int, dst []float32, logdet []float64) (*Scaler, error) {
	d := len(cols)
	mustLen("dst", len(dst), rows*d)
	mustLen("logdet", len(logdet), rows)
	// The choice of map, and the moments of the columns whose map is not
	// an asinh, column by column in parallel, as FitColumns does.
	r, out, err := fitMaps(rows, cols, column, opt, workers, func(k Kind) bool { return !asinhKind(k) })
	if err != nil {
		return nil, err
	}
	clear(logdet[:rows])
	// Then each continuous column in order (the log-dets add up per row in
	// column order, as in ToLatentContinuous), its rows in parallel.
	part := &Scaler{beta: r.beta, guard: DequantGuard, edge: newClipEdge(r.beta)}
	var v, raw, slope []float64
	for j := range out {
		c := &out[j]
		if c.Kind == KindDiscrete {
			continue
		}
		v = column(j, v)
		if asinhKind(c.Kind) {
			// The raw asinh values with the map alone (Std 1, as
			// setMoments uses it), then their moments as setMoments
			// sums them.
			tmp := *c
			tmp.Std = 1
			m, err := newColumn(tmp, r.beta, DequantGuard)
			if err != nil {
				return nil, fmt.Errorf("preprocess: fit: column %q: %w", c.Name, err)
			}
			raw, slope = grow(raw, rows), grow(slope, rows)
			forRows(rows, workers, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					raw[i], slope[i] = m.sinhArcsinh(v[i])
				}
			})
			shift := raw[0]
			var s1, s2 float64
			for _, x := range raw {
				y := x - shift
				s1 += y
				s2 += y * y
			}
			mean := s1 / float64(rows)
			c.Mean = shift + mean
			c.Std = math.Sqrt(max(s2/float64(rows)-mean*mean, 0))
		}
		col, err := newColumn(*c, r.beta, DequantGuard)
		if err != nil {
			return nil, fmt.Errorf("preprocess: fit: column %q: %w", c.Name, err)
		}
		asinh := asinhKind(c.Kind)
		forRows(rows, workers, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				x := v[i]
				var rw, ls float64
				if asinh {
					rw, ls = raw[i], slope[i]
				} else {
					rw, ls = part.continuousRaw(&col, x)
				}
				y, l := part.continuousLatent(&col, x, rw, ls)
				dst[i*d+j] = float32(y)
				logdet[i] += l
			}
		})
	}
	s, err := newScaler(r.beta, DequantGuard, out)
	if err != nil {
		return nil, fmt.Errorf("preprocess: fit: %w", err)
	}
	return s, nil
}

// asinhKind reports whether a kind maps by asinh (its moments come from
// sinhArcsinh).
func asinhKind(k Kind) bool { return k == KindUnbounded || k == KindPositive }

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// forRows calls fn on consecutive ranges of 0..rows-1, in parallel on
// workers goroutines; each row is in exactly one range.
func forRows(rows, workers int, fn func(lo, hi int)) {
	const chunk = 1 << 14
	workers = max(1, min(workers, (rows+chunk-1)/chunk))
	if workers == 1 {
		fn(0, rows)
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, workers)
	go func() {
		for lo := 0; lo < rows; lo += chunk {
			next <- lo
		}
		close(next)
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				fn(lo, min(lo+chunk, rows))
			}
		}()
	}
	wg.Wait()
}
