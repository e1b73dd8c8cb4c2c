package tickets_test

import (
	"context"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/pacing"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// spentBudget is the shared budget with this window used up by other
// containers, on a clock that does not move: no call fits in time.
func spentBudget(t *testing.T, f *fixture) {
	// The start of a window: the next is a whole window away.
	start := time.UnixMilli(clocktest.New().Now().UnixMilli() / pacing.Window.Milliseconds() * pacing.Window.Milliseconds())
	counter := pacing.NewMemory()
	b := &pacing.Budget{Counter: counter, PerMinute: 21, Now: func() time.Time { return start }}
	counter.Take(t.Context(), start.UnixMilli()/pacing.Window.Milliseconds(), 1)
	f.h.(*tickets.Handler).Service.Zendesk.(*zendesk.Client).Pace = b
}

// A webhook whose Zendesk calls the shared budget cannot fit in its time
// is queued, as a Zendesk 429 is, and Zendesk is not called.
func TestSpentBudgetQueuesTheTicket(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	spentBudget(t, f)
	resp, out := f.sendCtx(t, within(t, time.Second), seedBody)
	if resp.Status != 202 || out["queued"] != true || q.Len() != 1 {
		t.Fatalf("%d %s, %d queued", resp.Status, resp.Body, q.Len())
	}
	if n := len(f.zd.Requests()); n != 0 {
		t.Fatalf("%d Zendesk calls past the budget", n)
	}
}

// Without a queue, it is a 429 with the wait as Retry-After.
func TestSpentBudgetWithoutQueueIs429(t *testing.T) {
	f := newFixture(t)
	spentBudget(t, f)
	resp, _ := f.sendCtx(t, within(t, time.Second), seedBody)
	if resp.Status != 429 || resp.Header["retry-after"] != "3" {
		t.Fatalf("%d %v %s", resp.Status, resp.Header, resp.Body)
	}
}

// within is a context that ends after d: less than a window.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
