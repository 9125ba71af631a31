package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"hepflow/train"
)

// checkpointFlags are train's --checkpoint and --resume.
type checkpointFlags struct {
	checkpoint string
	resume     string
	// resumeOnly: --resume was the only flag, so the run's recorded
	// arguments are used.
	resumeOnly bool
	// defaultPath is OUT.ckpt.
	defaultPath string
	// extra are the arguments given with --resume alone.
	extra []string
	// ownOutput: the model path is the resumed run's own (from its
	// recorded arguments), which the interrupted run may have written.
	ownOutput bool
}

// onlyFlags reports whether every flag set on fs is one of names.
func onlyFlags(fs *flag.FlagSet, names ...string) bool {
	only := true
	fs.Visit(func(f *flag.Flag) { only = only && slices.Contains(names, f.Name) })
	return only
}

// noCheckpoint is the --checkpoint value that turns checkpoints off.
const noCheckpoint = "none"

func (c *checkpointFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.checkpoint, "checkpoint", "", "folder for the checkpoints written after every epoch (weights, optimizer and random state), to --resume a killed run; default OUT.ckpt next to --out, removed when the run finishes; 'none' turns checkpoints off")
	fs.StringVar(&c.resume, "resume", "", "continue the run whose checkpoint folder this is, to the same model the uninterrupted run would have given; alone it reuses the run's recorded flags, with other flags they must match the run's")
}

// storedArgs are the arguments recorded by the run in the --resume folder.
func (c *checkpointFlags) storedArgs() ([]string, error) {
	args, err := train.RunArgs(c.resume)
	if err != nil {
		return nil, usagef("--resume: %v", err)
	}
	if len(args) == 0 {
		return nil, usagef("--resume %s: the run recorded no arguments; give the run's flags with --resume", c.resume)
	}
	return args, nil
}

// path is the checkpoint folder ("" for none).
func (c *checkpointFlags) path() string {
	switch {
	case c.resume != "":
		return c.resume
	case c.checkpoint == noCheckpoint:
		return ""
	case c.checkpoint != "":
		return c.checkpoint
	}
	return c.defaultPath
}

// dir checks the checkpoint folder and returns it (nil for none). A fresh
// run refuses a folder holding another run's checkpoints unless force,
// and never touches a folder that holds anything else.
func (c *checkpointFlags) dir(out string, force bool, args []string) (*train.CheckpointDir, error) {
	c.defaultPath = out + ".ckpt"
	p := c.path()
	if p == "" {
		return nil, nil
	}
	if c.resume != "" {
		if c.checkpoint != "" && c.checkpoint != c.resume {
			return nil, usagef("--checkpoint %s with --resume %s: a resumed run keeps its checkpoints where they are", c.checkpoint, c.resume)
		}
		if !train.HasCheckpoint(p) {
			return nil, usagef("--resume %s: not a checkpoint folder (no run.json)", p)
		}
		return &train.CheckpointDir{Path: p, Resume: true}, nil
	}
	flagName := "checkpoint"
	if c.checkpoint == "" {
		flagName = "checkpoint (default OUT.ckpt)"
	}
	st, err := os.Lstat(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("--%s %s: %w", flagName, p, err)
	case !st.IsDir():
		return nil, usagef("--%s %s exists and is not a folder; choose another --checkpoint, or 'none'", flagName, p)
	case train.HasCheckpoint(p):
		if !force {
			return nil, usagef("--%s %s holds the checkpoints of an earlier run: continue it with 'hepflow train --resume %s', or pass --force to start over", flagName, p, p)
		}
	default:
		if ents, _ := os.ReadDir(p); len(ents) > 0 {
			return nil, usagef("--%s %s is a folder with other files in it; choose an empty or new folder", flagName, p)
		}
	}
	// The checkpoints are replaced atomically: probe the folder's parent now.
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("--%s %s: %w", flagName, p, err)
	}
	return &train.CheckpointDir{Path: p, Args: args}, nil
}

// failed says how to continue a run that stopped with err; after any
// other failure (bad data, a full disk when saving) there is no run to
// continue, and the default folder is removed.
func (c *checkpointFlags) failed(e *env, ck *train.CheckpointDir, err error) {
	if ck == nil || !train.HasCheckpoint(ck.Path) {
		return
	}
	if train.Stopped(err) == nil {
		c.finished(e, ck)
		return
	}
	fmt.Fprintf(e.stderr, "hepflow: checkpoints are in %s; continue the run with: hepflow train --resume %s\n", ck.Path, quoteArg(ck.Path))
}

// finished removes the default checkpoint folder (OUT.ckpt, also when
// resumed from) once the model is saved; one the user named with
// --checkpoint is kept.
func (c *checkpointFlags) finished(e *env, ck *train.CheckpointDir) {
	if ck == nil || c.checkpoint != "" || filepath.Clean(ck.Path) != filepath.Clean(c.defaultPath) {
		return
	}
	if err := train.RemoveCheckpoint(ck.Path); err != nil {
		fmt.Fprintf(e.stderr, "hepflow: warning: the model is saved, but its checkpoint folder %s could not be removed: %v\n", ck.Path, err)
	}
}

// quoteArg quotes a path for a shell command line when it needs it.
func quoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
