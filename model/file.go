package model

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"hepflow/flow"
	"hepflow/internal/atomicfile"
	"hepflow/nn"
	"hepflow/nn/blas"
	"hepflow/preprocess"
)

// FormatName and FormatVersion identify hepflow model files.
const (
	FormatName    = "hepflow-model"
	FormatVersion = 1
	// MetadataKey is the safetensors __metadata__ key holding the Info JSON.
	MetadataKey = "hepflow"
)

// Info is the versioned description stored in the model file: everything
// needed to rebuild the model besides the weights, and how it was trained.
type Info struct {
	Format    string          `json:"format"`
	Version   int             `json:"version"`
	Hepflow   string          `json:"hepflow_version"`
	GoVersion string          `json:"go_version"`
	Created   string          `json:"created,omitempty"`
	Columns   []string        `json:"columns"`
	Spec      flow.Spec       `json:"flow"`
	Scaler    json.RawMessage `json:"preprocessing"`
	Data      DataInfo        `json:"data"`
	Training  json.RawMessage `json:"training,omitempty"`
	Seed      uint64          `json:"seed"`
	// Constants are columns that had one value in training: not modelled,
	// written back by sampling (see Model.OutputColumns).
	Constants []Constant `json:"constants,omitempty"`
	// Context are the conditioning columns of a conditional model, p(x | c),
	// in the order the flow takes them (see ContextColumn); absent for an
	// unconditional one. Spec.Context is their number.
	Context []ContextColumn `json:"context,omitempty"`
	// Ensemble is the number K >= 2 of flows of an ensemble model (absent,
	// 0, for a single flow): its density is the mean of theirs. Spec is
	// member 0's, Members those of members 1..K-1 (each with its structure;
	// hepflow's ensembles differ only by Seed), and member k's tensors are
	// named with MemberTensorPrefix(k).
	Ensemble int         `json:"ensemble,omitempty"`
	Members  []flow.Spec `json:"members,omitempty"`
}

// knownFields are the JSON names of Info's fields: a file with any other
// top-level field was written by a hepflow that knows more (say, a new
// kind of model) and is refused rather than read as something it is not.
var knownFields = func() map[string]bool {
	t := reflect.TypeFor[Info]()
	out := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = true
	}
	return out
}()

// DataInfo records what the model was trained on.
type DataInfo struct {
	Files  []string `json:"files"`
	Format string   `json:"format,omitempty"`
	Where  string   `json:"where,omitempty"`
	Drop   []string `json:"drop,omitempty"`
	Weight string   `json:"weight,omitempty"`
	Events int      `json:"events"`
}

// New assembles a model, filling in the format fields of info.
func New(info Info, s *preprocess.Scaler, f *flow.Flow) (*Model, error) {
	if s.Dim() != f.Dim() || len(info.Columns) != f.Dim() {
		return nil, fmt.Errorf("model: scaler has %d features, flow %d, columns %d", s.Dim(), f.Dim(), len(info.Columns))
	}
	if err := validConstants(info.Constants, info.Columns); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if err := validContext(info.Context, f.ContextDim()); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if info.Ensemble > 1 || len(info.Members) > 0 {
		return nil, fmt.Errorf("model: info describes an ensemble of %d flows (%d member specs); assemble it with NewEnsemble", info.Ensemble, len(info.Members))
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("model: preprocessing: %w", err)
	}
	info.Format, info.Version = FormatName, FormatVersion
	info.Hepflow, info.GoVersion = Version, runtime.Version()
	info.Scaler = raw
	return &Model{Info: info, Scaler: s, Flow: f}, nil
}

// Save writes the model atomically to path.
//
// The file is one safetensors file: every trainable tensor as F32 (names as
// in flow.Flow.Params, e.g. block0.0.w, In x Out), and under __metadata__
// key "hepflow" the Info JSON. Its "flow" object is the flow.Spec with
// "structure" filled in: one entry per transform in ToLatent order with the
// constants Build would otherwise derive from the seed, each a plain list of
// integers (see flow.Layer):
//
//	maf:         "params" (tensor prefix), "input_degrees", "hidden_degrees" (one list per hidden layer)
//	permutation: "perm", z[:, j] = x[:, perm[j]]
//	coupling:    "params", "mask" (1 = transformed coordinate, 0 = passive)
//
// From Python, with meta the parsed "hepflow" JSON (the README's numpy-only
// loader, or safetensors' safe_open(path, "numpy").metadata()["hepflow"]):
//
//	perm = np.array(meta["flow"]["structure"][1]["perm"])   # maf: between block0 and block1
//	x_permuted = x[:, perm]
//
// Load uses the stored structure; files written before it existed (no
// "structure") are rebuilt from the seed as before. The addition is
// optional, so the format version stays 1.
//
// An ensemble of K flows (see NewEnsemble) adds "ensemble": K and
// "members": the specs (with structure) of members 1..K-1, member 0's being
// "flow"; member 0's tensors are named as above and member k's carry the
// prefix "member<k>/" (member1/block0.0.w). A single flow is written
// without either field, exactly as before ensembles existed. Still format
// version 1: hepflow versions before ensembles refuse such a file (it has
// more tensors than "flow" needs); this one refuses any top-level field it
// does not know and any member tensor a file does not declare.
func Save(path string, m *Model) error {
	info := m.Info
	fs := m.Flows()
	if len(fs) > 1 && fs[0] != m.Flow {
		return fmt.Errorf("save model %s: ensemble member 0 is not the model's Flow", path)
	}
	if len(info.Members) != len(fs)-1 {
		return fmt.Errorf("save model %s: %d flows but %d member specs", path, len(fs), len(info.Members))
	}
	info.Members = append([]flow.Spec(nil), info.Members...)
	var params []*nn.Param
	for k, f := range fs {
		spec := &info.Spec
		if k > 0 {
			spec = &info.Members[k-1]
		}
		st, err := f.Structure()
		if err != nil {
			return fmt.Errorf("save model %s: %w", path, err)
		}
		spec.Structure = st
		if err := spec.Validate(); err != nil {
			// Caught here, not at load time: the flow is not the one its spec builds.
			return fmt.Errorf("save model %s: the flow%s does not match its spec: %w", path, memberName(k, len(fs)), err)
		}
		for _, p := range f.Params() {
			if k > 0 {
				q := *p
				q.Name = MemberTensorPrefix(k) + p.Name
				p = &q
			}
			params = append(params, p)
		}
	}
	if len(fs) > 1 {
		info.Ensemble = len(fs)
	} else {
		info.Ensemble, info.Members = 0, nil
	}
	meta, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		return nn.WriteSafetensors(w, params, map[string]string{MetadataKey: string(meta), "format": "pt"})
	})
}

// leastParams is a lower bound on the number of parameters a flow of the
// spec has, counting only what every kind has (per block, a network from
// at least one input and the context through the hidden layers to at least
// one output; ActNorm and LU layers), and false if it exceeds have. It is
// -1 for sizes that are not positive, which Build refuses with a reason.
func leastParams(s flow.Spec, have int) (int, bool) {
	if s.Blocks < 1 || len(s.Hidden) == 0 || s.Dim < 1 || s.Context < 0 {
		return -1, true
	}
	for _, h := range s.Hidden {
		if h < 1 {
			return -1, true
		}
	}
	// per is one block's least parameters; add adds a*b to it, within have.
	per := 0
	add := func(a, b int) bool {
		if a > 0 && b > (have-per)/a {
			return false
		}
		per += a * b
		return true
	}
	ok := add(1+s.Context, s.Hidden[0]) && add(s.Hidden[len(s.Hidden)-1], 1)
	for i := 1; ok && i < len(s.Hidden); i++ {
		ok = add(s.Hidden[i-1], s.Hidden[i])
	}
	if ok && s.ActNorm {
		ok = add(2, s.Dim)
	}
	if ok && s.LU {
		ok = add(s.Dim, s.Dim)
	}
	if !ok || s.Blocks > have/per {
		return 0, false
	}
	return s.Blocks * per, true
}

// memberName is " of ensemble member k" for an ensemble, "" otherwise.
func memberName(k, of int) string {
	if of < 2 {
		return ""
	}
	return fmt.Sprintf(" of ensemble member %d", k)
}

// Load reads a model file and rebuilds the flow with g as its GEMM backend.
// The sizes the file claims are checked against its size before they are
// allocated; a path that is not a regular file (a pipe, a device) is read
// incrementally, never beyond what the header claims.
func Load(path string, g blas.Gemm) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	ts, meta, err := nn.ReadSafetensorsFrom(bufio.NewReaderSize(f, 1<<20), size)
	if err == nil {
		var m *Model
		if m, err = decode(ts, meta, g); err == nil {
			return m, nil
		}
	}
	return nil, fmt.Errorf("load model %s: %w", path, err)
}

// Decode parses the bytes of a model file.
func Decode(b []byte, g blas.Gemm) (*Model, error) {
	ts, meta, err := nn.ReadSafetensors(b)
	if err != nil {
		return nil, err
	}
	return decode(ts, meta, g)
}

// decode rebuilds a model from a safetensors file's tensors and metadata.
func decode(ts map[string]nn.Tensor, meta map[string]string, g blas.Gemm) (*Model, error) {
	raw, ok := meta[MetadataKey]
	if !ok {
		return nil, errors.New("a safetensors file, but not a hepflow model (no hepflow metadata)")
	}
	var info Info
	if err := json.Unmarshal([]byte(raw), &info); err != nil {
		return nil, fmt.Errorf("hepflow metadata is not valid JSON: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &fields); err != nil {
		return nil, fmt.Errorf("hepflow metadata is not a JSON object: %w", err)
	}
	var unknown []string
	for name := range fields {
		if !knownFields[name] {
			unknown = append(unknown, strconv.Quote(name))
		}
	}
	if info.Format != FormatName {
		return nil, fmt.Errorf("metadata format %q, want %q", info.Format, FormatName)
	}
	if info.Version < 1 || info.Version > FormatVersion {
		return nil, fmt.Errorf("model format version %d; this hepflow %s reads versions up to %d", info.Version, Version, FormatVersion)
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("hepflow metadata has field %s, unknown to hepflow %s (written by a newer version?)", strings.Join(unknown, ", "), Version)
	}
	nf := 1
	switch {
	case info.Ensemble < 0 || info.Ensemble == 1 && len(info.Members) > 0:
		return nil, fmt.Errorf("ensemble of %d flows with %d member specs", info.Ensemble, len(info.Members))
	case info.Ensemble > 1:
		if len(info.Members) != info.Ensemble-1 {
			return nil, fmt.Errorf("ensemble of %d flows with %d member specs; want %d (member 0's is \"flow\")", info.Ensemble, len(info.Members), info.Ensemble-1)
		}
		nf = info.Ensemble
	case len(info.Members) > 0:
		return nil, fmt.Errorf("%d ensemble member specs without \"ensemble\"", len(info.Members))
	}
	s := new(preprocess.Scaler)
	if err := json.Unmarshal(info.Scaler, s); err != nil {
		return nil, fmt.Errorf("preprocessing parameters: %w", err)
	}
	// Every tensor belongs to one member: a member prefix the file does not
	// declare is refused, not ignored.
	mts := make([]map[string]nn.Tensor, nf)
	for k := range mts {
		mts[k] = map[string]nn.Tensor{}
	}
	for name, t := range ts {
		k, rest, ok := tensorMember(name)
		switch {
		case !ok:
			return nil, fmt.Errorf("tensor %q: a malformed ensemble member prefix", name)
		case k >= nf && nf == 1:
			return nil, fmt.Errorf("tensor %q belongs to ensemble member %d, but the file is not an ensemble (no \"ensemble\" in its metadata)", name, k)
		case k >= nf:
			return nil, fmt.Errorf("tensor %q belongs to ensemble member %d, but the file has %d members", name, k, nf)
		}
		mts[k][rest] = t
	}
	var flows []*flow.Flow
	for k := range nf {
		spec := info.Spec
		if k > 0 {
			spec = info.Members[k-1]
		}
		// The architecture's sizes are claims too: before building (and
		// allocating) it, its features and context must be the columns the
		// file lists, and its least number of parameters must be in the file.
		if spec.Dim != len(info.Columns) || spec.Context != len(info.Context) {
			return nil, fmt.Errorf("architecture%s: a flow of %d features and %d context inputs, but the model has %d columns and %d context columns",
				memberName(k, nf), spec.Dim, spec.Context, len(info.Columns), len(info.Context))
		}
		have := 0
		for _, t := range mts[k] {
			have += len(t.Data)
		}
		if _, ok := leastParams(spec, have); !ok {
			return nil, fmt.Errorf("architecture%s: %s of %d blocks, %d hidden layers: needs more than the %d parameters in the file",
				memberName(k, nf), spec.Kind, spec.Blocks, len(spec.Hidden), have)
		}
		f, err := flow.Build(spec, g)
		if err != nil {
			return nil, fmt.Errorf("architecture%s: %w", memberName(k, nf), err)
		}
		if err := nn.LoadParams(f.Params(), mts[k]); err != nil {
			if nf > 1 {
				return nil, fmt.Errorf("ensemble member %d: %w", k, err)
			}
			return nil, err
		}
		if k > 0 {
			if err := sameShape(flows[0], f); err != nil {
				return nil, fmt.Errorf("ensemble member %d: %w", k, err)
			}
		}
		flows = append(flows, f)
	}
	f := flows[0]
	if s.Dim() != f.Dim() || len(info.Columns) != f.Dim() {
		return nil, fmt.Errorf("inconsistent model: %d columns, preprocessing for %d, flow of %d", len(info.Columns), s.Dim(), f.Dim())
	}
	if err := validConstants(info.Constants, info.Columns); err != nil {
		return nil, err
	}
	if err := validContext(info.Context, f.ContextDim()); err != nil {
		return nil, err
	}
	m := &Model{Info: info, Scaler: s, Flow: f}
	if nf > 1 {
		m.Members = flows
	}
	return m, nil
}
