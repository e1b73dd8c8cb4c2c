package dedupe

import (
	"context"
	"time"
)

// RequesterRetention is how long a requester is remembered after it was
// last resolved. The domain decides how long to trust it without looking
// again; the store only forgets it for good after this.
const RequesterRetention = 30 * 24 * time.Hour

// Requester is the Zendesk user a Braze identity was resolved to, and
// when that was last checked against Zendesk.
type Requester struct {
	UserID   int64
	Conflict bool      // the identity's email belongs to another Zendesk user
	Checked  time.Time // when Zendesk last said so
}

// Requesters remembers which Zendesk user holds each Braze identity, so
// that a repeat requester costs no lookup. Keys are opaque to the store
// (the domain hashes identities: no email lands in the table).
type Requesters interface {
	RememberedRequester(ctx context.Context, key string) (Requester, bool, error)
	RememberRequester(ctx context.Context, key string, r Requester) error
	ForgetRequester(ctx context.Context, key string) error
}

var (
	_ Requesters = (*Memory)(nil)
	_ Requesters = (*DynamoDB)(nil)
)

func requesterKey(key string) string { return "requester#" + key }

// RememberedRequester implements Requesters.
func (m *Memory) RememberedRequester(_ context.Context, key string) (Requester, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec := m.live(requesterKey(key), m.now()); rec != nil && rec.requester != nil {
		return *rec.requester, true, nil
	}
	return Requester{}, false, nil
}

// RememberRequester implements Requesters, overwriting what key held.
func (m *Memory) RememberRequester(_ context.Context, key string, r Requester) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.put(requesterKey(key), &record{requester: &r, expires: now.Add(RequesterRetention)}, now)
	return nil
}

// ForgetRequester implements Requesters.
func (m *Memory) ForgetRequester(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.records, requesterKey(key))
	return nil
}
