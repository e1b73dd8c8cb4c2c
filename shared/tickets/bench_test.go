package tickets_test

import (
	"fmt"
	"testing"

	"github.com/brazezendesk/bridge/shared/dedupe"
)

// benchDirect files b.N tickets in direct mode, each for a requester made
// by body(i), after warm ones, and reports the Zendesk calls a ticket
// cost. (The fixture's helpers take a *testing.T; failures are the
// benchmark's own b.Fatalf.)
func benchDirect(b *testing.B, warm int, body func(i int) string) {
	t := &testing.T{}
	f, _ := remembering(t, dedupe.NewMemory())
	b.Cleanup(f.zd.Close)
	for i := range warm {
		if resp, _ := f.send(t, body(-1-i), "idempotency-key", fmt.Sprint("warm-", i)); resp.Status != 201 {
			b.Fatalf("warm-up: %d %s", resp.Status, resp.Body)
		}
	}
	calls, tickets := 0, 0
	for i := 0; b.Loop(); i++ {
		before := len(f.zd.Requests())
		resp, _ := f.send(t, body(i), "idempotency-key", fmt.Sprint("bench-", i))
		if resp.Status != 201 {
			b.Fatalf("status %d: %s", resp.Status, resp.Body)
		}
		calls += len(f.zd.Requests()) - before
		tickets++
	}
	b.ReportMetric(float64(calls)/float64(tickets), "zendesk-calls/ticket")
}

// A requester the bridge has filed for before: the ticket call alone.
func BenchmarkDirectKnownRequester(b *testing.B) {
	benchDirect(b, 1, func(int) string { return ticketFor("known-1", "known@example.com") })
}

// A new person every time: the external id looked up, the user created,
// the ticket.
func BenchmarkDirectNewRequester(b *testing.B) {
	benchDirect(b, 0, func(i int) string { return ticketFor(fmt.Sprint("new-", i), fmt.Sprintf("new-%d@example.com", i)) })
}
