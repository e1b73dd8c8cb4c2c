package tickets_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/webhook"
)

// inBulkMode switches a fixture withQueue to bulk mode: shared stores,
// one clock the job waits move on.
func inBulkMode(f *fixture) *tickets.Handler {
	h := f.h.(*tickets.Handler)
	store := dedupe.NewMemory()
	store.Now = h.Service.Now
	h.Service.Requesters = store
	h.Bulk = &tickets.BulkMode{Claims: store, Bulk: &tickets.Bulk{Service: h.Service, Zendesk: h.Service.Zendesk.(tickets.BulkZendesk),
		Submissions: store, MaxWait: time.Minute,
		Sleep: func(_ context.Context, d time.Duration) error { f.clock = f.clock.Add(d); return nil }}}
	return h
}

// The webhook is verified, parsed, claimed and queued (202), a Braze
// retry of it is not queued twice, and the consumer files the queued
// tickets once, however often the queue delivers them.
func TestBulkModeQueuesThenFilesOnce(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	inBulkMode(f)
	bodies := []string{ticketFor("u1", "a@example.com"), ticketFor("u2", "b@example.com"), ticketFor("u3", "c@example.com")}
	for _, body := range bodies {
		for range 2 { // Braze's retry after a lost answer
			resp, out := f.send(t, body, "idempotency-key", "dispatch-1")
			if resp.Status != 202 || out["queued"] != true {
				t.Fatalf("status %d: %s", resp.Status, resp.Body)
			}
		}
	}
	if q.Len() != 3 || len(f.zd.Requests()) != 0 {
		t.Fatalf("%d queued, %d Zendesk calls; want 3 and none", q.Len(), len(f.zd.Requests()))
	}
	if resp, _ := f.send(t, ticketFor("u4", "d@example.com"), "authorization", "Bearer wrong"); resp.Status != 401 || q.Len() != 3 {
		t.Fatalf("a bad token: %d, %d queued", resp.Status, q.Len())
	}
	if resp, _ := f.send(t, `{"ticket": "nope"}`); resp.Status != 400 || q.Len() != 3 {
		t.Fatalf("a bad body: %d, %d queued", resp.Status, q.Len())
	}
	recs := q.Receive(10)
	res := f.h.(*tickets.Handler).Consume(context.Background(), append(recs, recs[0])) // delivered twice
	for i, r := range res {
		if r.Failed {
			t.Fatalf("record %d failed", i)
		}
	}
	q.Settle(recs, res[:len(recs)])
	// The queue delivers a batch again (its answer lost): nothing twice.
	f.h.(*tickets.Handler).Consume(context.Background(), recs)
	if n := len(f.zd.Tickets()); n != 3 {
		t.Fatalf("%d tickets, want 3", n)
	}
	for _, tk := range f.zd.Tickets() {
		if tk["external_id"] == nil || tk["requester_id"] == nil {
			t.Errorf("ticket without its key or requester: %v", tk)
		}
	}
}

// TICKET_DELIVERY other than direct or bulk, or bulk without a queue, is
// a misconfiguration that names what to fix.
func TestTicketDeliveryMisconfigured(t *testing.T) {
	for _, tc := range []struct {
		cfg  tickets.Config
		want string
	}{
		{tickets.Config{ZendeskSubdomain: "acme", Delivery: "batch"}, "TICKET_DELIVERY"},
		{tickets.Config{ZendeskSubdomain: "acme", Delivery: "bulk"}, "RETRY_QUEUE_URL"},
	} {
		h := tickets.NewHandler(tc.cfg, &webhook.Misconfig{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		resp := h.ServeWebhook(context.Background(), webhook.Request{Body: []byte(seedBody)})
		if resp.Status != 500 || !strings.Contains(string(resp.Body), tc.want) {
			t.Errorf("%+v: %d %s", tc.cfg, resp.Status, resp.Body)
		}
	}
	ok := tickets.NewHandler(tickets.Config{ZendeskSubdomain: "acme", Delivery: "bulk", Queue: &queue.Memory{}}, &webhook.Misconfig{})
	if ok.(*tickets.Handler).Bulk == nil {
		t.Error("bulk with a queue is not in bulk mode")
	}
}
