// Package retry runs a call again after transient failures, with jittered
// exponential backoff or the wait the server asked for, and only while the
// wait still fits before the context's deadline.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Retryable is implemented by errors that know whether trying again may
// help, and how long the server asked to wait first (0: not said).
type Retryable interface {
	Retryable() (again bool, after time.Duration)
}

// Policy bounds the retries of one call.
type Policy struct {
	Attempts int           // tries in all, the first included; < 1 means 1
	Base     time.Duration // backoff before the second try
	Max      time.Duration // cap on one backoff or server-asked wait
	Reserve  time.Duration // time kept back before the deadline to answer the caller
}

// OutOfTimeError is returned when the next wait would not fit before the
// deadline. Wait is what the server asked for, or the backoff, so the
// caller can pass it on as its own Retry-After.
type OutOfTimeError struct {
	Err  error
	Wait time.Duration
}

func (e *OutOfTimeError) Error() string {
	return fmt.Sprintf("%v (retrying after %s would not fit in the time left)", e.Err, e.Wait.Round(time.Second))
}

func (e *OutOfTimeError) Unwrap() error { return e.Err }

// sleep is swapped in tests that must not wait.
var sleep = func(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Do calls fn until it succeeds, fails for good, runs out of attempts, or
// the next wait would outlast ctx's deadline less the reserve.
func (p Policy) Do(ctx context.Context, fn func(ctx context.Context) error) error {
	attempts := max(p.Attempts, 1)
	for i := 0; ; i++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		var r Retryable
		if !errors.As(err, &r) {
			return err
		}
		again, after := r.Retryable()
		// The caller's own context, not the error, says whether time is
		// up: an attempt's timeout wraps DeadlineExceeded too.
		if !again || ctx.Err() != nil {
			return err
		}
		wait := after
		if wait <= 0 {
			wait = p.backoff(i)
		}
		if p.Max > 0 && after > p.Max {
			return &OutOfTimeError{Err: err, Wait: after}
		}
		if i+1 >= attempts {
			if after > 0 {
				return &OutOfTimeError{Err: err, Wait: after}
			}
			return err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl)-p.Reserve < wait {
			return &OutOfTimeError{Err: err, Wait: wait}
		}
		if serr := sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

// backoff is "full jitter" exponential backoff: uniform in [d/2, d] where d
// doubles per try from Base, capped at Max.
func (p Policy) backoff(i int) time.Duration {
	d := p.Base << min(i, 20) // 2^20 × any sane base neither overflows nor matters
	if d <= 0 || (p.Max > 0 && d > p.Max) {
		d = p.Max
	}
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}
