package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

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
}

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
func Save(path string, m *Model) error {
	info := m.Info
	st, err := m.Flow.Structure()
	if err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}
	info.Spec.Structure = st
	if err := info.Spec.Validate(); err != nil {
		// Caught here, not at load time: the flow is not the one its spec builds.
		return fmt.Errorf("save model %s: the flow does not match its spec: %w", path, err)
	}
	meta, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		return nn.WriteSafetensors(w, m.Flow.Params(), map[string]string{MetadataKey: string(meta), "format": "pt"})
	})
}

// Load reads a model file and rebuilds the flow with g as its GEMM backend.
func Load(path string, g blas.Gemm) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	m, err := Decode(b, g)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return m, nil
}

// Decode parses the bytes of a model file.
func Decode(b []byte, g blas.Gemm) (*Model, error) {
	ts, meta, err := nn.ReadSafetensors(b)
	if err != nil {
		return nil, err
	}
	raw, ok := meta[MetadataKey]
	if !ok {
		return nil, errors.New("a safetensors file, but not a hepflow model (no hepflow metadata)")
	}
	var info Info
	if err := json.Unmarshal([]byte(raw), &info); err != nil {
		return nil, fmt.Errorf("hepflow metadata is not valid JSON: %w", err)
	}
	if info.Format != FormatName {
		return nil, fmt.Errorf("metadata format %q, want %q", info.Format, FormatName)
	}
	if info.Version < 1 || info.Version > FormatVersion {
		return nil, fmt.Errorf("model format version %d; this hepflow %s reads versions up to %d", info.Version, Version, FormatVersion)
	}
	s := new(preprocess.Scaler)
	if err := json.Unmarshal(info.Scaler, s); err != nil {
		return nil, fmt.Errorf("preprocessing parameters: %w", err)
	}
	f, err := flow.Build(info.Spec, g)
	if err != nil {
		return nil, fmt.Errorf("architecture: %w", err)
	}
	if err := nn.LoadParams(f.Params(), ts); err != nil {
		return nil, err
	}
	if s.Dim() != f.Dim() || len(info.Columns) != f.Dim() {
		return nil, fmt.Errorf("inconsistent model: %d columns, preprocessing for %d, flow of %d", len(info.Columns), s.Dim(), f.Dim())
	}
	if err := validConstants(info.Constants, info.Columns); err != nil {
		return nil, err
	}
	if err := validContext(info.Context, f.ContextDim()); err != nil {
		return nil, err
	}
	return &Model{Info: info, Scaler: s, Flow: f}, nil
}
