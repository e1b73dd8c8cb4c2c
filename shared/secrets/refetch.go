package secrets

import (
	"context"
	"errors"
)

// ConfigError is a secret that is missing, unreadable or lacks keys: the
// operator's to fix, answered as a 500 that names the problem.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Fetcher reads a secret from its cache, or afresh.
type Fetcher interface {
	Get(ctx context.Context) (Values, error)
	Refresh(ctx context.Context) (Values, error)
}

// WithRefetch runs call with the secret once it has keys; when call fails
// with an error matching rejected (an API's 401), it fetches the secret
// again and retries once, so a rotated token works without a redeploy.
func WithRefetch(ctx context.Context, f Fetcher, keys []string, rejected error, call func(Values) error) error {
	v, err := f.Get(ctx)
	if err == nil {
		err = v.Require(keys...)
	}
	if err != nil {
		return &ConfigError{Err: err}
	}
	if err = call(v); !errors.Is(err, rejected) {
		return err
	}
	if v, err = f.Refresh(ctx); err == nil {
		err = v.Require(keys...)
	}
	if err != nil {
		return &ConfigError{Err: err}
	}
	return call(v)
}
