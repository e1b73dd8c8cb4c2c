package dedupe_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/mototest"
)

// quickRetries is the SDK's standard retryer with backoffs too short to
// matter.
func quickRetries(o *dynamodb.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	})
}

// A table that cannot be reached, throttles or fails is an error of the
// store (never ErrLost, which would say the claim is gone), returned
// within the caller's time; the store works again once the table answers.
func TestDynamoDBFaults(t *testing.T) {
	m := mototest.Start(t)
	p := mototest.StartFaultProxy(t, m)
	name, _ := newTable(t, m)
	clock := clocktest.New()
	d := dedupe.NewDynamoDB(p.DynamoDB(t, quickRetries), name)
	d.Now, d.Sleep = clock.Now, (&sleeps{}).Sleep
	s := subject{store: d, clock: clock}

	const signature = "c2lnbmF0dXJl" // must never reach an error's text
	held := s.want(t, s.req("held"), dedupe.Claimed, 0)
	ok(t, "RememberTicket", s.RememberTicket(ctx, "k", 42))
	ops := []struct {
		name string
		do   func(ctx context.Context) error
	}{
		{"Claim", func(ctx context.Context) error { _, err := s.Claim(ctx, s.req("new")); return err }},
		{"Claim with a replay key", func(ctx context.Context) error { _, err := s.Claim(ctx, s.replay("new", signature)); return err }},
		{"Progress", func(ctx context.Context) error { return s.Progress(ctx, "held", held.Token, 1) }},
		{"Complete", func(ctx context.Context) error { return s.Complete(ctx, "held", held.Token) }},
		{"Queue", func(ctx context.Context) error { return s.Queue(ctx, "held", held.Token) }},
		{"Release", func(ctx context.Context) error { return s.Release(ctx, "held", held.Token) }},
		{"FiledTicket", func(ctx context.Context) error { _, _, err := s.FiledTicket(ctx, "k"); return err }},
		{"RememberTicket", func(ctx context.Context) error { return s.RememberTicket(ctx, "k", 43) }},
	}
	faults := []struct {
		mode   mototest.Mode
		budget time.Duration // the caller's time
		code   string        // the API error behind the store's, if any
	}{
		{mototest.Throttle, 5 * time.Second, "ThrottlingException"},
		{mototest.ServerError, 5 * time.Second, "InternalServiceError"},
		{mototest.CloseConn, 5 * time.Second, ""},
		{mototest.Hang, 300 * time.Millisecond, ""},
	}
	for _, f := range faults {
		t.Run(f.mode.String(), func(t *testing.T) {
			p.Set(f.mode)
			defer p.Set(mototest.Pass)
			for _, op := range ops {
				callCtx, cancel := context.WithTimeout(ctx, f.budget)
				before, start := p.Requests(), time.Now()
				err := op.do(callCtx)
				took := time.Since(start)
				cancel()
				storeError(t, err, nil)
				if took > f.budget+time.Second {
					t.Errorf("%s took %v with %v to answer", op.name, took, f.budget)
				}
				if p.Requests() == before {
					t.Errorf("%s: no request reached the proxy", op.name)
				}
				var api smithy.APIError
				if f.code != "" && (!errors.As(err, &api) || api.ErrorCode() != f.code) {
					t.Errorf("%s: the SDK's %s is not in the chain of %v", op.name, f.code, err)
				}
				if msg := err.Error(); !strings.Contains(msg, "dedupe") || strings.Contains(msg, signature) {
					t.Errorf("%s: error %q lacks context or carries the signature", op.name, msg)
				}
			}
		})
	}

	t.Run("recovers when the table answers again", func(t *testing.T) {
		p.Set(mototest.Pass)
		s.want(t, s.req("held"), dedupe.Busy, 0) // no fault changed a record
		if id, found, err := s.FiledTicket(ctx, "k"); err != nil || !found || id != 42 {
			t.Fatalf("FiledTicket = %d, %v, %v; want 42", id, found, err)
		}
		ok(t, "Progress", s.Progress(ctx, "held", held.Token, 1))
		ok(t, "Complete", s.Complete(ctx, "held", held.Token))
		s.want(t, s.req("held"), dedupe.Duplicate, 0)
		s.want(t, s.replay("new", signature), dedupe.Claimed, 0)
	})
}
