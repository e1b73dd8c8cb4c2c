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

// Attempt is one try of a call, as Do reports it to an observer.
type Attempt struct {
	N    int           // 0 for a call's first try, then 1, 2... for its retries
	Took time.Duration // the try itself; the wait before it is not included
	Err  error         // what the try failed with; nil when it succeeded
}

type observerKey struct{}

// WithObserver returns a copy of ctx under which Do reports every try to
// observe, after the try, on the goroutine that called Do: a way to count
// and time the requests of whatever client calls are made under ctx, as
// net/http/httptrace does for connections, without changing the clients.
// An observer ctx carried already is called too, after observe.
func WithObserver(ctx context.Context, observe func(Attempt)) context.Context {
	if outer, ok := ctx.Value(observerKey{}).(func(Attempt)); ok {
		inner := observe
		observe = func(a Attempt) { inner(a); outer(a) }
	}
	return context.WithValue(ctx, observerKey{}, observe)
}

// sleep is swapped in tests that must not wait.
var sleep = Sleep

// Sleep waits d, or until ctx is done (then its error).
func Sleep(ctx context.Context, d time.Duration) error {
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
	observe, _ := ctx.Value(observerKey{}).(func(Attempt))
	for i := 0; ; i++ {
		start := time.Now()
		err := fn(ctx)
		if observe != nil {
			observe(Attempt{N: i, Took: time.Since(start), Err: err})
		}
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
