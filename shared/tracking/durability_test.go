package tracking_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// withQueue gives the fixture a retry queue on its clock.
func withQueue(f *fixture, queued bool) *queue.Memory {
	q := &queue.Memory{Now: func() time.Time { return f.clock }}
	f.h.Service.Queue = q
	f.h.Service.Queued = queued
	return q
}

// drain delivers the visible records as Lambda's event source would, and
// answers the results.
func drain(t *testing.T, f *fixture, q *queue.Memory) []queue.Result {
	t.Helper()
	recs := q.Receive(10_000)
	res := f.h.Consume(context.Background(), recs)
	if len(res) != len(recs) {
		t.Fatalf("%d results for %d records", len(res), len(recs))
	}
	q.Settle(recs, res)
	return res
}

func TestInvocationIDBounded(t *testing.T) {
	f := newFixture(t)
	resp, out := f.send(t, flat, strings.Repeat("x", tracking.MaxInvocationID+1))
	if resp.Status != 400 || out["field"] != zendesk.InvocationIDHeader || len(f.bz.Requests()) != 0 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if strings.Contains(f.logs.String(), strings.Repeat("x", tracking.MaxInvocationID+1)) {
		t.Error("the oversized id was logged")
	}
	if resp, _ := f.send(t, flat, strings.Repeat("y", tracking.MaxInvocationID)); resp.Status != 200 {
		t.Errorf("an id of %d bytes: %d", tracking.MaxInvocationID, resp.Status)
	}
}

func TestEventsCarryTheInvocationID(t *testing.T) {
	f := newFixture(t)
	f.send(t, flat, "inv-prop")
	f.send(t, `{"events": [{"external_id": "u", "name": "a"}, {"external_id": "u", "name": "b", "properties": {"k": 1}}]}`, "inv-track")
	for _, ev := range f.bz.Events() {
		if ev["properties"].(map[string]any)[tracking.InvocationProperty] == nil {
			t.Errorf("event without the invocation id: %v", ev)
		}
	}
}

// A captured signed request sent again under fresh invocation ids is a
// duplicate: the signature is a second dedupe key.
func TestReplayWithFreshInvocationIDs(t *testing.T) {
	f := newFixture(t)
	f.send(t, flat, "inv-original")
	for i := range 50 {
		resp, out := f.send(t, flat, fmt.Sprint("forged-", i))
		if resp.Status != 200 || out["duplicate"] != true {
			t.Fatalf("replay %d: %d %s", i, resp.Status, resp.Body)
		}
	}
	if n := len(f.bz.Events()); n != 1 {
		t.Errorf("events = %d after 50 replays, want 1", n)
	}
	// Zendesk's own retry, re-signed later, carries the original id: still
	// one event.
	later := now.Add(time.Second).Format(time.RFC3339)
	f.send(t, flat, "inv-original", zendesk.SignatureTimestampHeader, later, zendesk.SignatureHeader, zendesk.Sign(hookSecret, later, []byte(flat)))
	if n := len(f.bz.Events()); n != 1 {
		t.Errorf("events = %d after Zendesk's retry, want 1", n)
	}
}

func TestConcurrentDuplicateIs409(t *testing.T) {
	f := newFixture(t)
	store := f.h.Service.Dedupe
	c, err := store.Claim(context.Background(), dedupe.ClaimRequest{ID: "inv-busy", Deadline: time.Now().Add(time.Minute)})
	if err != nil || c.Outcome != dedupe.Claimed {
		t.Fatal(c, err)
	}
	resp, out := f.send(t, flat, "inv-busy")
	if resp.Status != 409 || out["error"] == nil || len(f.bz.Requests()) != 0 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
}

type brokenStore struct{ dedupe.Store }

func (brokenStore) Claim(context.Context, dedupe.ClaimRequest) (dedupe.Claim, error) {
	return dedupe.Claim{}, errors.New("operation error DynamoDB: PutItem, https response error StatusCode: 500, RequestID: abc")
}

func TestStoreUnreachableIs503(t *testing.T) {
	f := newFixture(t)
	f.h.Service.Dedupe = brokenStore{}
	resp, _ := f.send(t, flat, "inv-x")
	if resp.Status != 503 || resp.Header["retry-after"] == "" || strings.Contains(string(resp.Body), "RequestID") || len(f.bz.Requests()) != 0 {
		t.Fatalf("%d %v %s", resp.Status, resp.Header, resp.Body)
	}
}

func TestFailedDeliveryIsQueuedThenDeliveredOnce(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f, false)
	fail := brazetest.Reply{Status: 503}
	f.bz.Script(brazetest.TrackPath, fail, fail, fail)
	resp, out := f.send(t, flat, "inv-q")
	if resp.Status != 202 || out["queued"] != true || q.Len() != 1 {
		t.Fatalf("%d %s, queue %d", resp.Status, resp.Body, q.Len())
	}
	msg := string(q.Receive(1)[0].Body)
	for _, secret := range []string{apiKey, hookSecret, zdToken, "x-zendesk-webhook-signature"} {
		if strings.Contains(msg, secret) {
			t.Errorf("a queue message holds %q", secret)
		}
	}
	f.clock = f.clock.Add(time.Hour) // past the visibility timeout
	// Zendesk's retry of a queued invocation is a duplicate.
	if resp, out := f.send(t, flat, "inv-q"); resp.Status != 200 || out["duplicate"] != true {
		t.Fatalf("Zendesk's retry: %d %s", resp.Status, resp.Body)
	}
	if res := drain(t, f, q); res[0].Failed {
		t.Fatalf("the consumer failed: %+v", res)
	}
	if n, m := len(f.bz.Events()), q.Len(); n != 1 || m != 0 {
		t.Fatalf("events %d, queue %d; want 1 and 0", n, m)
	}
	// SQS delivers a message twice now and then: Braze still sees it once.
	body := []byte(`{"invocation_id": "inv-q", "message": {"events": [{"external_id": "u", "name": "x"}]}}`)
	q.Send(context.Background(), body)
	drain(t, f, q)
	if n := len(f.bz.Events()); n != 1 {
		t.Errorf("events = %d after a redelivered message, want 1", n)
	}
}

func TestQueueConsumerOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		script   []brazetest.Reply
		failed   bool
		after    time.Duration
		events   int
		requeued bool // a Zendesk retry is still a duplicate
	}{
		{"accepted", nil, false, 0, 1, true},
		{"rate limited", []brazetest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "120"}}}, true, 120 * time.Second, 0, true},
		{"failing", []brazetest.Reply{{Status: 500}, {Status: 500}, {Status: 500}}, true, time.Minute, 0, true},
		{"key refused", []brazetest.Reply{{Status: 401}, {Status: 401}}, true, time.Minute, 0, true},
		{"body refused", []brazetest.Reply{{Status: 400, Body: `{"message": "Invalid"}`}}, false, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			q := withQueue(f, true)
			if resp, _ := f.send(t, flat, "inv-c"); resp.Status != 202 || len(f.bz.Requests()) != 0 {
				t.Fatalf("queued mode: %d %s, braze calls %d", resp.Status, resp.Body, len(f.bz.Requests()))
			}
			f.bz.Script(brazetest.TrackPath, tc.script...)
			res := drain(t, f, q)
			if res[0].Failed != tc.failed || res[0].After != tc.after {
				t.Errorf("result %+v, want failed %v after %s", res[0], tc.failed, tc.after)
			}
			if n := len(f.bz.Events()); n != tc.events {
				t.Errorf("events = %d, want %d", n, tc.events)
			}
			if resp, out := f.send(t, flat, "inv-c"); tc.requeued && (resp.Status != 200 || out["duplicate"] != true) {
				t.Errorf("Zendesk's retry after the consumer: %d %s", resp.Status, resp.Body)
			}
		})
	}
}

// Queued mode answers at once and the consumer merges a batch of records
// into /users/track calls of at most the contract's objects; a record
// larger than that (a /users/track body) goes in batches of its own.
func TestQueuedModeMergesRecords(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int // the contract's; 0: the default 75
		big   int // events in one /users/track body among the records; 0: none
		calls int
	}{
		{"default 75", 0, 0, 6},
		{"MAU contract: 50", braze.MAUObjects, 0, 8},
		{"MAU contract with a body of 120 events", braze.MAUObjects, 120, 8 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			limit := 75
			if tc.limit > 0 {
				limit = tc.limit
				f.bz.SetObjectsPerRequest(limit)
				f.h.Service.ObjectsPerRequest = limit
			}
			q := withQueue(f, true)
			const n = 400
			for i := range n {
				body := fmt.Sprintf(`{"ticket_id": "%d", "status": "solved", "external_id": "u%d", "subject": "s"}`, i+1, i)
				if resp, _ := f.send(t, body, fmt.Sprint("inv-", i)); resp.Status != 202 {
					t.Fatalf("%d: %d %s", i, resp.Status, resp.Body)
				}
			}
			if tc.big > 0 {
				var evs []string
				for i := range tc.big {
					evs = append(evs, fmt.Sprintf(`{"external_id": "b%d", "name": "bulk"}`, i))
				}
				if resp, _ := f.send(t, `{"events": [`+strings.Join(evs, ",")+`]}`, "inv-big"); resp.Status != 202 {
					t.Fatalf("big: %d %s", resp.Status, resp.Body)
				}
			}
			if len(f.bz.Requests()) != 0 {
				t.Fatal("queued mode called Braze")
			}
			drain(t, f, q)
			calls := f.bz.RequestsTo(brazetest.TrackPath)
			if len(f.bz.Events()) != n+tc.big || len(calls) != tc.calls || q.Len() != 0 {
				t.Fatalf("events %d in %d calls, queue %d; want %d in %d, 0", len(f.bz.Events()), len(calls), q.Len(), n+tc.big, tc.calls)
			}
			for _, r := range calls {
				var b braze.Track
				json.Unmarshal(r.Body, &b)
				if b.Len() > limit {
					t.Errorf("a call held %d objects, more than %d", b.Len(), limit)
				}
			}
		})
	}
}

func TestQueueWriteFailureAnswers503AndReleases(t *testing.T) {
	f := newFixture(t)
	f.h.Service.Queue = failingQueue{}
	fail := brazetest.Reply{Status: 503}
	f.bz.Script(brazetest.TrackPath, fail, fail, fail)
	if resp, _ := f.send(t, flat, "inv-nq"); resp.Status != 503 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if resp, _ := f.send(t, flat, "inv-nq"); resp.Status != 200 || len(f.bz.Events()) != 1 {
		t.Fatalf("Zendesk's retry must be delivered: %d %s", resp.Status, resp.Body)
	}
}

type failingQueue struct{}

func (failingQueue) Send(context.Context, []byte) error { return errors.New("sqs: unreachable") }

// A body that cannot be sent without a Zendesk read is refused at once in
// a function with no Zendesk account, in queued mode as in direct mode:
// queued, it would only fail on the queue. One whose read is optional (a
// trigger body naming its requester, whose subject is missing) is taken.
func TestNoZendeskRefusedInEveryMode(t *testing.T) {
	needs := []struct{ name, body string }{
		{"event webhook", event("ticket.created", 9, 77, ``)},
		{"trigger body naming no one", `{"ticket_id": "4211", "status": "Solved"}`},
		{"/users/track body addressed by ticket", `{"ticket_id": "4211", "events": [{"name": "zendesk_ticket_solved"}]}`},
	}
	for _, mode := range []struct {
		name          string
		queue, queued bool
		okStatus      int
	}{{"direct", false, false, 200}, {"direct with a queue", true, false, 200}, {"queued", true, true, 202}} {
		for _, tc := range needs {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				f := newFixture(t)
				f.h.Service.Zendesk = nil
				var q *queue.Memory
				if mode.queue {
					q = withQueue(f, mode.queued)
				}
				resp, out := f.send(t, tc.body, "inv-1")
				if resp.Status != 500 || !strings.Contains(fmt.Sprint(out["error"]), "ZENDESK_SUBDOMAIN") {
					t.Errorf("%d %s, want 500 naming ZENDESK_SUBDOMAIN", resp.Status, resp.Body)
				}
				if q != nil && q.Len() != 0 {
					t.Errorf("queued %d, want nothing", q.Len())
				}
				if len(f.bz.Requests()) != 0 {
					t.Error("Braze was called")
				}
			})
		}
		t.Run(mode.name+"/subject optional", func(t *testing.T) {
			f := newFixture(t)
			f.h.Service.Zendesk = nil
			if mode.queue {
				withQueue(f, mode.queued)
			}
			body := `{"ticket_id": "4211", "status": "Solved", "external_id": "user-123"}`
			if resp, _ := f.send(t, body, "inv-1"); resp.Status != mode.okStatus {
				t.Errorf("%d %s, want %d", resp.Status, resp.Body, mode.okStatus)
			}
		})
	}
}
