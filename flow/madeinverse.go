package flow

import (
	"slices"

	"hepflow/nn"
	"hepflow/nn/blas"
)

// madeInverter inverts an autoregressive block in one masked pass instead of
// D full passes. A MADE hidden unit of degree k depends only on the context
// and inputs 1..k, so once x_1..x_k are known its value is final. Step j
// (fixing x_{j+1}) therefore computes only the units of degree exactly j in
// each hidden layer, from the already final units of degree <= j below, and
// then the P outputs of dimension j+1, which the map inverts (DataColumn).
// Summed over j that is one masked forward pass, whatever the map.
//
// To make "units of degree <= k" a prefix, hidden units are sorted by degree
// (a relabelling that leaves the function unchanged), the context inputs
// (degree 0) come first, and the output columns are interleaved by
// dimension: (theta_1 of dim 1, ..., theta_P of dim 1, theta_1 of dim 2, ...).
//
// Each step adds only a handful of units (128 hidden units over 27 degrees),
// so activations are stored transposed, one row of rows values per unit:
// a step's product is then a few rows of C by a wide row of events, which
// fills the vector registers, where the row-major layout made a tall matrix
// a few columns wide. Row 0 of every activation matrix holds ones and row 0
// of every weight matrix the biases, so a product includes its bias. The
// P x rows outputs of a step are the transposed parameter layout
// DataColumn takes.
type madeInverter struct {
	d, ctx, p int
	act       nn.Activation
	w         [][]float32 // per layer, (1+In) x Out: biases, then the sorted weights
	counts    [][]int     // counts[l][k]: units of hidden layer l with degree <= k

	rows   int
	xT, zT []float32   // (1+ctx+d) x rows (ones, context, x_1..x_d) and d x rows
	hT     [][]float32 // per hidden layer, (1+H_l) x rows
	oT     []float32   // p x rows: the parameters of the current dimension
}

// load copies the MADE's current weights into the sorted layout.
// The network has ctx context inputs and p outputs per dimension.
func (v *madeInverter) load(made *nn.MLP, d, ctx, p int) {
	hidden := make([]int, len(made.Layers)-1)
	for i := range hidden {
		hidden[i] = made.Layers[i].Out
	}
	_, hid, _ := MADEDegrees(d, ctx, hidden, p)
	orders := make([][]int, len(hid))
	if v.counts == nil {
		v.counts = make([][]int, len(hid))
		v.w = make([][]float32, len(made.Layers))
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
	if v.d != d || v.ctx != ctx || v.p != p {
		v.hT = nil // buffers sized for another layout
	}
	v.d, v.ctx, v.p, v.act = d, ctx, p, made.Act
	for l, layer := range made.Layers {
		in, out := layer.In, layer.Out
		if len(v.w[l]) != (1+in)*out {
			v.w[l] = make([]float32, (1+in)*out)
		}
		rowOf := func(i int) int { return i } // input index in the original layer
		if l > 0 {
			rowOf = func(i int) int { return orders[l-1][i] }
		}
		colOf := func(j int) int { // output index in the original layer
			if l < len(orders) {
				return orders[l][j]
			}
			return (j%p)*d + j/p // interleave by dimension
		}
		w := v.w[l]
		for j := 0; j < out; j++ {
			w[j] = layer.B.Value[colOf(j)]
		}
		for i := 0; i < in; i++ {
			src := layer.W.Value[rowOf(i)*out:]
			dst := w[(1+i)*out : (2+i)*out]
			for j := range dst {
				dst[j] = src[colOf(j)]
			}
		}
	}
}

func (v *madeInverter) ensure(rows int) {
	if rows <= v.rows && v.hT != nil {
		return
	}
	d, ld := v.d, stride(rows)
	v.xT, v.zT = make([]float32, (1+v.ctx+d)*ld), make([]float32, d*ld)
	v.hT = make([][]float32, len(v.counts))
	for l, c := range v.counts {
		v.hT[l] = make([]float32, (1+c[d])*ld)
	}
	v.oT = make([]float32, v.p*ld)
	v.rows = rows
}

// stride is the row stride of the transposed buffers for rows events:
// padded by one cache line, since with a multiple of 4 KiB (1024 events)
// the rows of a product's operand all compete for the same L1 sets.
func stride(rows int) int { return rows + 16 }

// units writes hidden units [u0, u0+n) of layer l (columns of its weights)
// into rows 1+u0.. of dst from the first k rows (ones included) of src, both
// with row stride ld and rows values per row, and applies the activation.
func (v *madeInverter) units(g blas.Gemm, l int, dst, src []float32, k, u0, n, rows, ld int) {
	if n == 0 {
		return
	}
	c := dst[(1+u0)*ld : (u0+n)*ld+rows]
	g.Sgemm(true, false, n, rows, k, 1, v.w[l][u0:], v.counts[l][v.d], src, ld, 0, c, ld)
	for i := range n {
		v.act.Apply(c[i*ld:i*ld+rows], c[i*ld:i*ld+rows])
	}
}

// invert writes x = T^-1(z) for an autoregressive block of map m with
// context c (rows x ctx) and adds log|det dx/dz| to logdet.
func (v *madeInverter) invert(g blas.Gemm, m CoordMap, x, z, c []float32, rows int, logdet []float64) {
	v.ensure(rows)
	d, nc, p, nl, ld := v.d, v.ctx, v.p, len(v.counts), stride(rows)
	xT, zT := v.xT, v.zT
	ones := func(a []float32) {
		for i := range a[:rows] {
			a[i] = 1
		}
	}
	ones(xT)
	for _, h := range v.hT {
		ones(h)
	}
	if nc > 0 {
		blas.Transpose(xT[ld:], ld, c, nc, rows, nc)
	}
	blas.Transpose(zT, ld, z, d, rows, d)
	oT := v.oT
	for j := 0; j < d; j++ {
		if j > 0 || nc > 0 {
			// Units of degree j (0: those fed by the context alone).
			for l := 0; l < nl; l++ {
				c := v.counts[l]
				src, k := xT, 1+nc+j
				if l > 0 {
					src, k = v.hT[l-1], 1+v.counts[l-1][j]
				}
				lo := 0
				if j > 0 {
					lo = c[j-1]
				}
				v.units(g, l, v.hT[l], src, k, lo, c[j]-lo, rows, ld)
			}
		}
		// The p parameters of dimension j+1.
		k := 1 + v.counts[nl-1][j]
		g.Sgemm(true, false, p, rows, k, 1, v.w[nl][p*j:], p*d, v.hT[nl-1], ld, 0, oT, ld)
		m.DataColumn(xT[(1+nc+j)*ld:(1+nc+j)*ld+rows], zT[j*ld:j*ld+rows], oT, ld, rows, logdet)
	}
	blas.Transpose(x, d, xT[(1+nc)*ld:], ld, d, rows)
}
