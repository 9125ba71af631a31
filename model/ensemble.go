package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"hepflow/flow"
	"hepflow/preprocess"
)

// NewEnsemble assembles an ensemble model of flows (members, same scaling and
// context) with their specs: specs[0] becomes info.Spec and specs[1:]
// info.Members. Its density is the mean of the members' densities and each
// sampled event comes from one member picked uniformly. One flow gives the
// same model as New.
func NewEnsemble(info Info, s *preprocess.Scaler, specs []flow.Spec, flows []*flow.Flow) (*Model, error) {
	if len(flows) == 0 || len(specs) != len(flows) {
		return nil, fmt.Errorf("model: %d flows with %d specs; want at least one flow and a spec for each", len(flows), len(specs))
	}
	info.Spec, info.Ensemble, info.Members = specs[0], 0, nil
	m, err := New(info, s, flows[0])
	if err != nil || len(flows) == 1 {
		return m, err
	}
	for k, f := range flows[1:] {
		if err := sameShape(flows[0], f); err != nil {
			return nil, fmt.Errorf("model: ensemble member %d: %w", k+1, err)
		}
	}
	m.Info.Ensemble = len(flows)
	m.Info.Members = append([]flow.Spec(nil), specs[1:]...)
	m.Members = append([]*flow.Flow(nil), flows...)
	return m, nil
}

// sameShape checks that member f takes the events and context of member 0.
func sameShape(f0, f *flow.Flow) error {
	if f.Dim() != f0.Dim() || f.ContextDim() != f0.ContextDim() {
		return fmt.Errorf("a flow of %d features and %d context inputs, member 0 has %d and %d", f.Dim(), f.ContextDim(), f0.Dim(), f0.ContextDim())
	}
	return nil
}

// MemberTensorPrefix is the prefix of ensemble member k's tensor names in
// a model file: "" for member 0 (its tensors are named as a single flow's),
// "member<k>/" for k >= 1, e.g. member1/block0.0.w.
func MemberTensorPrefix(k int) string {
	if k == 0 {
		return ""
	}
	return "member" + strconv.Itoa(k) + "/"
}

// tensorMember returns the ensemble member a tensor name belongs to and
// the name without its member prefix; ok is false for a name that looks
// like a member's but is malformed (member0/, member01/, member/).
func tensorMember(name string) (k int, rest string, ok bool) {
	after, found := strings.CutPrefix(name, "member")
	if !found {
		return 0, name, true
	}
	num, rest, found := strings.Cut(after, "/")
	if !found {
		return 0, name, true // e.g. a tensor called "membership": member 0's
	}
	k, err := strconv.Atoi(num)
	if err != nil || k < 1 || strconv.Itoa(k) != num {
		return 0, name, false
	}
	return k, rest, true
}

// logMeanExp writes log((1/K) sum_k p_k(y)) of rows of scaled events y
// (context c) into dst; lpk holds K x rows values of scratch.
func logMeanExp(dst []float64, fs []*flow.Flow, lpk []float64, y, c []float32, rows int) {
	nk := len(fs)
	for j, f := range fs {
		f.LogProb(lpk[j*rows:(j+1)*rows], y, c, rows)
	}
	logK := math.Log(float64(nk))
	for i := range rows {
		mx := math.Inf(-1)
		for j := range nk {
			mx = max(mx, lpk[j*rows+i]) // max propagates NaN
		}
		if math.IsInf(mx, 0) || math.IsNaN(mx) {
			dst[i] = mx
			continue
		}
		var s float64
		for j := range nk {
			s += math.Exp(lpk[j*rows+i] - mx)
		}
		dst[i] = mx + math.Log(s) - logK
	}
}

// ensembleSampler draws chunks of events from an ensemble: each event's
// member uniformly from the caller's generator, then every member its
// events in member order.
type ensembleSampler struct {
	fs     []*flow.Flow
	d, k   int
	choice []int
	idx    []int
	yb     []float32
	cb     []float32
}

func newEnsembleSampler(fs []*flow.Flow, chunk, d, k int) *ensembleSampler {
	return &ensembleSampler{fs: fs, d: d, k: k, choice: make([]int, chunk), idx: make([]int, 0, chunk),
		yb: make([]float32, chunk*d), cb: make([]float32, chunk*k)}
}

// sample draws rows scaled events into y with scaled context c.
func (s *ensembleSampler) sample(y, c []float32, rows int, rng *rand.Rand) {
	d, k := s.d, s.k
	for r := range rows {
		s.choice[r] = rng.IntN(len(s.fs))
	}
	for j, f := range s.fs {
		s.idx = s.idx[:0]
		for r := range rows {
			if s.choice[r] == j {
				s.idx = append(s.idx, r)
			}
		}
		n := len(s.idx)
		if n == 0 {
			continue
		}
		for i, r := range s.idx {
			copy(s.cb[i*k:(i+1)*k], c[r*k:(r+1)*k])
		}
		f.Sample(s.yb[:n*d], s.cb[:n*k], n, rng)
		for i, r := range s.idx {
			copy(y[r*d:(r+1)*d], s.yb[i*d:(i+1)*d])
		}
	}
}
