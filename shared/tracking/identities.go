package tracking

import (
	"sync"
	"time"
)

// identityTTL bounds how long a requester's external id or email is
// trusted in a warm container: an agent who links a user to Braze sees it
// used within minutes.
const (
	identityTTL = 10 * time.Minute
	maxIdentity = 10_000
)

// identities caches Zendesk user id → Braze profile, bounded in size.
type identities struct {
	mu  sync.Mutex
	m   map[int64]cachedProfile
	now func() time.Time
}

type cachedProfile struct {
	p       profile
	expires time.Time
}

func (c *identities) get(id int64) (profile, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || !c.clock().Before(e.expires) {
		return profile{}, false
	}
	return e.p, true
}

func (c *identities) put(id int64, p profile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock()
	if c.m == nil {
		c.m = map[int64]cachedProfile{}
	}
	if len(c.m) >= maxIdentity {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		for k := range c.m { // still full: drop any one
			if len(c.m) < maxIdentity {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[id] = cachedProfile{p: p, expires: now.Add(identityTTL)}
}

func (c *identities) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}
