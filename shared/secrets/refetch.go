package secrets

import (
	"context"
	"errors"
)

// Fetcher reads a secret from its cache, or afresh. *Cache is one.
type Fetcher interface {
	Get(ctx context.Context) (Values, error)
	Refresh(ctx context.Context) (Values, error)
	Require(ctx context.Context, keys ...string) (Values, error)
	Recheck(ctx context.Context) (vals Values, refetched bool, err error)
}

// WithRefetch runs call with the secret once it has keys; when call fails
// with an error matching rejected (an API's 401), it fetches the secret
// again and retries once, so a rotated token works without a redeploy.
//
// A secret that can't be read or lacks keys is returned as a *ConfigError
// or an *UnavailableError, unchanged from the Fetcher; call's own errors are
// returned as they are.
func WithRefetch(ctx context.Context, f Fetcher, keys []string, rejected error, call func(Values) error) error {
	v, err := f.Require(ctx, keys...)
	if err != nil {
		return typed(err)
	}
	if err = call(v); !errors.Is(err, rejected) {
		return err
	}
	if v, err = f.Refresh(ctx); err != nil {
		return typed(err)
	}
	if err = v.Require(keys...); err != nil {
		return &ConfigError{Err: err}
	}
	return call(v)
}
