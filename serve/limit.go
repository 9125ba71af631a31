package serve

import (
	"context"
	"errors"
)

// errBusy means the queue is full: the client should retry later (503).
var errBusy = errors.New("server busy: every worker is taken and the queue is full")

// limiter lets Workers requests compute at once and Queue more wait for a
// turn; beyond that a request is refused at once, so that a flood costs
// neither memory nor unbounded latency.
type limiter struct {
	slots   chan struct{} // capacity Workers: a token per computing request
	waiting chan struct{} // capacity Workers + Queue: a token per admitted request
}

func newLimiter(workers, queue int) *limiter {
	return &limiter{slots: make(chan struct{}, workers), waiting: make(chan struct{}, workers+queue)}
}

// acquire admits the request and waits for a worker; errBusy when the
// queue is full, ctx's error when the request gives up while waiting.
func (l *limiter) acquire(ctx context.Context) (release func(), err error) {
	select {
	case l.waiting <- struct{}{}:
	default:
		return nil, errBusy
	}
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots; <-l.waiting }, nil
	case <-ctx.Done():
		<-l.waiting
		return nil, ctx.Err()
	}
}

// inFlight is the number of computing requests, queued the number waiting.
func (l *limiter) inFlight() int { return len(l.slots) }
func (l *limiter) queued() int   { return len(l.waiting) - len(l.slots) }
