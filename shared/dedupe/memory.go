package dedupe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// Memory is a store for one warm container, for local runs and tests.
// Records expire with their retention; once it holds Cap of them, expired
// ones go first, then the oldest.
type Memory struct {
	Cap int              // 0 means 100,000
	Now func() time.Time // nil means time.Now

	mu      sync.Mutex
	records map[string]*record
	cursors map[string]Cursor
}

type state int

const (
	inProgress state = iota
	queued
	done
)

type record struct {
	state    state
	token    string
	deadline time.Time
	batches  int
	expires  time.Time
	owner    string // a replay key's invocation id
	ticket   int64  // a ticket key's ticket id

	requester  *Requester  // a requester key's user
	submission *Submission // a bulk key's job
}

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{records: map[string]*record{}} }

// Claim implements Store.
func (m *Memory) Claim(_ context.Context, r ClaimRequest) (Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if r.Replay != "" {
		if rec := m.live("sig#"+r.Replay, now); rec != nil && rec.owner != r.ID {
			return Claim{Outcome: Duplicate}, nil
		}
	}
	key := "inv#" + r.ID
	rec := m.live(key, now)
	if rec != nil {
		switch {
		case rec.state == done, rec.state == queued && !r.FromQueue:
			return Claim{Outcome: Duplicate}, nil
		case rec.state == inProgress && now.Before(rec.deadline):
			return Claim{Outcome: Busy}, nil
		}
	} else {
		rec = &record{}
		m.put(key, rec, now)
	}
	rec.state, rec.token, rec.deadline = inProgress, newToken(), r.Deadline
	rec.expires = now.Add(QueuedRetention) // a claim outlives any retry of it
	if r.Replay != "" {
		m.put("sig#"+r.Replay, &record{owner: r.ID, expires: r.ReplayUntil}, now)
	}
	return Claim{Outcome: Claimed, Batches: rec.batches, Token: rec.token}, nil
}

// Progress implements Store.
func (m *Memory) Progress(_ context.Context, id, token string, batches int) error {
	return m.held(id, token, func(rec *record, _ time.Time) { rec.batches = batches })
}

// Complete implements Store. Completing twice under one token is fine.
func (m *Memory) Complete(_ context.Context, id, token string) error {
	if m.already(id, token, done) {
		return nil
	}
	return m.held(id, token, func(rec *record, now time.Time) { rec.state, rec.expires = done, now.Add(Retention) })
}

// Queue implements Store. Queueing twice under one token is fine.
func (m *Memory) Queue(_ context.Context, id, token string) error {
	if m.already(id, token, queued) {
		return nil
	}
	return m.held(id, token, func(rec *record, now time.Time) { rec.state, rec.expires = queued, now.Add(QueuedRetention) })
}

// already reports id's record in state st under token: a write that
// landed before, as a DynamoDB write retried after a lost answer does.
func (m *Memory) already(id, token string, st state) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := m.live("inv#"+id, m.now())
	return rec != nil && rec.token == token && rec.state == st
}

// Release implements Store.
func (m *Memory) Release(_ context.Context, id, token string) error {
	return m.held(id, token, func(rec *record, now time.Time) { rec.deadline = now })
}

// FiledTicket implements Tickets.
func (m *Memory) FiledTicket(_ context.Context, key string) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec := m.live("ticket#"+key, m.now()); rec != nil {
		return rec.ticket, true, nil
	}
	return 0, false, nil
}

// RememberTicket implements Tickets.
func (m *Memory) RememberTicket(_ context.Context, key string, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.put("ticket#"+key, &record{ticket: id, expires: now.Add(TicketRetention)}, now)
	return nil
}

// held runs change on id's record if token still holds it.
func (m *Memory) held(id, token string, change func(*record, time.Time)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	rec := m.live("inv#"+id, now)
	if rec == nil || rec.token != token || rec.state != inProgress {
		return ErrLost
	}
	change(rec, now)
	return nil
}

// live is key's record unless it has expired.
func (m *Memory) live(key string, now time.Time) *record {
	rec, ok := m.records[key]
	if !ok || !now.Before(rec.expires) {
		return nil
	}
	return rec
}

func (m *Memory) put(key string, rec *record, now time.Time) {
	limit := m.Cap
	if limit <= 0 {
		limit = 100_000
	}
	if _, ok := m.records[key]; !ok && len(m.records) >= limit {
		m.evict(now)
	}
	m.records[key] = rec
}

// evict drops expired records, and if none were, the one expiring first.
func (m *Memory) evict(now time.Time) {
	first, firstAt := "", time.Time{}
	before := len(m.records)
	for k, r := range m.records {
		if !now.Before(r.expires) {
			delete(m.records, k)
		} else if first == "" || r.expires.Before(firstAt) {
			first, firstAt = k, r.expires
		}
	}
	if len(m.records) == before && first != "" {
		delete(m.records, first)
	}
}

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func newToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
