package dedupe_test

import (
	"context"
	"errors"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/mototest"
)

var (
	throttled = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	reset     = &smithyhttp.RequestSendError{Err: syscall.ECONNRESET}
	refused   = &smithy.GenericAPIError{Code: "ValidationException", Message: "refused", Fault: smithy.FaultClient}
)

// failUpdates makes the next n UpdateItems fail with err, after their
// write when landed.
func failUpdates(sp *spy, n int, err error, landed bool) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.fault = func(op string) (error, bool) {
		if op != "UpdateItem" || n == 0 {
			return nil, false
		}
		n--
		return err, landed
	}
}

// Complete, Progress and Queue record what has already happened: after a
// passing fault they write again, within the caller's time, and an
// earlier attempt that landed counts as done.
func TestDynamoDBHeldRetries(t *testing.T) {
	m := mototest.Start(t)
	ms := time.Millisecond
	cases := []struct {
		name      string
		op        string // Complete, Queue, Progress or Release
		failures  int
		err       error
		landed    bool
		wantErr   bool
		wantWaits []time.Duration
	}{
		{"Complete throttled once", "Complete", 1, throttled, false, false, []time.Duration{50 * ms}},
		{"Complete whose answer was lost after it landed", "Complete", 1, reset, true, false, []time.Duration{50 * ms}},
		{"Complete failing three times", "Complete", 3, reset, false, false, []time.Duration{50 * ms, 100 * ms, 200 * ms}},
		{"Complete failing for good", "Complete", 99, throttled, false, true, []time.Duration{50 * ms, 100 * ms, 200 * ms}},
		{"Complete refused", "Complete", 99, refused, false, true, nil},
		{"Queue whose answer was lost after it landed", "Queue", 1, reset, true, false, []time.Duration{50 * ms}},
		{"Progress whose answer was lost after it landed", "Progress", 1, reset, true, false, []time.Duration{50 * ms}},
		{"Release is not retried", "Release", 1, throttled, false, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, d, sp, sl := spied(t, m)
			c := s.want(t, s.req("a"), dedupe.Claimed, 0)
			failUpdates(sp, tc.failures, tc.err, tc.landed)
			sp.counts()
			var err error
			switch tc.op {
			case "Complete":
				err = d.Complete(ctx, "a", c.Token)
			case "Queue":
				err = d.Queue(ctx, "a", c.Token)
			case "Progress":
				err = d.Progress(ctx, "a", c.Token, 1)
			case "Release":
				err = d.Release(ctx, "a", c.Token)
			}
			calls, _ := sp.counts()
			if wantCalls := len(tc.wantWaits) + 1; calls["UpdateItem"] != wantCalls {
				t.Errorf("%s made %d UpdateItems, want %d", tc.op, calls["UpdateItem"], wantCalls)
			}
			if got := sl.waits(); !slices.Equal(got, tc.wantWaits) {
				t.Errorf("waits %v, want %v", got, tc.wantWaits)
			}
			failUpdates(sp, 0, nil, false)
			if tc.wantErr {
				storeError(t, err, tc.err)
				s.want(t, s.req("a"), dedupe.Busy, 0) // the claim still holds
				return
			}
			ok(t, tc.op, err)
			switch tc.op {
			case "Complete":
				s.want(t, fromQueue(s.req("a")), dedupe.Duplicate, 0)
			case "Queue":
				s.want(t, s.req("a"), dedupe.Duplicate, 0)
				s.want(t, fromQueue(s.req("a")), dedupe.Claimed, 0)
			case "Progress":
				ok(t, "Release", d.Release(ctx, "a", c.Token))
				s.want(t, s.req("a"), dedupe.Claimed, 1)
			}
		})
	}

	t.Run("no wait that outlasts the caller's time", func(t *testing.T) {
		s, d, sp, sl := spied(t, m)
		c := s.want(t, s.req("a"), dedupe.Claimed, 0)
		failUpdates(sp, 99, throttled, false)
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		storeError(t, d.Complete(short, "a", c.Token), throttled)
		if got := sl.waits(); len(got) != 0 {
			t.Errorf("waited %v with 20ms left", got)
		}
	})

	t.Run("a cancelled caller stops the retries", func(t *testing.T) {
		s, d, sp, _ := spied(t, m)
		c := s.want(t, s.req("a"), dedupe.Claimed, 0)
		cancelled, cancel := context.WithCancel(ctx)
		sp.mu.Lock()
		sp.fault = func(op string) (error, bool) {
			cancel() // the caller gives up while the first attempt is out
			return throttled, false
		}
		sp.mu.Unlock()
		sp.counts()
		storeError(t, d.Complete(cancelled, "a", c.Token), throttled)
		if calls, _ := sp.counts(); calls["UpdateItem"] != 1 {
			t.Errorf("made %d UpdateItems after the caller gave up, want 1", calls["UpdateItem"])
		}
	})
}

// storeError fails unless err is a store's error: not ErrLost, with cause
// in its chain, and context in its text.
func storeError(t *testing.T, err, cause error) {
	t.Helper()
	if err == nil || errors.Is(err, dedupe.ErrLost) {
		t.Fatalf("err = %v, want a store error", err)
	}
	if cause != nil && !errors.Is(err, cause) {
		t.Errorf("err = %v, want %v in its chain", err, cause)
	}
}
