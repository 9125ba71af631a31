package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"hepflow/model"
	"hepflow/serve"
)

const serveExamples = `  # serve two models on the loopback interface
  hepflow serve --model bkg=bkg.safetensors --model sig=sig.safetensors

  # generate 1000 events (seed 7: the events of 'hepflow sample -n 1000 --seed 7'), as CSV
  curl -s -H 'Accept: text/csv' -d '{"n": 1000, "seed": 7}' localhost:8080/v1/models/bkg/sample

  # a conditional model: the context fixed, or one value per event
  curl -s -d '{"n": 3, "context": {"label": [0, 1, 1]}}' localhost:8080/v1/models/cond/sample

  # log densities of events in a CSV file (header row; the model's columns), as JSON
  curl -s -H 'Content-Type: text/csv' --data-binary @events.csv 'localhost:8080/v1/models/bkg/logprob?seed=1'

  # metadata, health and Prometheus metrics
  curl -s localhost:8080/v1/models; curl -s localhost:8080/healthz; curl -s localhost:8080/metrics
`

func runServe(ctx context.Context, args []string, e *env) error {
	var c common
	var models listFlag
	var addr string
	var workers, queue int
	var maxEvents int64
	var maxBytes int64
	var timeout, grace time.Duration
	def := serve.Defaults()
	fs := newFlags("serve", "serve --model [NAME=]FILE [--model ...] [--addr HOST:PORT] [flags]", serveExamples, e)
	c.register(fs, false)
	fs.Var(&models, "model", "a model to serve, as NAME=FILE or FILE (named after the file without .safetensors); repeatable")
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (the default is reachable from this machine only; 0.0.0.0:8080 opens it to the network, without authentication)")
	fs.IntVar(&workers, "workers", def.Workers, "requests computing at once (each on one thread)")
	fs.IntVar(&queue, "queue", def.Queue, "requests that may wait for a worker; beyond that the answer is 503 with Retry-After")
	fs.Int64Var(&maxEvents, "max-events", def.MaxEvents, "most events one sample or logprob request may ask for")
	fs.Int64Var(&maxBytes, "max-request-bytes", def.MaxRequestBytes, "largest request body, bytes")
	fs.DurationVar(&timeout, "timeout", def.Timeout, "longest time one request may take")
	fs.DurationVar(&grace, "grace", 30*time.Second, "on SIGTERM or Ctrl-C, time the requests in progress get to finish")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	switch {
	case len(models) == 0:
		return usagef("--model is required (NAME=FILE or FILE)")
	case workers < 1:
		return usagef("--workers %d: want at least 1", workers)
	case queue < 0:
		return usagef("--queue %d: want >= 0", queue)
	case maxEvents < 1:
		return usagef("--max-events %d: want at least 1", maxEvents)
	case maxBytes < 1:
		return usagef("--max-request-bytes %d: want at least 1", maxBytes)
	case timeout <= 0:
		return usagef("--timeout %v: want a positive duration", timeout)
	case grace < 0:
		return usagef("--grace %v: want >= 0", grace)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef("--addr %q: want HOST:PORT, e.g. 127.0.0.1:8080", addr)
	}
	loaded := map[string]*model.Model{}
	for _, v := range models {
		name, path, ok := strings.Cut(v, "=")
		if !ok {
			path = v
			name = strings.TrimSuffix(filepath.Base(v), ".safetensors")
		}
		if _, dup := loaded[name]; dup {
			return usagef("--model %s: the name %q is given twice", v, name)
		}
		m, err := c.loadModel(e, path)
		if err != nil {
			return err
		}
		// Requests run side by side, one thread each.
		if err := m.SetWorkers(1); err != nil {
			return err
		}
		loaded[name] = m
	}
	log := c.logger(e)
	s, err := serve.New(serve.Config{MaxRequestBytes: maxBytes, MaxEvents: maxEvents, Workers: workers, Queue: queue, Timeout: timeout, Logger: log}, loaded)
	if err != nil {
		return usagef("--model: %v", err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", addr, err)
	}
	fmt.Fprintf(e.stdout, "serving %d model(s) on http://%s (Ctrl-C or SIGTERM stops)\n", len(loaded), l.Addr())
	// Serve returns when ctx ends (the signal), after the graceful shutdown.
	if err := s.Serve(ctx, l, grace); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "stopped")
	return nil
}
