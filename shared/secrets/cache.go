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

// DefaultReadTimeout bounds one read of the secret, so that a Secrets
// Manager that does not answer costs a request seconds, not its whole time.
const DefaultReadTimeout = 3 * time.Second

// MinRefetch is the least time between two reads of the secret that
// Require makes on its own (after any read), and between two that Recheck
// makes (after its own reads only): an operator who fills a missing key
// sees it work within seconds, a rotated inbound token works on its first
// use, and callers (unauthenticated ones included) cannot make a container
// call Secrets Manager more often than this.
const MinRefetch = 10 * time.Second

// Cache keeps the last good secret for a TTL. It is safe for concurrent use;
// set its fields before the first call.
type Cache struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ReadTimeout bounds each read of the source; <= 0 means
	// DefaultReadTimeout.
	ReadTimeout time.Duration

	src Source
	ttl time.Duration

	mu      sync.Mutex
	vals    Values
	fetched time.Time // when vals was read
	tried   time.Time // when the source was last read, whatever came of it
	lastErr error     // what came of it, when it failed
	// rechecked is when Recheck last read the source. Only those reads
	// count against MinRefetch there: a rotated inbound credential must
	// work on its first use even right after a cold start or a TTL read,
	// and neither sender retries a 401.
	rechecked time.Time
}

// NewCache returns a cache over src; ttl <= 0 means DefaultTTL.
func NewCache(src Source, ttl time.Duration) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Cache{src: src, ttl: ttl}
}

// Get returns the cached secret, fetching it when absent or older than the
// TTL. When that fetch fails, the last good secret is served, and the next
// try waits MinRefetch: an outage of Secrets Manager neither stops a warm
// function whose credentials still work nor slows each of its requests. Without a good secret, the error is
// a *ConfigError or an *UnavailableError.
func (c *Cache) Get(ctx context.Context) (Values, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.getLocked(ctx)
}

// Refresh fetches the secret now, whatever its age: for after an API has
// rejected the cached credentials. Its error is a *ConfigError or an
// *UnavailableError, and the last good secret stays cached.
func (c *Cache) Refresh(ctx context.Context) (Values, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetchLocked(ctx)
}

// Require is Get for a caller that needs keys: when the cached secret lacks
// any of them (missing or empty) and was last read at least MinRefetch ago,
// it is read once more, so that an operator who fills in a key sees it work
// within seconds rather than after the TTL. Keys still missing are a
// *ConfigError wrapping a *MissingKeysError; a failed read is a *ConfigError
// or an *UnavailableError.
func (c *Cache) Require(ctx context.Context, keys ...string) (Values, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, err := c.getLocked(ctx)
	if err != nil {
		return Values{}, err
	}
	if v.Require(keys...) == nil {
		return v, nil
	}
	if c.now().Sub(c.tried) >= MinRefetch {
		if v, err = c.fetchLocked(ctx); err != nil {
			return Values{}, err
		}
	}
	if err := v.Require(keys...); err != nil {
		return Values{}, &ConfigError{Err: err}
	}
	return v, nil
}

// Recheck is for after an inbound credential (a bearer token, a webhook
// signature) did not match the cached secret: it reads the secret again
// unless an earlier Recheck read it less than MinRefetch ago, and reports
// whether it did, so that the caller checks the credential once more only
// against a secret that may have changed. The ordinary reads (the cold
// start's, the TTL's) do not count: a token rotated just before them would
// otherwise be refused for up to MinRefetch, and that delivery lost. Callers
// that keep failing make the container read the secret at most once per
// MinRefetch; concurrent calls wait for one read.
//
// Without a read, vals is the cached secret. When the read fails, vals is
// empty and err (a *ConfigError or an *UnavailableError) says why; the
// secret cached before stays cached.
func (c *Cache) Recheck(ctx context.Context) (vals Values, refetched bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.rechecked.IsZero() && c.now().Sub(c.rechecked) < MinRefetch {
		if c.vals.m == nil {
			return Values{}, false, c.lastErr
		}
		return c.vals, false, nil
	}
	vals, err = c.fetchLocked(ctx)
	c.rechecked = c.tried
	return vals, true, err
}

func (c *Cache) getLocked(ctx context.Context) (Values, error) {
	if c.vals.m != nil && c.now().Sub(c.fetched) < c.ttl {
		return c.vals, nil
	}
	// While Secrets Manager fails, a good secret is served without trying
	// again on every request: each try may cost the whole ReadTimeout.
	if c.vals.m != nil && c.lastErr != nil && c.now().Sub(c.tried) < MinRefetch {
		return c.vals, nil
	}
	v, err := c.fetchLocked(ctx)
	if err != nil && c.vals.m != nil {
		return c.vals, nil
	}
	return v, err
}

// fetchLocked reads the source within ReadTimeout. Its errors are typed:
// those of the source pass as they are when typed already; one that comes
// after the read's time ran out is an UnavailableError; any other is a
// ConfigError.
func (c *Cache) fetchLocked(ctx context.Context) (Values, error) {
	v, err := c.load(ctx)
	c.tried = c.now()
	if err != nil {
		c.lastErr = err
		return Values{}, err
	}
	c.vals, c.fetched, c.lastErr = v, c.tried, nil
	return v, nil
}

func (c *Cache) load(ctx context.Context) (Values, error) {
	timeout := c.ReadTimeout
	if timeout <= 0 {
		timeout = DefaultReadTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := c.src.Load(ctx)
	if err != nil {
		if ctx.Err() != nil && !isTyped(err) {
			return Values{}, &UnavailableError{Secret: displayName(c.src.Name()), Fault: FaultTimeout, Err: err}
		}
		return Values{}, typed(err)
	}
	v, err := Parse(c.src.Name(), raw)
	return v, typed(err)
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
