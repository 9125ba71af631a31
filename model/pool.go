package model

import (
	"sync"

	"hepflow/flow"
)

// pool hands every concurrent LogProb or Sample its own set of flows (the
// members): replicas that share the model's parameter values but not its
// buffers. That is what makes a Model safe for concurrent use. The model's
// own flows serve the first call; overlapping calls get replicas, built
// when needed and kept for the next ones (as many as calls ever overlapped).
type pool struct {
	mu      sync.Mutex
	ownFree *sync.Cond // signalled when the model's own flows come back
	ownBusy bool
	free    [][]*flow.Flow
}

// acquire returns flows for one call and the function that gives them back.
func (m *Model) acquire() ([]*flow.Flow, func(), error) {
	fs, err := m.members()
	if err != nil {
		return nil, nil, err
	}
	p := &m.pool
	p.mu.Lock()
	if !p.ownBusy {
		p.ownBusy = true
		p.mu.Unlock()
		return fs, m.releaseOwn, nil
	}
	workers := fs[0].Workers()
	for len(p.free) > 0 {
		ws := p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
		if ws[0].Workers() == workers { // else SetWorkers changed it since: dropped
			p.mu.Unlock()
			return ws, func() { m.release(ws) }, nil
		}
	}
	p.mu.Unlock()
	ws := make([]*flow.Flow, len(fs))
	for i, f := range fs {
		r, err := f.Replica()
		if err != nil {
			// A flow not built from a Spec: take turns on the model's own.
			p.mu.Lock()
			if p.ownFree == nil {
				p.ownFree = sync.NewCond(&p.mu)
			}
			for p.ownBusy {
				p.ownFree.Wait()
			}
			p.ownBusy = true
			p.mu.Unlock()
			return fs, m.releaseOwn, nil
		}
		ws[i] = r
	}
	return ws, func() { m.release(ws) }, nil
}

func (m *Model) releaseOwn() {
	p := &m.pool
	p.mu.Lock()
	p.ownBusy = false
	if p.ownFree != nil {
		p.ownFree.Signal()
	}
	p.mu.Unlock()
}

func (m *Model) release(ws []*flow.Flow) {
	p := &m.pool
	p.mu.Lock()
	p.free = append(p.free, ws)
	p.mu.Unlock()
}
