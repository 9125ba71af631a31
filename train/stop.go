package train

import (
	"errors"
	"fmt"
)

// StopReason says why a run ended before its last epoch without early stopping.
type StopReason string

const (
	// Interrupted: the context was cancelled (Ctrl-C, SIGTERM, a deadline).
	Interrupted StopReason = "interrupted"
	// Diverged: too many consecutive steps had a non-finite loss or gradient.
	Diverged StopReason = "diverged"
	// CheckpointFailed: Config.Checkpoint returned an error (a full disk).
	CheckpointFailed StopReason = "checkpoint failed"
)

// StoppedError reports a run that stopped before it finished. The flow
// still holds the best weights seen so far (or the last ones without
// validation) and Summary describes them, so callers can save that model.
type StoppedError struct {
	Reason StopReason
	Epoch  int   // epoch during which it stopped
	Step   int   // optimizer steps taken (successful ones)
	Err    error // the cause: ctx.Err() or a description of the bad steps
	// Kept reports whether the flow holds weights worth saving: the best
	// epoch (or the stop itself) had a validation loss below the initial
	// weights', or, without validation, at least one step succeeded and the
	// weights are finite.
	Kept bool
}

// Error implements error.
func (e *StoppedError) Error() string {
	switch e.Reason {
	case Interrupted:
		return fmt.Sprintf("training interrupted in epoch %d after %d steps: %v", e.Epoch, e.Step, e.Err)
	case CheckpointFailed:
		return fmt.Sprintf("training stopped after epoch %d: writing the checkpoint failed: %v", e.Epoch, e.Err)
	default:
		return fmt.Sprintf("training diverged in epoch %d: %v", e.Epoch, e.Err)
	}
}

// Unwrap returns the cause, so errors.Is(err, context.Canceled) works.
func (e *StoppedError) Unwrap() error { return e.Err }

// Stopped returns the *StoppedError in err's chain, or nil.
func Stopped(err error) *StoppedError {
	var s *StoppedError
	if errors.As(err, &s) {
		return s
	}
	return nil
}
