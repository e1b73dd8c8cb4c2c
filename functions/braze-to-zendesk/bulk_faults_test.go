package main

import (
	"context"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/faulttest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/tickets"
)

// inBulk puts a container in bulk mode as NewHandler does for
// TICKET_DELIVERY=bulk, with the table for claims and submissions, and
// job waits on the virtual clock.
func inBulk(h *tickets.Handler, store *dedupe.DynamoDB, clock *faulttest.Clock) {
	h.Service.Requesters = store
	h.Bulk = &tickets.BulkMode{Claims: store, Bulk: &tickets.Bulk{
		Service: h.Service, Zendesk: h.Service.Zendesk.(tickets.BulkZendesk), Submissions: store, Log: h.Log,
		Sleep: func(_ context.Context, d time.Duration) error { clock.Advance(d); return nil },
	}}
}

// TestFaultSuiteBulk: deliveries in bulk mode through two containers
// sharing one table and one queue on moto (batches of 1,000, as the
// template's), with half the Zendesk calls faulted (every kind: lost
// answers, resets, 5xx, 429s, slow answers) and Braze retrying: every
// webhook answered 202, every ticket filed exactly once, in a fraction of
// a call a ticket.
func TestFaultSuiteBulk(t *testing.T) {
	const n = 300
	moto := mototest.Start(t)
	f := newFleet(t, moto, fleetConfig{seed: 20261205, rate: 0.50, dynamoDB: moto.Endpoint, sqs: moto.Endpoint, bulk: true})
	r := f.run(n, 50)
	began := time.Now()
	ds := r.Go(t)
	o := f.verify(t, n)
	f.figures(t, r, ds, o, time.Since(began))
	if o.tickets != n || o.keys != n || o.lost != 0 || o.doubled != 0 {
		t.Errorf("want exactly %d tickets, one per delivery", n)
	}
	if got := f.faults.Faults(); len(got) < len(faulttest.Kinds) {
		t.Errorf("not every kind of fault struck: %v", got)
	}
	if calls := f.faults.Calls(); calls > n/2 {
		t.Errorf("%d Zendesk calls for %d tickets: bulk mode should need far fewer", calls, n)
	}
}
