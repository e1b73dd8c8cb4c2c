package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/faulttest"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// TestTwoContainersShareOneTable runs two emulators of the built bootstrap,
// both with DEDUPE_TABLE (one table on one moto), RETRY_QUEUE_URL and the
// same secret, as two warm containers of one function.
func TestTwoContainersShareOneTable(t *testing.T) {
	moto := mototest.Start(t)
	moto.Put(t, secretID, map[string]string{"zendesk_email": agent, "zendesk_api_token": zdToken, "braze_webhook_token": hookToken})
	moto.CreateTable(t, dedupeTable)
	url, dlq := moto.CreateQueue(t, "braze-to-zendesk-retry", 10)
	zd := zendesktest.New(agent, zdToken)
	t.Cleanup(zd.Close)
	vars := append(moto.Env(), "SECRET_ID="+secretID, "ZENDESK_BASE_URL="+zd.URL,
		"DEDUPE_TABLE="+dedupeTable, "RETRY_QUEUE_URL="+url)
	bin := lambdatest.Build(t, "braze-to-zendesk")
	var a, b *lambdatest.Function
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = lambdatest.Start(t, bin, vars...) }()
	go func() { defer wg.Done(); b = lambdatest.Start(t, bin, vars...) }()
	wg.Wait()
	if a == nil || b == nil {
		t.FailNow()
	}
	webhook := func(t *testing.T, dispatch string) events.APIGatewayV2HTTPRequest {
		t.Helper()
		ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "braze-to-zendesk-clean.json"))
		ev.Headers["idempotency-key"] = dispatch + "-user-456"
		ev.Body = strings.ReplaceAll(ev.Body, "braze-dispatch-1-user-456", "braze-"+dispatch+"-user-456")
		return ev
	}
	posts := func() int {
		n := 0
		for _, r := range zd.RequestsTo(zendesktest.TicketsPath) {
			if r.Method == "POST" {
				n++
			}
		}
		return n
	}

	t.Run("A then B", func(t *testing.T) {
		ev := webhook(t, "dispatch-a-then-b")
		ra, rb := a.Invoke(t, ev), b.Invoke(t, ev)
		if ra.StatusCode != 201 || rb.StatusCode != 201 || lambdatest.JSON(t, ra)["ticket_id"] != lambdatest.JSON(t, rb)["ticket_id"] {
			t.Errorf("A: %d %s; B: %d %s; want 201 with one ticket id", ra.StatusCode, ra.Body, rb.StatusCode, rb.Body)
		}
		if n := len(zd.Tickets()); n != 1 {
			t.Errorf("tickets = %d, want 1", n)
		}
	})

	t.Run("queued by A, filed by B", func(t *testing.T) {
		before := len(zd.Tickets())
		ev := webhook(t, "dispatch-queued")
		down := zendesktest.Reply{Status: 503}
		zd.Script(zendesktest.TicketsPath, down, down, down) // every attempt the call has
		ra := a.Invoke(t, ev)
		if ra.StatusCode != 202 || lambdatest.JSON(t, ra)["queued"] != true {
			t.Fatalf("container A while Zendesk fails: %d %s, want 202 queued", ra.StatusCode, ra.Body)
		}
		sqsEvent, raw := faulttest.Event(t, moto, url)
		if len(sqsEvent.Records) != 1 {
			t.Fatalf("the queue holds %d records, want 1", len(sqsEvent.Records))
		}
		for i := range 2 { // SQS delivers a message twice now and then
			sent := posts()
			var resp events.SQSEventResponse
			out := b.InvokeRaw(t, raw)
			if err := json.Unmarshal(out, &resp); err != nil || resp.BatchItemFailures == nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("container B, SQS event %d: %s, want an empty batchItemFailures", i+1, out)
			}
			if n := len(zd.Tickets()) - before; n != 1 {
				t.Errorf("after SQS event %d Zendesk holds %d new tickets, want 1", i+1, n)
			}
			if i == 1 && posts() != sent {
				t.Error("the redelivered record was sent to Zendesk again: the ticket filed from the queue was not remembered in the table")
			}
		}
		moto.Settle(t, url, sqsEvent, events.SQSEventResponse{})
		// The same webhook again, to the other container: the same ticket.
		if rb := b.Invoke(t, ev); rb.StatusCode != 201 {
			t.Errorf("the webhook again: %d %s, want 201", rb.StatusCode, rb.Body)
		}
		if n := len(zd.Tickets()) - before; n != 1 {
			t.Errorf("Zendesk holds %d new tickets, want 1", n)
		}
		if q, d := moto.Count(t, url), moto.Count(t, dlq); q != 0 || d != 0 {
			t.Errorf("queue %d, dead letters %d; want none", q, d)
		}
	})
}

// TestDurabilityQueuedTicketSurvivesTableFault: a queued ticket whose SQS
// record arrives while the dedupe table cannot be reached (the consumer
// reads it to know whether the ticket was filed already) must stay on the
// queue, and be filed once the table answers again.
func TestDurabilityQueuedTicketSurvivesTableFault(t *testing.T) {
	for _, mode := range []mototest.Mode{mototest.Throttle, mototest.ServerError, mototest.CloseConn} {
		t.Run(mode.String(), func(t *testing.T) {
			moto := mototest.Start(t)
			proxy := mototest.StartFaultProxy(t, moto)
			f := newFleet(t, moto, fleetConfig{seed: 1, dynamoDB: proxy.Endpoint, sqs: moto.Endpoint})
			f.faults.SetOutage(503) // Zendesk fails: the webhook is queued
			if a := f.send(t.Context(), &faulttest.Delivery{N: 7}, 0); a.Status != 202 {
				t.Fatalf("while Zendesk fails: %d %s, want 202", a.Status, a.Body)
			}
			f.faults.SetOutage(0)
			proxy.Set(mode)
			f.pump.Round(t)
			if f.pump.Failed != 1 {
				t.Errorf("with the table unreachable the record was answered delivered (%d of %d failed): it left the queue unfiled",
					f.pump.Failed, f.pump.Records)
			}
			proxy.Set(mototest.Pass)
			for range 5 {
				if at, ok := f.pump.NextDue(); ok {
					f.clock.Set(at)
					f.pump.Round(t)
				}
			}
			n := 0
			for _, tk := range f.zd.Tickets() {
				if tk["external_id"] == key(7) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("the queued ticket was filed %d times, want once", n)
			}
			if q, d := moto.Count(t, f.url), moto.Count(t, f.dlq); q != 0 || d != 0 {
				t.Errorf("queue %d, dead letters %d; want none", q, d)
			}
		})
	}
}

// TestFaultsLostUserAnswerIsNoEmailConflict: Zendesk creates the requester
// but the answer is lost; the retry finds the email and the external id
// taken, both by that same new user. That is no conflict: the ticket must
// not be tagged braze_email_in_use (which tells an agent the email belongs
// to another person).
func TestFaultsLostUserAnswerIsNoEmailConflict(t *testing.T) {
	moto := mototest.Start(t)
	f := newFleet(t, moto, fleetConfig{seed: 1, dynamoDB: moto.Endpoint, sqs: moto.Endpoint})
	f.zd.Script(zendesktest.CreateUserPath, zendesktest.Reply{Lost: true})
	if a := f.send(t.Context(), &faulttest.Delivery{N: 0}, 0); a.Status != 201 {
		t.Fatalf("%d %s, want 201", a.Status, a.Body)
	}
	if users := f.zd.Users(); len(users) != 1 || users[0].Email != "user0@example.com" || users[0].ExternalID != "user-0" {
		t.Fatalf("users = %+v, want the one requester", users)
	}
	tk := f.zd.Tickets()
	if len(tk) != 1 {
		t.Fatalf("tickets = %d, want 1", len(tk))
	}
	tags, _ := tk[0]["tags"].([]any)
	if slices.Contains(tags, any(tickets.ConflictTag)) {
		t.Errorf("the ticket is tagged %s (tags %v), though its requester's email is the requester's own", tickets.ConflictTag, tags)
	}
}
