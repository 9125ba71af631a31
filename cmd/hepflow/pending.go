package main

import (
	"context"
	"errors"
)

// These commands are being built; until they land they say so plainly.
func runCompare(context.Context, []string, *env) error { return errors.New("not available yet") }
func runC2ST(context.Context, []string, *env) error    { return errors.New("not available yet") }
func runAnomaly(context.Context, []string, *env) error { return errors.New("not available yet") }
