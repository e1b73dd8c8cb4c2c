package secrets

import (
	"context"
	"sync"
	"time"
)

// Source loads the raw secret string.
type Source interface {
	Load(ctx context.Context) ([]byte, error)
	Name() string
}

// DefaultTTL is how long a fetched secret is trusted before the next request
// fetches it again: short enough that a rotated token arrives within
// minutes, long enough that Secrets Manager is not called per request.
const DefaultTTL = 5 * time.Minute

// Cache keeps the last good secret for a TTL. It is safe for concurrent use.
type Cache struct {
	src Source
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	vals    Values
	fetched time.Time
}

// NewCache returns a cache over src; ttl <= 0 means DefaultTTL.
func NewCache(src Source, ttl time.Duration) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Cache{src: src, ttl: ttl, now: time.Now}
}

// Get returns the cached secret, fetching it when absent or older than the
// TTL. When that fetch fails, the last good secret is served until the next
// request tries again: an outage of Secrets Manager does not stop a warm
// function whose credentials still work.
func (c *Cache) Get(ctx context.Context) (Values, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vals.m != nil && c.now().Sub(c.fetched) < c.ttl {
		return c.vals, nil
	}
	v, err := c.fetchLocked(ctx)
	if err != nil && c.vals.m != nil {
		return c.vals, nil
	}
	return v, err
}

// Refresh fetches the secret now, whatever its age: for after an API has
// rejected the cached credentials.
func (c *Cache) Refresh(ctx context.Context) (Values, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetchLocked(ctx)
}

func (c *Cache) fetchLocked(ctx context.Context) (Values, error) {
	raw, err := c.src.Load(ctx)
	if err != nil {
		return Values{}, err
	}
	v, err := Parse(c.src.Name(), raw)
	if err != nil {
		return Values{}, err
	}
	c.vals, c.fetched = v, c.now()
	return v, nil
}
