package flow

import (
	"slices"

	"hepflow/nn"
	"hepflow/nn/blas"
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
//
// Each step adds only a handful of units (128 hidden units over 27 degrees),
// so activations are stored transposed, one row of rows values per unit:
// a step's product is then a few rows of C by a wide row of events, which
// fills the vector registers, where the row-major layout made a tall matrix
// a few columns wide. Row 0 of every activation matrix holds ones and row 0
// of every weight matrix the biases, so a product includes its bias.
type madeInverter struct {
	d      int
	act    nn.Activation
	w      [][]float32 // per layer, (1+In) x Out: biases, then the sorted weights
	counts [][]int     // counts[l][k]: units of hidden layer l with degree <= k

	rows   int
	xT, zT []float32   // (1+d) x rows (ones, then x_1..x_d) and d x rows
	hT     [][]float32 // per hidden layer, (1+H_l) x rows
	oT     []float32   // 2 x rows: mu and a of the current dimension
	al, sc []float32   // rows: bounded log-scale and its exp
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
			return (j%2)*d + j/2 // interleave (mu_k, a_k)
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
	v.xT, v.zT = make([]float32, (1+d)*ld), make([]float32, d*ld)
	v.hT = make([][]float32, len(v.counts))
	for l, c := range v.counts {
		v.hT[l] = make([]float32, (1+c[d])*ld)
	}
	v.oT = make([]float32, 2*ld)
	v.al, v.sc = make([]float32, rows), make([]float32, rows)
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

// invert writes x = T^-1(z) for a MAF block with bounded log-scales m and
// adds sum alpha to logdet.
func (v *madeInverter) invert(g blas.Gemm, m affine, x, z []float32, rows int, logdet []float64) {
	v.ensure(rows)
	d, nl, ld := v.d, len(v.counts), stride(rows)
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
	blas.Transpose(zT, ld, z, d, rows, d)
	oT, al, sc := v.oT, v.al[:rows], v.sc[:rows]
	for j := 0; j < d; j++ {
		if j > 0 {
			for l := 0; l < nl; l++ {
				c := v.counts[l]
				src, k := xT, 1+j
				if l > 0 {
					src, k = v.hT[l-1], 1+v.counts[l-1][j]
				}
				v.units(g, l, v.hT[l], src, k, c[j-1], c[j]-c[j-1], rows, ld)
			}
		}
		// Outputs 2j and 2j+1: mu and a of dimension j+1.
		k := 1 + v.counts[nl-1][j]
		g.Sgemm(true, false, 2, rows, k, 1, v.w[nl][2*j:], 2*d, v.hT[nl-1], ld, 0, oT, ld)
		m.alphas(al, sc, oT[ld:ld+rows], 1)
		mu, xj, zj := oT[:rows], xT[(1+j)*ld:(1+j)*ld+rows], zT[j*ld:j*ld+rows]
		for r := range xj {
			xj[r] = zj[r]*sc[r] + mu[r]
			logdet[r] += float64(al[r])
		}
	}
	blas.Transpose(x, d, xT[ld:], ld, d, rows)
}
