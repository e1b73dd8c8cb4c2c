package pacing

import (
	"context"
	"sync"
)

// Memory counts windows for one container: local runs, tests, and the
// functions when no table is configured.
type Memory struct {
	mu     sync.Mutex
	counts map[int64]int
}

// NewMemory returns a counter with every window empty.
func NewMemory() *Memory { return &Memory{counts: map[int64]int{}} }

// Take implements Counter.
func (m *Memory) Take(_ context.Context, window int64, limit int) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for w := range m.counts {
		if w < window {
			delete(m.counts, w) // windows past are never asked for again
		}
	}
	if m.counts[window] >= limit {
		return false, nil
	}
	m.counts[window]++
	return true, nil
}
