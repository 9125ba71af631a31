package serve

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

// latencyBuckets are the upper bounds (seconds) of the latency histogram.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// metrics counts requests, latencies and events served, for /metrics in
// the Prometheus text format.
type metrics struct {
	mu       sync.Mutex
	requests map[reqKey]int64
	latency  map[string]*histogram
	events   map[string]int64
	started  time.Time
}

type reqKey struct {
	route string
	code  int
}

type histogram struct {
	counts []int64 // per bucket, cumulative at export
	sum    float64
	n      int64
}

func newMetrics() *metrics {
	return &metrics{requests: map[reqKey]int64{}, latency: map[string]*histogram{}, events: map[string]int64{}, started: time.Now()}
}

// observe records one finished request.
func (m *metrics) observe(route string, code int, d time.Duration, events int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{route, code}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]int64, len(latencyBuckets))}
		m.latency[route] = h
	}
	s := d.Seconds()
	if i := sort.SearchFloat64s(latencyBuckets, s); i < len(latencyBuckets) {
		h.counts[i]++
	}
	h.sum += s
	h.n++
	m.events[route] += events
}

// write prints the metrics; lim gives the live gauges.
func (m *metrics) write(w io.Writer, lim *limiter) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP hepflow_requests_total HTTP requests by route and status code.")
	fmt.Fprintln(w, "# TYPE hepflow_requests_total counter")
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reqKey) int {
		if a.route != b.route {
			if a.route < b.route {
				return -1
			}
			return 1
		}
		return a.code - b.code
	})
	for _, k := range keys {
		fmt.Fprintf(w, "hepflow_requests_total{route=%q,code=\"%d\"} %d\n", k.route, k.code, m.requests[k])
	}
	fmt.Fprintln(w, "# HELP hepflow_request_duration_seconds Time from the request's arrival to its last byte, by route.")
	fmt.Fprintln(w, "# TYPE hepflow_request_duration_seconds histogram")
	for _, route := range sortedKeys(m.latency) {
		h := m.latency[route]
		var cum int64
		for i, ub := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "hepflow_request_duration_seconds_bucket{route=%q,le=%q} %d\n", route, strconv.FormatFloat(ub, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "hepflow_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", route, h.n)
		fmt.Fprintf(w, "hepflow_request_duration_seconds_sum{route=%q} %g\n", route, h.sum)
		fmt.Fprintf(w, "hepflow_request_duration_seconds_count{route=%q} %d\n", route, h.n)
	}
	fmt.Fprintln(w, "# HELP hepflow_events_total Events generated (sample) or scored (logprob).")
	fmt.Fprintln(w, "# TYPE hepflow_events_total counter")
	for _, route := range sortedKeys(m.events) {
		fmt.Fprintf(w, "hepflow_events_total{route=%q} %d\n", route, m.events[route])
	}
	fmt.Fprintln(w, "# HELP hepflow_in_flight Requests computing now.")
	fmt.Fprintln(w, "# TYPE hepflow_in_flight gauge")
	fmt.Fprintf(w, "hepflow_in_flight %d\n", lim.inFlight())
	fmt.Fprintln(w, "# HELP hepflow_queued Requests waiting for a worker.")
	fmt.Fprintln(w, "# TYPE hepflow_queued gauge")
	fmt.Fprintf(w, "hepflow_queued %d\n", lim.queued())
	fmt.Fprintln(w, "# HELP hepflow_uptime_seconds Seconds since the server started.")
	fmt.Fprintln(w, "# TYPE hepflow_uptime_seconds gauge")
	fmt.Fprintf(w, "hepflow_uptime_seconds %g\n", time.Since(m.started).Seconds())
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
