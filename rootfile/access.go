package rootfile

import (
	"fmt"
	"reflect"

	"go-hep.org/x/hep/groot/root"
)

// accessor reads one column's value of the current event out of the
// variable groot fills; ok is false when a jagged array is too short.
type accessor interface {
	value() (v float64, ok bool)
}

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// scalar reads a value in place: a flat branch, or an element of a
// fixed-size array (which groot fills in place too).
type scalar[T number] struct{ p *T }

func (a scalar[T]) value() (float64, bool) { return float64(*a.p), true }

type scalarBool struct{ p *bool }

func (a scalarBool) value() (float64, bool) { return b2f(*a.p), true }

// jagged reads element i of a variable-length array of numbers.
type jagged[T number] struct {
	p *[]T
	i int
}

func (a jagged[T]) value() (float64, bool) {
	if s := *a.p; a.i < len(s) {
		return float64(s[a.i]), true
	}
	return 0, false
}

type jaggedBool struct {
	p *[]bool
	i int
}

func (a jaggedBool) value() (float64, bool) {
	if s := *a.p; a.i < len(s) {
		return b2f(s[a.i]), true
	}
	return 0, false
}

// jaggedArrays reads one value of element i of a variable-length array of
// fixed-size arrays (a rare layout, read by reflection).
type jaggedArrays struct {
	slice reflect.Value // the slice variable itself, seen through its pointer
	i     int
	inner []int
}

func (a jaggedArrays) value() (float64, bool) {
	if a.i >= a.slice.Len() {
		return 0, false
	}
	v := a.slice.Index(a.i)
	for _, k := range a.inner {
		v = v.Index(k)
	}
	return reflectFloat(v), true
}

func reflectFloat(v reflect.Value) float64 {
	switch {
	case v.Kind() == reflect.Bool:
		return b2f(v.Bool())
	case v.CanInt():
		return float64(v.Int())
	case v.CanUint():
		return float64(v.Uint())
	default:
		return v.Float()
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// newAccessor binds a column to value, the pointer groot fills for li.
func newAccessor(li *leafInfo, value any, c colSpec) (accessor, error) {
	switch li.kind {
	case scalarLeaf:
		return scalarOf(value)
	case fixedLeaf:
		v := reflect.ValueOf(value).Elem()
		for _, k := range c.index {
			v = v.Index(k)
		}
		return scalarOf(v.Addr().Interface())
	default:
		if li.flat { // element k of shape dims starts at k*product(dims)
			i := c.index[0]
			for d, k := range c.index[1:] {
				i = i*li.dims[d] + k
			}
			return jaggedOf(value, i)
		}
		if len(li.dims) > 0 {
			return jaggedArrays{slice: reflect.ValueOf(value).Elem(), i: c.index[0], inner: c.index[1:]}, nil
		}
		return jaggedOf(value, c.index[0])
	}
}

func scalarOf(p any) (accessor, error) {
	switch p := p.(type) {
	case *bool:
		return scalarBool{p}, nil
	case *int8:
		return scalar[int8]{p}, nil
	case *int16:
		return scalar[int16]{p}, nil
	case *int32:
		return scalar[int32]{p}, nil
	case *int64:
		return scalar[int64]{p}, nil
	case *uint8:
		return scalar[uint8]{p}, nil
	case *uint16:
		return scalar[uint16]{p}, nil
	case *uint32:
		return scalar[uint32]{p}, nil
	case *uint64:
		return scalar[uint64]{p}, nil
	case *float32:
		return scalar[float32]{p}, nil
	case *float64:
		return scalar[float64]{p}, nil
	case *root.Float16:
		return scalar[root.Float16]{p}, nil
	case *root.Double32:
		return scalar[root.Double32]{p}, nil
	}
	return nil, fmt.Errorf("%w: values of Go type %T", ErrUnsupported, p)
}

func jaggedOf(p any, i int) (accessor, error) {
	switch p := p.(type) {
	case *[]bool:
		return jaggedBool{p, i}, nil
	case *[]int8:
		return jagged[int8]{p, i}, nil
	case *[]int16:
		return jagged[int16]{p, i}, nil
	case *[]int32:
		return jagged[int32]{p, i}, nil
	case *[]int64:
		return jagged[int64]{p, i}, nil
	case *[]uint8:
		return jagged[uint8]{p, i}, nil
	case *[]uint16:
		return jagged[uint16]{p, i}, nil
	case *[]uint32:
		return jagged[uint32]{p, i}, nil
	case *[]uint64:
		return jagged[uint64]{p, i}, nil
	case *[]float32:
		return jagged[float32]{p, i}, nil
	case *[]float64:
		return jagged[float64]{p, i}, nil
	case *[]root.Float16:
		return jagged[root.Float16]{p, i}, nil
	case *[]root.Double32:
		return jagged[root.Double32]{p, i}, nil
	}
	return nil, fmt.Errorf("%w: values of Go type %T", ErrUnsupported, p)
}
