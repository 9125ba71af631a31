package flow

import (
	"slices"

	"hepflow/nn"
	"hepflow/nn/blas"
	"hepflow/nn/vec"
)

// madeInverter inverts a MAF block in one masked pass instead of D full
// passes. A MADE hidden unit of degree k depends only on inputs 1..k, so once
// x_1..x_k are known its value is final. Step j (fixing x_{j+1}) therefore
// computes only the units of degree exactly j in each hidden layer, from the
// already final units of degree <= j below, and then the two outputs of
// dimension j+1. Summed over j that is one masked forward pass.
//
// To make "units of degree <= k" a prefix, hidden units are sorted by degree
// (a relabelling that leaves the function unchanged) and the output columns
// are interleaved as (mu_1, a_1, mu_2, a_2, ...).
type madeInverter struct {
	d      int
	act    nn.Activation
	w, b   [][]float32 // permuted weights (In x Out) and biases, per layer
	counts [][]int     // counts[l][k]: units of hidden layer l with degree <= k
	h      [][]float32 // hidden activations, rows x H_l
	o      []float32   // rows x 2 outputs of the current dimension
	rows   int
}

// load copies the MADE's current weights into the sorted layout.
func (v *madeInverter) load(made *nn.MLP, d int) {
	hidden := make([]int, len(made.Layers)-1)
	for i := range hidden {
		hidden[i] = made.Layers[i].Out
	}
	_, hid, _ := MADEDegrees(d, hidden, 2)
	orders := make([][]int, len(hid))
	if v.counts == nil {
		v.counts = make([][]int, len(hid))
		v.w = make([][]float32, len(made.Layers))
		v.b = make([][]float32, len(made.Layers))
	}
	for l, deg := range hid {
		order := make([]int, len(deg))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return deg[a] - deg[b] })
		orders[l] = order
		c := make([]int, d+1)
		for _, k := range deg {
			c[k]++
		}
		for k := 1; k <= d; k++ {
			c[k] += c[k-1]
		}
		v.counts[l] = c
	}
	v.d, v.act = d, made.Act
	for l, layer := range made.Layers {
		in, out := layer.In, layer.Out
		if len(v.w[l]) != in*out {
			v.w[l], v.b[l] = make([]float32, in*out), make([]float32, out)
		}
		rowOf := func(i int) int { return i } // input index in the original layer
		if l > 0 {
			rowOf = func(i int) int { return orders[l-1][i] }
		}
		colOf := func(j int) int { // output index in the original layer
			if l < len(orders) {
				return orders[l][j]
			}
			return (j%2)*d + j/2 // interleave (mu_k, a_k)
		}
		for i := 0; i < in; i++ {
			src := layer.W.Value[rowOf(i)*out:]
			dst := v.w[l][i*out : (i+1)*out]
			for j := range dst {
				dst[j] = src[colOf(j)]
			}
		}
		for j := 0; j < out; j++ {
			v.b[l][j] = layer.B.Value[colOf(j)]
		}
	}
}

func (v *madeInverter) ensure(rows int) {
	if rows <= v.rows && v.h != nil {
		return
	}
	v.h = make([][]float32, len(v.counts))
	for l, c := range v.counts {
		v.h[l] = make([]float32, rows*c[v.d])
	}
	v.o = make([]float32, rows*2)
	v.rows = rows
}

// block computes n output columns of layer l, starting at weight column wc,
// into dst[:, dc:dc+n]: act?(src[:, :k] W[:k, wc:wc+n] + b[wc:wc+n]).
func (v *madeInverter) block(g blas.Gemm, l int, dst []float32, ldd, dc int, src []float32, lds, k, wc, n, rows int, activate bool) {
	if n == 0 {
		return
	}
	w, b := v.w[l], v.b[l]
	ldw := len(b)
	if k > 0 {
		g.Sgemm(false, false, rows, n, k, 1, src, lds, w[wc:], ldw, 0, dst[dc:], ldd)
	}
	bias := b[wc : wc+n]
	for r := 0; r < rows; r++ {
		row := dst[r*ldd+dc : r*ldd+dc+n]
		if k == 0 {
			copy(row, bias)
		} else {
			for j := range row {
				row[j] += bias[j]
			}
		}
		if activate {
			v.act.Apply(row, row)
		}
	}
}

// invert writes x = T^-1(z) for a MAF block with bounded log-scales m and
// adds sum alpha to logdet.
func (v *madeInverter) invert(g blas.Gemm, m affine, x, z []float32, rows int, logdet []float64) {
	v.ensure(rows)
	d, nl := v.d, len(v.counts)
	for j := 0; j < d; j++ {
		if j > 0 {
			for l := 0; l < nl; l++ {
				c := v.counts[l]
				H := c[d]
				if l == 0 {
					v.block(g, 0, v.h[0], H, c[j-1], x, d, j, c[j-1], c[j]-c[j-1], rows, true)
				} else {
					prev := v.counts[l-1]
					v.block(g, l, v.h[l], H, c[j-1], v.h[l-1], prev[d], prev[j], c[j-1], c[j]-c[j-1], rows, true)
				}
			}
		}
		last := v.counts[nl-1]
		v.block(g, nl, v.o, 2, 0, v.h[nl-1], last[d], last[j], 2*j, 2, rows, false)
		for r := 0; r < rows; r++ {
			mu, a := v.o[2*r], v.o[2*r+1]
			aj := m.alpha(a)
			x[r*d+j] = z[r*d+j]*vec.Exp32(aj) + mu
			logdet[r] += float64(aj)
		}
	}
}
