// Package dedupe remembers which Zendesk webhook invocations Braze has
// already accepted, so a Zendesk retry is not delivered twice.
package dedupe

import (
	"context"
	"sync"
	"time"
)

// Retention is how long an invocation is remembered: Zendesk's retries
// end long before.
const Retention = 24 * time.Hour

// Memory is a store for one warm container. Records expire after the
// retention, and the oldest go first once it holds Cap of them.
type Memory struct {
	Cap int // 0 means 100,000
	now func() time.Time

	mu   sync.Mutex
	done map[string]record
}

type record struct {
	batches int
	at      time.Time
}

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{now: time.Now, done: map[string]record{}} }

// Done returns how many of the invocation's batches Braze accepted.
func (m *Memory) Done(_ context.Context, id string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.done[id]
	if !ok || m.now().Sub(r.at) > Retention {
		return 0, nil
	}
	return r.batches, nil
}

// Mark records that the invocation's first n batches were accepted.
func (m *Memory) Mark(_ context.Context, id string, n int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	limit := m.Cap
	if limit <= 0 {
		limit = 100_000
	}
	if _, ok := m.done[id]; !ok && len(m.done) >= limit {
		m.evict(now)
	}
	m.done[id] = record{batches: n, at: now}
	return nil
}

// evict drops expired records, and if none were, the oldest one.
func (m *Memory) evict(now time.Time) {
	oldest, oldestAt := "", now
	before := len(m.done)
	for id, r := range m.done {
		if now.Sub(r.at) > Retention {
			delete(m.done, id)
		} else if r.at.Before(oldestAt) {
			oldest, oldestAt = id, r.at
		}
	}
	if len(m.done) == before && oldest != "" {
		delete(m.done, oldest)
	}
}
