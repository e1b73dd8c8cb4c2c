package retry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeErr is a failure that says whether to try again and how long the
// server asked to wait.
type fakeErr struct {
	again bool
	after time.Duration
	n     int // which call produced it
}

func (e *fakeErr) Error() string                    { return fmt.Sprintf("fake failure %d", e.n) }
func (e *fakeErr) Retryable() (bool, time.Duration) { return e.again, e.after }

// recordSleep swaps sleep for one that does not wait but records what it
// was asked to wait, for the duration of the test.
func recordSleep(t *testing.T) *[]time.Duration {
	t.Helper()
	var (
		mu    sync.Mutex
		waits []time.Duration
	)
	old := sleep
	sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	t.Cleanup(func() { sleep = old })
	return &waits
}

// script returns fn that answers call i (1-based) with errs[i-1], or nil
// past the end, and a pointer to the call count.
func script(errs ...func(n int) error) (func(context.Context) error, *int) {
	calls := 0
	return func(context.Context) error {
		calls++
		if calls <= len(errs) {
			return errs[calls-1](calls)
		}
		return nil
	}, &calls
}

func retryable(after time.Duration) func(int) error {
	return func(n int) error { return &fakeErr{again: true, after: after, n: n} }
}

func final() func(int) error {
	return func(n int) error { return &fakeErr{again: false, n: n} }
}

func plain(err error) func(int) error { return func(int) error { return err } }

func times(n int, f func(int) error) []func(int) error {
	out := make([]func(int) error, n)
	for i := range out {
		out[i] = f
	}
	return out
}

func TestDo(t *testing.T) {
	errPlain := errors.New("plain failure")
	const base = 4 * time.Millisecond
	tests := []struct {
		name      string
		policy    Policy
		errs      []func(int) error
		wantCalls int
		wantSleep []time.Duration // exact waits; nil: check count only
		nSleeps   int
		check     func(t *testing.T, err error)
	}{
		{
			name:      "success first try",
			policy:    Policy{Attempts: 3, Base: base, Max: time.Second},
			wantCalls: 1,
			check:     wantNil,
		},
		{
			name:      "plain error is not retried",
			policy:    Policy{Attempts: 3, Base: base, Max: time.Second},
			errs:      []func(int) error{plain(errPlain)},
			wantCalls: 1,
			check: func(t *testing.T, err error) {
				if err != errPlain {
					t.Fatalf("err = %v, want the plain error itself", err)
				}
			},
		},
		{
			name:      "non-retryable error returned at once",
			policy:    Policy{Attempts: 3, Base: base, Max: time.Second},
			errs:      []func(int) error{final()},
			wantCalls: 1,
			check:     wantFake(1, false),
		},
		{
			name:      "non-retryable after a retryable one",
			policy:    Policy{Attempts: 5, Base: base, Max: time.Second},
			errs:      []func(int) error{retryable(0), final(), retryable(0)},
			wantCalls: 2,
			nSleeps:   1,
			check:     wantFake(2, false),
		},
		{
			name:      "retryable succeeds on third attempt",
			policy:    Policy{Attempts: 5, Base: base, Max: time.Second},
			errs:      times(2, retryable(0)),
			wantCalls: 3,
			nSleeps:   2,
			check:     wantNil,
		},
		{
			name:      "server-asked wait is what is slept",
			policy:    Policy{Attempts: 5, Base: base, Max: time.Second},
			errs:      []func(int) error{retryable(7 * time.Millisecond), retryable(3 * time.Millisecond)},
			wantCalls: 3,
			wantSleep: []time.Duration{7 * time.Millisecond, 3 * time.Millisecond},
			check:     wantNil,
		},
		{
			name:      "attempts exhausted returns last error",
			policy:    Policy{Attempts: 3, Base: base, Max: time.Second},
			errs:      times(5, retryable(0)),
			wantCalls: 3,
			nSleeps:   2,
			check:     wantFake(3, false),
		},
		{
			name:      "attempts exhausted after Retry-After is out of time",
			policy:    Policy{Attempts: 2, Base: base, Max: time.Second},
			errs:      times(5, retryable(5*time.Millisecond)),
			wantCalls: 2,
			wantSleep: []time.Duration{5 * time.Millisecond},
			check:     wantOutOfTime(2, 5*time.Millisecond),
		},
		{
			name:      "attempts below one mean one",
			policy:    Policy{Attempts: 0, Base: base, Max: time.Second},
			errs:      times(5, retryable(0)),
			wantCalls: 1,
			check:     wantFake(1, false),
		},
		{
			name:      "negative attempts mean one",
			policy:    Policy{Attempts: -4, Base: base, Max: time.Second},
			errs:      times(5, retryable(0)),
			wantCalls: 1,
			check:     wantFake(1, false),
		},
		{
			name:      "Retry-After larger than Max is out of time at once",
			policy:    Policy{Attempts: 5, Base: base, Max: time.Second},
			errs:      times(5, retryable(90*time.Second)),
			wantCalls: 1,
			check:     wantOutOfTime(1, 90*time.Second),
		},
		{
			name:      "Retry-After equal to Max is waited",
			policy:    Policy{Attempts: 5, Base: base, Max: 20 * time.Millisecond},
			errs:      []func(int) error{retryable(20 * time.Millisecond)},
			wantCalls: 2,
			wantSleep: []time.Duration{20 * time.Millisecond},
			check:     wantNil,
		},
		{
			name:      "no Max: any Retry-After is waited",
			policy:    Policy{Attempts: 5, Base: base},
			errs:      []func(int) error{retryable(time.Hour)},
			wantCalls: 2,
			wantSleep: []time.Duration{time.Hour},
			check:     wantNil,
		},
		{
			name:      "wrapped retryable error is retried",
			policy:    Policy{Attempts: 5, Base: base, Max: time.Second},
			errs:      times(2, func(n int) error { return fmt.Errorf("call %d: %w", n, &fakeErr{again: true, n: n}) }),
			wantCalls: 3,
			nSleeps:   2,
			check:     wantNil,
		},
		{
			name:   "wrapped retryable error exhausted is returned as is",
			policy: Policy{Attempts: 2, Base: base, Max: time.Second},
			errs: times(5, func(n int) error {
				return fmt.Errorf("outer: %w", fmt.Errorf("call %d: %w", n, &fakeErr{again: true, n: n}))
			}),
			wantCalls: 2,
			nSleeps:   1,
			check: func(t *testing.T, err error) {
				if err == nil || err.Error() != "outer: call 2: fake failure 2" {
					t.Fatalf("err = %v, want the last wrapped error", err)
				}
				wantFake(2, false)(t, err)
			},
		},
		{
			name:      "wrapped Retry-After over Max",
			policy:    Policy{Attempts: 5, Base: base, Max: time.Second},
			errs:      times(5, func(n int) error { return fmt.Errorf("x: %w", &fakeErr{again: true, after: time.Minute, n: n}) }),
			wantCalls: 1,
			check:     wantOutOfTime(1, time.Minute),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			waits := recordSleep(t)
			fn, calls := script(tt.errs...)
			err := tt.policy.Do(context.Background(), fn)
			tt.check(t, err)
			if *calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", *calls, tt.wantCalls)
			}
			if tt.wantSleep != nil {
				if fmt.Sprint(*waits) != fmt.Sprint(tt.wantSleep) {
					t.Errorf("waits = %v, want %v", *waits, tt.wantSleep)
				}
			} else if len(*waits) != tt.nSleeps {
				t.Errorf("slept %d times (%v), want %d", len(*waits), *waits, tt.nSleeps)
			}
		})
	}
}

func wantNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("err = %v, want nil", err)
	}
}

// wantFake checks err is (or wraps) the fakeErr of call n, and whether it
// must be an OutOfTimeError.
func wantFake(n int, outOfTime bool) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var fe *fakeErr
		if !errors.As(err, &fe) || fe.n != n {
			t.Fatalf("err = %v, want the failure of call %d", err, n)
		}
		var oe *OutOfTimeError
		if got := errors.As(err, &oe); got != outOfTime {
			t.Fatalf("err = %T %v: OutOfTimeError %v, want %v", err, err, got, outOfTime)
		}
	}
}

func wantOutOfTime(n int, wait time.Duration) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		wantFake(n, true)(t, err)
		var oe *OutOfTimeError
		errors.As(err, &oe)
		if oe.Wait != wait {
			t.Fatalf("Wait = %v, want %v", oe.Wait, wait)
		}
	}
}

func TestDoBackoffWaits(t *testing.T) {
	waits := recordSleep(t)
	const base = 4 * time.Millisecond
	p := Policy{Attempts: 5, Base: base, Max: 10 * time.Millisecond}
	fn, calls := script(times(4, retryable(0))...)
	if err := p.Do(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
	if *calls != 5 || len(*waits) != 4 {
		t.Fatalf("calls %d, waits %v; want 5 calls, 4 waits", *calls, *waits)
	}
	// Full jitter in [d/2, d], d = base, 2·base, then capped at Max.
	caps := []time.Duration{base, 2 * base, 10 * time.Millisecond, 10 * time.Millisecond}
	for i, w := range *waits {
		if w < caps[i]/2 || w > caps[i] {
			t.Errorf("wait %d = %v, want in [%v, %v]", i, w, caps[i]/2, caps[i])
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		p      Policy
		i      int
		lo, hi time.Duration
	}{
		{Policy{Base: 100 * time.Millisecond, Max: time.Second}, 0, 50 * time.Millisecond, 100 * time.Millisecond},
		{Policy{Base: 100 * time.Millisecond, Max: time.Second}, 1, 100 * time.Millisecond, 200 * time.Millisecond},
		{Policy{Base: 100 * time.Millisecond, Max: time.Second}, 3, 400 * time.Millisecond, 800 * time.Millisecond},
		{Policy{Base: 100 * time.Millisecond, Max: time.Second}, 4, 500 * time.Millisecond, time.Second},
		{Policy{Base: 100 * time.Millisecond, Max: time.Second}, 62, 500 * time.Millisecond, time.Second},
		{Policy{Base: 100 * time.Millisecond, Max: time.Second}, 200, 500 * time.Millisecond, time.Second},
		{Policy{Max: time.Second}, 0, 500 * time.Millisecond, time.Second},
		{Policy{}, 0, 0, 0},
	}
	for _, tt := range tests {
		for range 50 {
			if got := tt.p.backoff(tt.i); got < tt.lo || got > tt.hi {
				t.Fatalf("%+v.backoff(%d) = %v, want in [%v, %v]", tt.p, tt.i, got, tt.lo, tt.hi)
			}
		}
	}
}

func TestDoDeadlineTooClose(t *testing.T) {
	tests := []struct {
		name     string
		policy   Policy
		timeout  time.Duration
		err      func(int) error
		wantWait func(time.Duration) bool
	}{
		{
			name:     "Retry-After beyond the deadline",
			policy:   Policy{Attempts: 5, Base: time.Millisecond, Max: 10 * time.Second},
			timeout:  200 * time.Millisecond,
			err:      retryable(5 * time.Second),
			wantWait: func(w time.Duration) bool { return w == 5*time.Second },
		},
		{
			name:     "backoff beyond the deadline",
			policy:   Policy{Attempts: 5, Base: 4 * time.Second, Max: 10 * time.Second},
			timeout:  200 * time.Millisecond,
			err:      retryable(0),
			wantWait: func(w time.Duration) bool { return w >= 2*time.Second && w <= 4*time.Second },
		},
		{
			name:     "reserve eats the time left",
			policy:   Policy{Attempts: 5, Base: time.Millisecond, Max: 10 * time.Second, Reserve: 10 * time.Second},
			timeout:  5 * time.Second,
			err:      retryable(50 * time.Millisecond),
			wantWait: func(w time.Duration) bool { return w == 50*time.Millisecond },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			waits := recordSleep(t)
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			fn, calls := script(times(5, tt.err)...)
			err := tt.policy.Do(ctx, fn)
			if ctx.Err() != nil {
				t.Fatalf("Do returned only after the deadline: it must give up at once")
			}
			var oe *OutOfTimeError
			if !errors.As(err, &oe) {
				t.Fatalf("err = %v, want *OutOfTimeError", err)
			}
			if !tt.wantWait(oe.Wait) {
				t.Errorf("Wait = %v, not the expected wait", oe.Wait)
			}
			var fe *fakeErr
			if !errors.As(err, &fe) || fe.n != 1 {
				t.Errorf("err = %v, want it to wrap the first failure", err)
			}
			if *calls != 1 {
				t.Errorf("calls = %d, want 1", *calls)
			}
			if len(*waits) != 0 {
				t.Errorf("slept %v, want no sleep", *waits)
			}
		})
	}
}

func TestDoWaitFitsBeforeDeadline(t *testing.T) {
	waits := recordSleep(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fn, calls := script(retryable(2 * time.Second))
	p := Policy{Attempts: 3, Base: time.Millisecond, Max: 10 * time.Second, Reserve: time.Second}
	if err := p.Do(ctx, fn); err != nil {
		t.Fatalf("err = %v, want nil", err)
	}
	if *calls != 2 || fmt.Sprint(*waits) != "[2s]" {
		t.Fatalf("calls %d, waits %v; want 2 calls and one 2s wait", *calls, *waits)
	}
}

func TestDoContextCancelledDuringSleep(t *testing.T) {
	// Real sleep: the backoff is an hour, so only the cancel can end it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fn, calls := script(times(5, retryable(0))...)
	p := Policy{Attempts: 5, Base: time.Hour, Max: time.Hour}
	done := make(chan error, 1)
	go func() { done <- p.Do(ctx, fn) }()
	time.AfterFunc(10*time.Millisecond, cancel)
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Do = nil after cancel, want an error")
		}
		var fe *fakeErr
		if !errors.As(err, &fe) && !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want the call's failure or context.Canceled", err)
		}
		if *calls != 1 {
			t.Errorf("calls = %d, want 1 (no call after the cancel)", *calls)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Do kept sleeping after the context was cancelled")
	}
}

func TestDoPassesContext(t *testing.T) {
	recordSleep(t)
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "v")
	var seen []any
	fn := func(ctx context.Context) error {
		seen = append(seen, ctx.Value(key{}))
		if len(seen) < 2 {
			return &fakeErr{again: true}
		}
		return nil
	}
	if err := (Policy{Attempts: 3, Base: time.Millisecond}).Do(ctx, fn); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[v v]" {
		t.Fatalf("fn saw %v, want the caller's context each time", seen)
	}
}

func TestOutOfTimeError(t *testing.T) {
	inner := &fakeErr{n: 7}
	err := error(&OutOfTimeError{Err: fmt.Errorf("zendesk: %w", inner), Wait: 2600 * time.Millisecond})
	msg := err.Error()
	if !strings.Contains(msg, "zendesk: fake failure 7") || !strings.Contains(msg, "3s") {
		t.Errorf("Error() = %q, want the cause and the wait rounded to seconds", msg)
	}
	var fe *fakeErr
	if !errors.As(err, &fe) || fe != inner {
		t.Errorf("errors.As through OutOfTimeError failed")
	}
	if !errors.Is(err, inner) {
		t.Errorf("errors.Is through OutOfTimeError failed")
	}
	wrapped := fmt.Errorf("call: %w", err)
	var oe *OutOfTimeError
	if !errors.As(wrapped, &oe) || oe.Wait != 2600*time.Millisecond {
		t.Errorf("errors.As(wrapped, *OutOfTimeError) failed: %v", wrapped)
	}
}

func TestObserverSeesEveryTry(t *testing.T) {
	recordSleep(t)
	var outer, inner []Attempt
	ctx := WithObserver(context.Background(), func(a Attempt) { outer = append(outer, a) })
	ctx = WithObserver(ctx, func(a Attempt) { inner = append(inner, a) })
	fn, calls := script(retryable(0), retryable(0))
	if err := (Policy{Attempts: 3}).Do(ctx, fn); err != nil || *calls != 3 {
		t.Fatalf("err %v after %d calls", err, *calls)
	}
	for name, got := range map[string][]Attempt{"inner": inner, "outer": outer} {
		if len(got) != 3 {
			t.Fatalf("%s observer saw %d tries, want 3", name, len(got))
		}
		for i, a := range got {
			if a.N != i || (a.Err == nil) != (i == 2) || a.Took < 0 {
				t.Errorf("%s try %d = %+v", name, i, a)
			}
		}
	}
	// Without an observer nothing changes.
	fn, calls = script(retryable(0))
	if err := (Policy{Attempts: 3}).Do(context.Background(), fn); err != nil || *calls != 2 {
		t.Fatalf("err %v after %d calls", err, *calls)
	}
}
