// Package serve is hepflow's HTTP service: trained models answer sample and
// logprob requests from other programs (an analysis framework, a
// fast-simulation chain) with the same events and densities the command
// line gives for the same seed, under limits on request size, event counts,
// time and concurrency, with Prometheus metrics and structured access logs.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"time"

	"hepflow/model"
)

// Config bounds what the server accepts and how much it does at once. Zero
// values take the defaults (see Defaults).
type Config struct {
	// MaxRequestBytes bounds a request body.
	MaxRequestBytes int64
	// MaxEvents bounds the events of one sample or logprob request.
	MaxEvents int64
	// Workers is the number of requests computing at once; Queue how many
	// more may wait for a turn before the server answers 503.
	Workers, Queue int
	// Timeout bounds the work of one request (reading it, computing,
	// writing the answer); the request is cancelled past it.
	Timeout time.Duration
	// RetryAfter is the Retry-After a 503 suggests.
	RetryAfter time.Duration
	// TempDir holds the temporary files of CSV, .npy and Parquet bodies
	// ("" for the system's).
	TempDir string
	// Logger receives one access-log line per request and the server's
	// events; nil discards them.
	Logger *slog.Logger
}

// Defaults are the server's defaults: 64 MiB requests, 1,000,000 events
// per request, a worker per CPU, a queue of 64, 60 s per request.
func Defaults() Config {
	return Config{MaxRequestBytes: 64 << 20, MaxEvents: 1_000_000, Workers: runtime.GOMAXPROCS(0), Queue: 64,
		Timeout: 60 * time.Second, RetryAfter: time.Second}
}

func (c *Config) fill() error {
	def := Defaults()
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = def.MaxRequestBytes
	}
	if c.MaxEvents == 0 {
		c.MaxEvents = def.MaxEvents
	}
	if c.Workers == 0 {
		c.Workers = def.Workers
	}
	if c.Queue == 0 {
		c.Queue = def.Queue
	}
	if c.Timeout == 0 {
		c.Timeout = def.Timeout
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = def.RetryAfter
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.MaxRequestBytes < 0, c.MaxEvents < 0, c.Workers < 0, c.Queue < 0, c.Timeout < 0, c.RetryAfter < 0:
		return errors.New("serve: negative limit")
	}
	return nil
}

// Server answers requests for a set of named models. Its handler is safe
// for concurrent use (model.Model is).
type Server struct {
	cfg     Config
	models  map[string]*model.Model
	names   []string
	lim     *limiter
	metrics *metrics
}

// New returns a server of the named models.
func New(cfg Config, models map[string]*model.Model) (*Server, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	if len(models) == 0 {
		return nil, errors.New("serve: no models")
	}
	s := &Server{cfg: cfg, models: models, lim: newLimiter(cfg.Workers, cfg.Queue), metrics: newMetrics()}
	for name, m := range models {
		if !validName(name) {
			return nil, fmt.Errorf("serve: model name %q: use letters, digits, '-', '_' and '.'", name)
		}
		if m == nil {
			return nil, fmt.Errorf("serve: model %q is nil", name)
		}
		s.names = append(s.names, name)
	}
	slices.Sort(s.names)
	return s, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return s != "." && s != ".."
}

// Handler routes the API:
//
//	GET  /healthz                    "ok"
//	GET  /metrics                    Prometheus text
//	GET  /v1/models                  every model's metadata
//	GET  /v1/models/NAME             one model's metadata
//	POST /v1/models/NAME/sample      {"n": N, "seed": S, "context": {...}} -> events
//	POST /v1/models/NAME/logprob     events (JSON, CSV, .npy, Parquet) -> log densities
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.instrument("healthz", false, func(w http.ResponseWriter, r *http.Request) (int64, error) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err := w.Write([]byte("ok\n"))
		return 0, err
	}))
	mux.HandleFunc("GET /metrics", s.instrument("metrics", false, func(w http.ResponseWriter, r *http.Request) (int64, error) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.metrics.write(w, s.lim)
		return 0, nil
	}))
	mux.HandleFunc("GET /v1/models", s.instrument("models", false, s.listModels))
	mux.HandleFunc("GET /v1/models/{name}", s.instrument("model", false, s.showModel))
	mux.HandleFunc("POST /v1/models/{name}/sample", s.instrument("sample", true, s.sample))
	mux.HandleFunc("POST /v1/models/{name}/logprob", s.instrument("logprob", true, s.logprob))
	return mux
}

// apiError is an error with its HTTP status.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

func errorf(code int, format string, a ...any) error {
	return &apiError{code: code, msg: fmt.Sprintf(format, a...)}
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// handler does one request's work and returns the events it served.
type handler func(w http.ResponseWriter, r *http.Request) (int64, error)

// instrument wraps a handler with the timeout, the concurrency limit (when
// limited), error answers, metrics and the access log.
func (s *Server) instrument(route string, limited bool, h handler) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w := &statusWriter{ResponseWriter: rw}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
		defer cancel()
		r = r.WithContext(ctx)
		var events int64
		err := func() error {
			if limited {
				release, err := s.lim.acquire(ctx)
				if errors.Is(err, errBusy) {
					w.Header().Set("Retry-After", fmt.Sprint(max(1, int(s.cfg.RetryAfter.Round(time.Second).Seconds()))))
					return errorf(http.StatusServiceUnavailable, "%v; retry later", err)
				}
				if err != nil {
					return err
				}
				defer release()
			}
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestBytes)
			var err error
			events, err = h(w, r)
			return err
		}()
		if err != nil {
			s.fail(w, r, err)
		}
		code := w.code
		if code == 0 {
			code = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.observe(route, code, d, events)
		lvl := slog.LevelInfo
		if code >= 500 && code != http.StatusServiceUnavailable {
			lvl = slog.LevelError
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", code, "bytes", w.bytes, "events", events,
			"seconds", d.Seconds(), "remote", r.RemoteAddr}
		if err != nil {
			attrs = append(attrs, "err", err.Error())
		}
		s.cfg.Logger.Log(context.Background(), lvl, "request", attrs...)
	}
}

// fail answers err as JSON {"error": ...} unless the answer has begun.
func (s *Server) fail(w *statusWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		code = ae.code
	case errors.As(err, &mbe):
		code, err = http.StatusRequestEntityTooLarge, fmt.Errorf("request body over the limit of %d bytes", mbe.Limit)
	case errors.Is(err, context.DeadlineExceeded):
		code, err = http.StatusServiceUnavailable, fmt.Errorf("request took longer than the limit of %v; ask for fewer events", s.cfg.Timeout)
	case errors.Is(err, context.Canceled):
		code = 499 // the client went away (nginx's convention)
	}
	if w.code != 0 {
		w.code = code // too late to answer; the log and metrics say what happened
		return
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

// Serve answers requests on l until ctx is done, then shuts down
// gracefully: no new connections, requests in progress get up to grace to
// finish.
func (s *Server) Serve(ctx context.Context, l net.Listener, grace time.Duration) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.Timeout,
		WriteTimeout:      s.cfg.Timeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	s.cfg.Logger.Info("serving", "addr", l.Addr().String(), "models", s.names, "workers", s.cfg.Workers, "queue", s.cfg.Queue)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.cfg.Logger.Info("shutting down", "grace_seconds", grace.Seconds())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
