package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"hepflow/data"
	"hepflow/flow"
	"hepflow/internal/atomicfile"
	"hepflow/preprocess"
)

// RunInfo identifies a training run: a checkpoint continues only the run
// that wrote it, so every setting that changes the result is here, and a
// digest of the events.
type RunInfo struct {
	Version     int                `json:"version"`
	Spec        flow.Spec          `json:"flow"`
	Epochs      int                `json:"epochs"`
	Batch       int                `json:"batch"`
	LR          float64            `json:"lr"`
	Schedule    string             `json:"schedule"`
	WeightDecay float64            `json:"weight_decay"`
	ClipNorm    float64            `json:"clip"`
	Patience    int                `json:"patience"`
	MaxBadSteps int                `json:"max_bad_steps"`
	Seed        uint64             `json:"seed"`
	ValFraction float64            `json:"val_fraction"`
	Preprocess  preprocess.Options `json:"scaling"`
	Context     []string           `json:"context"`
	Workers     int                `json:"threads"`
	Gemm        string             `json:"gemm"`
	Ensemble    int                `json:"ensemble"`
	Columns     []string           `json:"columns"`
	Events      int                `json:"events"`
	// Data is the SHA-256 of the events, their weights and column names.
	Data string `json:"data_sha256"`
}

// runFile is the checkpoint folder's description of its run.
type runFile struct {
	Run RunInfo `json:"run"`
	// Args are the command-line arguments that started the run, so that a
	// command can resume it from the folder alone.
	Args []string `json:"args,omitempty"`
}

// checkpointVersion is RunInfo.Version of this format.
const checkpointVersion = 1

// CheckpointDir keeps a run's checkpoints in a folder: run.json (the run's
// settings and arguments) and member-K.ckpt per flow (K = 0 for a single
// flow), each replaced atomically at the end of every epoch.
type CheckpointDir struct {
	// Path is the folder.
	Path string
	// Resume continues the run found in the folder (which must be the same
	// run: see RunInfo); otherwise the folder's checkpoints are replaced.
	Resume bool
	// Args are recorded in run.json for RunArgs.
	Args []string
}

const runFileName = "run.json"

// RunArgs returns the command-line arguments recorded in the checkpoint
// folder dir by the run that wrote it.
func RunArgs(dir string) ([]string, error) {
	rf, err := readRunFile(dir)
	if err != nil {
		return nil, err
	}
	return rf.Args, nil
}

// HasCheckpoint reports whether dir holds a checkpoint folder.
func HasCheckpoint(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, runFileName))
	return err == nil
}

func readRunFile(dir string) (*runFile, error) {
	b, err := os.ReadFile(filepath.Join(dir, runFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a checkpoint folder (no %s)", dir, runFileName)
	}
	if err != nil {
		return nil, err
	}
	var rf runFile
	if err := json.Unmarshal(b, &rf); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, runFileName), err)
	}
	if rf.Run.Version != checkpointVersion {
		return nil, fmt.Errorf("%s: checkpoint format version %d, this hepflow reads %d", dir, rf.Run.Version, checkpointVersion)
	}
	return &rf, nil
}

// start prepares the folder for run: a fresh run clears old checkpoints
// and records the run; a resumed one must be the recorded run, except for
// the thread count and the matrix backend, which only cost the bit-for-bit
// equality with the uninterrupted run (the returned warning says so).
func (d *CheckpointDir) start(run RunInfo) (warning string, err error) {
	run.Version = checkpointVersion
	if d.Resume {
		rf, err := readRunFile(d.Path)
		if err != nil {
			return "", err
		}
		if diff := runDiff(rf.Run, run, "threads", "gemm"); diff != "" {
			return "", fmt.Errorf("checkpoint %s is of another run: %s; resume with the same data and flags (or start over with --force)", d.Path, diff)
		}
		if diff := runDiff(rf.Run, run); diff != "" {
			warning = "resuming with other settings than the run's (" + diff + "): the model will be as good, but not bit for bit the uninterrupted run's"
		}
		return warning, d.removeTemps()
	}
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint folder: %w", err)
	}
	if err := d.removeTemps(); err != nil {
		return "", err
	}
	ents, err := os.ReadDir(d.Path)
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "member-") && strings.HasSuffix(e.Name(), ".ckpt") {
			if err := os.Remove(filepath.Join(d.Path, e.Name())); err != nil {
				return "", err
			}
		}
	}
	b, err := json.MarshalIndent(runFile{Run: run, Args: d.Args}, "", "  ")
	if err != nil {
		return "", err
	}
	return "", atomicfile.WriteBytes(filepath.Join(d.Path, runFileName), append(b, '\n'))
}

// removeTemps deletes the temporary files a killed write left: the folder
// is the run's own, so any of atomicfile's names in it is stale.
func (d *CheckpointDir) removeTemps() error {
	ents, err := os.ReadDir(d.Path)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if n := e.Name(); atomicfile.IsTemp(n) && !e.IsDir() {
			if err := os.Remove(filepath.Join(d.Path, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *CheckpointDir) memberFile(k int) string {
	return filepath.Join(d.Path, fmt.Sprintf("member-%d.ckpt", k))
}

// checkpointMagic starts every checkpoint file; a SHA-256 of the payload
// follows it, then the gob-encoded Checkpoint.
const checkpointMagic = "hepflow-checkpoint-1\n"

// load returns member k's checkpoint, or nil when there is none.
func (d *CheckpointDir) load(k int) (*Checkpoint, error) {
	p := d.memberFile(k)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := decodeCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return c, nil
}

// save replaces member k's checkpoint atomically.
func (d *CheckpointDir) save(k int, c *Checkpoint) error {
	return atomicfile.Write(d.memberFile(k), func(w io.Writer) error { return encodeCheckpoint(w, c) })
}

func encodeCheckpoint(w io.Writer, c *Checkpoint) error {
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(c); err != nil {
		return err
	}
	sum := sha256.Sum256(payload.Bytes())
	if _, err := io.WriteString(w, checkpointMagic); err != nil {
		return err
	}
	if _, err := w.Write(sum[:]); err != nil {
		return err
	}
	_, err := w.Write(payload.Bytes())
	return err
}

func decodeCheckpoint(b []byte) (*Checkpoint, error) {
	n := len(checkpointMagic)
	if len(b) < n+sha256.Size || string(b[:n]) != checkpointMagic {
		return nil, errors.New("not a hepflow checkpoint")
	}
	want, payload := b[n:n+sha256.Size], b[n+sha256.Size:]
	if got := sha256.Sum256(payload); !bytes.Equal(got[:], want) {
		return nil, errors.New("checkpoint is damaged (checksum mismatch)")
	}
	var c Checkpoint
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&c); err != nil {
		return nil, fmt.Errorf("decode checkpoint: %w", err)
	}
	return &c, nil
}

// runDiff lists the settings in which two runs differ ("" when none),
// leaving out the JSON keys ignore.
func runDiff(was, now RunInfo, ignore ...string) string {
	fields := func(r RunInfo) map[string]json.RawMessage {
		b, _ := json.Marshal(r)
		var m map[string]json.RawMessage
		_ = json.Unmarshal(b, &m)
		return m
	}
	a, b := fields(was), fields(now)
	var diffs []string
	for k, va := range a {
		if vb := b[k]; !bytes.Equal(va, vb) && !slices.Contains(ignore, k) {
			if k == "data_sha256" {
				diffs = append(diffs, "the events differ")
				continue
			}
			diffs = append(diffs, fmt.Sprintf("%s was %s, now %s", k, va, vb))
		}
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}

// dataDigest is the hex SHA-256 of the column names, the row-major values
// and the weights (nil: none).
func dataDigest(tab *data.Compact, w []float64) string {
	h := sha256.New()
	for _, c := range tab.Columns {
		fmt.Fprintf(h, "%d:%s,", len(c), c)
	}
	buf := make([]byte, 0, 1<<16)
	put := func(vs []float64) {
		for _, v := range vs {
			b := math.Float64bits(v)
			buf = append(buf, byte(b), byte(b>>8), byte(b>>16), byte(b>>24), byte(b>>32), byte(b>>40), byte(b>>48), byte(b>>56))
			if len(buf) == cap(buf) {
				h.Write(buf)
				buf = buf[:0]
			}
		}
		h.Write(buf)
		buf = buf[:0]
	}
	tab.Range(func(rows []float64) error { put(rows); return nil })
	if w != nil {
		h.Write([]byte("weights"))
		put(w)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// RemoveCheckpoint deletes a checkpoint folder's own files (run.json,
// member-K.ckpt, stale temporary files) and then the folder if that left
// it empty; anything else in it is kept.
func RemoveCheckpoint(dir string) error {
	d := &CheckpointDir{Path: dir}
	if err := d.removeTemps(); err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if n == runFileName || strings.HasPrefix(n, "member-") && strings.HasSuffix(n, ".ckpt") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) == 0 {
		return os.Remove(dir)
	}
	return nil
}
