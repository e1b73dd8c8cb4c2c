package tickets_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// withQueue gives the fixture a retry queue and a memory of filed tickets,
// all on its clock, as the stand-in's idempotency records are.
func withQueue(f *fixture) *queue.Memory {
	q := &queue.Memory{Now: func() time.Time { return f.clock }}
	filed := dedupe.NewMemory()
	filed.Now = q.Now
	svc := f.h.(*tickets.Handler).Service
	svc.Queue, svc.Filed, svc.Now = q, filed, q.Now
	f.zd.Now = q.Now
	return q
}

func consume(t *testing.T, f *fixture, q *queue.Memory) []queue.Result {
	t.Helper()
	recs := q.Receive(100)
	res := f.h.(*tickets.Handler).Consume(context.Background(), recs)
	q.Settle(recs, res)
	return res
}

var down = []zendesktest.Reply{{Status: 503}, {Status: 503}, {Status: 503}}

func TestOutageQueuesTheTicket(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	f.zd.Script(zendesktest.TicketsPath, down...)
	resp, out := f.send(t, seedBody, "idempotency-key", "dispatch-9")
	if resp.Status != 202 || out["queued"] != true || q.Len() != 1 {
		t.Fatalf("%d %s, queue %d", resp.Status, resp.Body, q.Len())
	}
	msg := string(q.Receive(1)[0].Body)
	for _, secret := range []string{apiToken, hookToken, agentEmail} {
		if strings.Contains(msg, secret) {
			t.Errorf("the queue message holds %q", secret)
		}
	}
	f.clock = f.clock.Add(time.Hour)
	if res := consume(t, f, q); len(res) != 1 || res[0].Failed {
		t.Fatalf("consumer: %+v", res)
	}
	tk := f.zd.Tickets()
	key := tickets.IdempotencyKey("dispatch-9", nil, "external_id:user-123")
	if len(tk) != 1 || tk[0]["external_id"] != key {
		t.Fatalf("tickets = %v, want one carrying its key as external_id", tk)
	}
	reqs := f.zd.RequestsTo(zendesktest.TicketsPath)
	if k := reqs[len(reqs)-1].Header.Get("Idempotency-Key"); k != key {
		t.Errorf("the queued ticket was filed under %q, want its own key %q", k, key)
	}
	// SQS delivers the message again: no second ticket.
	q.Send(context.Background(), []byte(msg))
	consume(t, f, q)
	if n := len(f.zd.Tickets()); n != 1 {
		t.Errorf("tickets = %d after a redelivered message, want 1", n)
	}
}

// Zendesk made the ticket but its answer was lost; the queued retry files
// no second one, within Zendesk's 2-hour idempotency window and past it.
func TestLostAnswerIsNotFiledTwice(t *testing.T) {
	for _, later := range []time.Duration{time.Minute, 3 * time.Hour} {
		t.Run(later.String(), func(t *testing.T) {
			f := newFixture(t)
			q := withQueue(f)
			// Go's transport itself sends a request with an Idempotency-Key
			// again when its connection closes: that is the first 503.
			f.zd.Script(zendesktest.TicketsPath, zendesktest.Reply{Lost: true})
			f.zd.Script(zendesktest.TicketsPath, down...)
			if resp, _ := f.send(t, seedBody, "idempotency-key", "dispatch-7"); resp.Status != 202 {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			f.clock = f.clock.Add(later)
			if res := consume(t, f, q); len(res) != 1 || res[0].Failed {
				t.Fatalf("consumer: %+v", res)
			}
			if n := len(f.zd.Tickets()); n != 1 {
				t.Fatalf("tickets = %d, want 1", n)
			}
		})
	}
}

func TestQueuedTicketOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		script  []zendesktest.Reply
		failed  bool
		after   time.Duration
		tickets int
	}{
		{"filed", nil, false, 0, 1},
		{"still down", down, true, time.Minute, 0},
		{"rate limited", []zendesktest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "600"}}}, true, 600 * time.Second, 0},
		{"token revoked", []zendesktest.Reply{{Status: 401}, {Status: 401}}, true, time.Minute, 0},
		{"refused", []zendesktest.Reply{{Status: 422, Body: `{"error": "RecordInvalid", "description": "Record validation errors"}`}}, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			q := withQueue(f)
			f.zd.Script(zendesktest.TicketsPath, down...)
			if resp, _ := f.send(t, seedBody); resp.Status != 202 {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			f.clock = f.clock.Add(time.Hour)
			f.zd.Script(zendesktest.TicketsPath, tc.script...)
			res := consume(t, f, q)
			if len(res) != 1 || res[0].Failed != tc.failed || res[0].After != tc.after {
				t.Errorf("result %+v, want failed %v after %s", res, tc.failed, tc.after)
			}
			if n := len(f.zd.Tickets()); n != tc.tickets {
				t.Errorf("tickets = %d, want %d", n, tc.tickets)
			}
		})
	}
}

// Bad input and refusals are never queued.
func TestRefusalsAreNotQueued(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	f.send(t, `{"ticket": {"comment": {"body": "no requester"}}}`)
	f.zd.Script(zendesktest.TicketsPath, zendesktest.Reply{Status: 422, Body: `{"error": "RecordInvalid"}`})
	f.send(t, seedBody)
	f.send(t, seedBody, "authorization", "Bearer wrong")
	if q.Len() != 0 {
		t.Errorf("queue holds %d messages, want none", q.Len())
	}
}

type failingQueue struct{}

func (failingQueue) Send(context.Context, []byte) error { return errors.New("sqs down") }

func TestQueueDownAnswersAsBefore(t *testing.T) {
	f := newFixture(t)
	withQueue(f)
	f.h.(*tickets.Handler).Service.Queue = failingQueue{}
	f.zd.Script(zendesktest.TicketsPath, down...)
	if resp, _ := f.send(t, seedBody); resp.Status != 503 {
		t.Errorf("%d %s, want Zendesk's 503", resp.Status, resp.Body)
	}
}

type unreachableTable struct{ dedupe.Tickets }

func (unreachableTable) FiledTicket(context.Context, string) (int64, bool, error) {
	return 0, false, errors.New("dynamodb: connection reset")
}

// A table that cannot be read says nothing of whether the ticket was
// filed: the record stays on the queue, never dropped.
func TestUnreadableTableKeepsTheRecord(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f)
	f.zd.Script(zendesktest.TicketsPath, down...)
	if resp, _ := f.send(t, seedBody); resp.Status != 202 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	f.h.(*tickets.Handler).Service.Filed = unreachableTable{}
	f.clock = f.clock.Add(time.Hour)
	if res := consume(t, f, q); len(res) != 1 || !res[0].Failed || q.Len() != 1 || len(f.zd.Tickets()) != 0 {
		t.Fatalf("results %+v, queue %d, tickets %d; want the record kept and nothing filed", res, q.Len(), len(f.zd.Tickets()))
	}
}
