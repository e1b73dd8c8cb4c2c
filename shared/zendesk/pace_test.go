package zendesk_test

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/pacing"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// Containers sharing one budget of the plan's size never meet the
// plan's 429, however many calls they make at once.
func TestSharedBudgetMeetsNo429(t *testing.T) {
	zd := zendesktest.New(agent, token)
	t.Cleanup(zd.Close)
	clock := clocktest.New()
	zd.Now = clock.Now
	zd.SetRateLimit(60)
	counter := pacing.NewMemory() // the table every container shares
	base, _ := url.Parse(zd.URL)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := zendesk.New(base, zd.Client(), cred)
			c.Retry = fastRetry
			c.Pace = &pacing.Budget{Counter: counter, PerMinute: 60, Now: clock.Now,
				Sleep: func(context.Context, time.Duration) error { clock.Add(pacing.Window); return nil }}
			for range 40 {
				if _, err := c.FindTicketByExternalID(context.Background(), "x"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := zd.RateLimited(); n != 0 {
		t.Fatalf("the stand-in refused %d calls with 429", n)
	}
	if n := len(zd.Requests()); n != 120 {
		t.Fatalf("%d requests, want 120", n)
	}
}

type spent struct{ waits int }

func (s *spent) Wait(context.Context) error {
	s.waits++
	return &pacing.ExhaustedError{Wait: 2 * time.Second}
}

// A budget spent past the deadline is a 429 of the bridge's own, with the
// wait as its Retry-After, and nothing is sent.
func TestSpentBudgetIsA429(t *testing.T) {
	c, zd := newClient(t)
	c.Retry.Attempts = 1
	p := &spent{}
	c.Pace = p
	_, err := c.FindTicketByExternalID(context.Background(), "x")
	var ze *zendesk.Error
	if !errors.As(err, &ze) || ze.Status != 429 || ze.RetryAfter != 2*time.Second {
		t.Fatalf("err = %v, want a 429 with Retry-After 2s", err)
	}
	if again, wait := ze.Retryable(); !again || wait != 2*time.Second {
		t.Fatalf("Retryable = %v, %s", again, wait)
	}
	if len(zd.Requests()) != 0 || p.waits != 1 {
		t.Fatalf("%d requests sent, %d waits", len(zd.Requests()), p.waits)
	}
}
