package tracking_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/liquidtest"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

func TestStateAttributes(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 11, 24, 10, m, 0, 0, time.UTC) }
	good := zendesk.Satisfaction{Score: "good"}
	bad := zendesk.Satisfaction{Score: "bad", Reason: "slow"}
	for _, tc := range []struct {
		name string
		ts   []zendesk.TicketState
		want map[string]any
	}{
		{"no tickets", nil, map[string]any{"zendesk_open_tickets": 0}},
		{"each unsolved status counts", []zendesk.TicketState{
			{ID: 1, Status: "new", UpdatedAt: at(1)}, {ID: 2, Status: "open", UpdatedAt: at(2)},
			{ID: 3, Status: "pending", UpdatedAt: at(3)}, {ID: 4, Status: "hold", UpdatedAt: at(4)},
			{ID: 5, Status: "solved", UpdatedAt: at(0)}, {ID: 6, Status: "closed", UpdatedAt: at(0)},
		}, map[string]any{"zendesk_open_tickets": 4, "zendesk_last_ticket_id": int64(4), "zendesk_last_ticket_status": "hold",
			"zendesk_last_ticket_updated_at": "2026-11-24T10:04:00Z"}},
		{"the latest rating, not the latest ticket", []zendesk.TicketState{
			{ID: 7, Status: "solved", UpdatedAt: at(5), Satisfaction: bad},
			{ID: 8, Status: "closed", UpdatedAt: at(3), Satisfaction: good},
			{ID: 9, Status: "Open", UpdatedAt: at(9), Satisfaction: zendesk.Satisfaction{Score: "offered"}},
		}, map[string]any{"zendesk_open_tickets": 1, "zendesk_last_ticket_id": int64(9), "zendesk_last_ticket_status": "open",
			"zendesk_last_ticket_updated_at": "2026-11-24T10:09:00Z", "zendesk_last_satisfaction": "bad",
			"zendesk_last_satisfaction_at": "2026-11-24T10:05:00Z"}},
		{"a tie in time goes to the higher id, in any order", []zendesk.TicketState{
			{ID: 12, Status: "solved", UpdatedAt: at(1), Satisfaction: good}, {ID: 11, Status: "open", UpdatedAt: at(1), Satisfaction: bad},
		}, map[string]any{"zendesk_open_tickets": 1, "zendesk_last_ticket_id": int64(12), "zendesk_last_ticket_status": "solved",
			"zendesk_last_ticket_updated_at": "2026-11-24T10:01:00Z", "zendesk_last_satisfaction": "good",
			"zendesk_last_satisfaction_at": "2026-11-24T10:01:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tracking.StateAttributes(tc.ts); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
}

// stateFixture is a fixture with support state on and Zendesk's clock
// under the test's control.
func stateFixture(t *testing.T) (*fixture, *clocktest.Clock) {
	f := newFixture(t)
	f.h.Service.SupportState = true
	f.h.Service.Log = f.h.Log
	clock := clocktest.New()
	f.zd.Now = clock.Now
	return f, clock
}

// ticketEvent is a Zendesk event webhook body; n makes each one unique, as
// Zendesk's event ids are.
func ticketEvent(n int, typ string, ticket, requester int64, extra string) string {
	return fmt.Sprintf(`{"type": "zen:event-type:ticket.%s", "account_id": 1, "id": "ev-%d", "time": "2026-11-24T11:59:00Z",
		"subject": "zen:ticket:%d", "detail": {"id": "%d", "requester_id": "%d", "status": "OPEN", "subject": %q}, "event": {%s}}`,
		typ, n, ticket, ticket, requester, hostileTitle, extra)
}

// profile folds every attributes object Braze accepted for the profile
// key=value, in order: what the profile holds now.
func profile(bz *brazetest.Server, key, value string) map[string]any {
	out := map[string]any{}
	for _, a := range bz.Attributes() {
		if a[key] != value {
			continue
		}
		for k, v := range a {
			if strings.HasPrefix(k, "zendesk_") {
				out[k] = v
			}
		}
	}
	return out
}

// truth is what the attributes must be: read from the stand-in directly.
func truth(t *testing.T, f *fixture, requester int64) map[string]any {
	t.Helper()
	ts, err := f.h.Service.Zendesk.RequestedTickets(context.Background(), requester)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(tracking.StateAttributes(ts))
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

func TestAttributesFollowCreateSolveReopenSolve(t *testing.T) {
	f, clock := stateFixture(t)
	ada := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
	id := f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": ada, "status": "new"})
	created := clock.Now().Format(time.RFC3339)
	steps := []struct {
		status, typ, extra string
		open               float64
	}{
		{"new", "created", ``, 1},
		{"solved", "status_changed", `"current": "SOLVED", "previous": "NEW"`, 0},
		{"open", "status_changed", `"current": "OPEN", "previous": "SOLVED"`, 1},
		{"solved", "status_changed", `"current": "SOLVED", "previous": "OPEN"`, 0},
	}
	for i, st := range steps {
		if i > 0 {
			clock.Add(time.Minute)
			f.zd.SetTicketStatus(id, st.status)
		}
		before := len(f.bz.Requests())
		if resp, _ := f.send(t, ticketEvent(i, st.typ, id, ada, st.extra), fmt.Sprintf("inv-%d", i)); resp.Status != 200 {
			t.Fatalf("step %d: %d %s", i, resp.Status, resp.Body)
		}
		want := map[string]any{"zendesk_open_tickets": st.open, "zendesk_last_ticket_id": float64(id),
			"zendesk_last_ticket_status": st.status, "zendesk_last_ticket_updated_at": clock.Now().Format(time.RFC3339)}
		if i == 0 {
			want["zendesk_last_ticket_updated_at"] = created
		}
		if got := profile(f.bz, "external_id", "user-123"); !reflect.DeepEqual(got, want) {
			t.Errorf("step %d (%s): attributes %v, want %v", i, st.status, got, want)
		}
		// One /users/track call carries the event and the attributes.
		reqs := f.bz.Requests()[before:]
		if len(reqs) != 1 {
			t.Fatalf("step %d: %d Braze calls, want 1", i, len(reqs))
		}
		var body struct {
			Attributes []map[string]any `json:"attributes"`
			Events     []map[string]any `json:"events"`
		}
		json.Unmarshal(reqs[0].Body, &body)
		if len(body.Attributes) != 1 || len(body.Events) != 1 || body.Attributes[0]["external_id"] != "user-123" {
			t.Errorf("step %d: call = %s", i, reqs[0].Body)
		}
	}
}

func TestAttributesSettleToZendeskWhateverTheWebhooksDo(t *testing.T) {
	f, clock := stateFixture(t)
	ada := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
	a := f.zd.AddTicket(map[string]any{"subject": "a", "requester_id": ada})
	b := f.zd.AddTicket(map[string]any{"subject": "b", "requester_id": ada})
	// Every change Zendesk makes, and the webhook each one sends.
	var hooks []string
	change := func(id int64, status string) {
		clock.Add(time.Minute)
		f.zd.SetTicketStatus(id, status)
		hooks = append(hooks, ticketEvent(len(hooks), "status_changed", id, ada, fmt.Sprintf(`"current": %q`, status)))
	}
	change(a, "open")
	change(b, "pending")
	change(a, "solved")
	change(b, "solved")
	change(a, "open")
	f.zd.RateTicket(b, "bad", "", "")

	for _, tc := range []struct {
		name  string
		order []int
	}{
		{"reversed", []int{4, 3, 2, 1, 0}},
		{"repeated as new invocations", []int{0, 0, 1, 4, 4, 2, 3, 3}},
		{"most dropped, the oldest last", []int{2, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, n := range tc.order {
				// A replayed body with a fresh id is refused as a replay;
				// a repeat here is Zendesk sending it again (new signature time).
				body := strings.Replace(hooks[n], `"ev-`, fmt.Sprintf(`"ev-%s-%d-`, tc.name, i), 1)
				if resp, _ := f.send(t, body, fmt.Sprintf("%s-%d", tc.name, i)); resp.Status != 200 {
					t.Fatalf("%d %s", resp.Status, resp.Body)
				}
			}
			want := truth(t, f, ada)
			if want["zendesk_open_tickets"] != float64(1) || want["zendesk_last_satisfaction"] != "bad" {
				t.Fatalf("the test's own setup is off: %v", want)
			}
			if got := profile(f.bz, "external_id", "user-123"); !reflect.DeepEqual(got, want) {
				t.Errorf("attributes %v\nZendesk says %v", got, want)
			}
		})
	}
}

func TestSatisfactionEvents(t *testing.T) {
	const comment = `Slow, "rude"\ and <script>alert(1)</script>`
	for _, tc := range []struct {
		name     string
		score    string
		reason   string
		comments bool
		want     map[string]any // the event's properties; nil: no event
	}{
		{"good", "good", "", false, map[string]any{"ticket_id": "ID", "score": "good"}},
		{"bad with a reason, no comment unless opted in", "bad", "The issue took too long to resolve", false,
			map[string]any{"ticket_id": "ID", "score": "bad", "reason": "The issue took too long to resolve"}},
		{"bad, comment opted in", "bad", "", true, map[string]any{"ticket_id": "ID", "score": "bad", "comment": comment}},
		{"offered only: no event", "offered", "", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := stateFixture(t)
			f.h.Service.SatisfactionComments = tc.comments
			ada := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
			id := f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": ada, "status": "solved"})
			f.zd.RateTicket(id, tc.score, tc.reason, comment)
			// The body the README tells admins to paste, as Zendesk renders it.
			body := strings.ReplaceAll(liquidtest.Template(t, "zendesk-satisfaction-trigger-body"), "{{ticket.id}}", fmt.Sprint(id))
			if resp, _ := f.send(t, body, "inv-1"); resp.Status != 200 {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			evs := f.bz.Events()
			if tc.want == nil {
				if len(evs) != 0 {
					t.Errorf("events = %v, want none", evs)
				}
			} else {
				if len(evs) != 1 || evs[0]["name"] != "zendesk_satisfaction_"+tc.score || evs[0]["external_id"] != "user-123" {
					t.Fatalf("events = %v", evs)
				}
				props := evs[0]["properties"].(map[string]any)
				for k, v := range tc.want {
					if v == "ID" {
						v = float64(id)
					}
					if props[k] != v {
						t.Errorf("property %s = %v, want %v", k, props[k], v)
					}
				}
				for _, k := range []string{"reason", "comment"} {
					if _, ok := tc.want[k]; !ok && props[k] != nil {
						t.Errorf("property %s = %v, want none", k, props[k])
					}
				}
			}
			want := map[string]any{}
			if tc.score == "good" || tc.score == "bad" {
				want["zendesk_last_satisfaction"] = tc.score
			}
			got := profile(f.bz, "external_id", "user-123")
			if got["zendesk_last_satisfaction"] != want["zendesk_last_satisfaction"] || got["zendesk_open_tickets"] != float64(0) {
				t.Errorf("attributes = %v", got)
			}
		})
	}
}

// A body that carries its own score and reason (a hand-made trigger, or
// text a person typed) cannot choose the event: the rating is Zendesk's.
func TestSatisfactionIsReadNotTaken(t *testing.T) {
	f, _ := stateFixture(t)
	ada := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
	id := f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": ada, "status": "solved"})
	f.zd.RateTicket(id, "bad", "", "")
	body := fmt.Sprintf(`{"ticket_id": "%d", "event_name": "zendesk_satisfaction", "external_id": "user-123", "reason": "x\", \"score\": \"good", "score": "good"}`, id)
	if resp, _ := f.send(t, body, "inv-1"); resp.Status != 200 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	evs := f.bz.Events()
	if len(evs) != 1 || evs[0]["name"] != "zendesk_satisfaction_bad" {
		t.Fatalf("events = %v", evs)
	}
	if props := evs[0]["properties"].(map[string]any); props["score"] != "bad" || props["reason"] != nil {
		t.Errorf("properties = %v: the body's own score or reason was kept", props)
	}
}

func TestSatisfactionBodyNeedsTicketID(t *testing.T) {
	f, _ := stateFixture(t)
	resp, _ := f.send(t, `{"event_name": "zendesk_satisfaction", "external_id": "user-123"}`, "inv-1")
	if resp.Status != 400 || !strings.Contains(string(resp.Body), "ticket_id") {
		t.Errorf("%d %s", resp.Status, resp.Body)
	}
}

func TestStateReadFailureIsNeverSentHalfDone(t *testing.T) {
	f, _ := stateFixture(t)
	ada := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
	id := f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": ada, "status": "open"})
	fail := zendesktest.Reply{Status: 503}
	f.zd.Script(zendesktest.RequestedTicketsPath(ada), fail, fail, fail)
	resp, _ := f.send(t, ticketEvent(1, "created", id, ada, ``), "inv-1")
	if resp.Status != 503 || resp.Header["retry-after"] == "" {
		t.Fatalf("%d %v %s", resp.Status, resp.Header, resp.Body)
	}
	if n := len(f.bz.Requests()); n != 0 {
		t.Fatalf("Braze was called %d times with the state unread", n)
	}
	// Zendesk's retry, once Zendesk answers, is delivered whole.
	if resp, _ := f.send(t, ticketEvent(1, "created", id, ada, ``), "inv-1"); resp.Status != 200 {
		t.Fatalf("retry: %d %s", resp.Status, resp.Body)
	}
	if got := profile(f.bz, "external_id", "user-123"); got["zendesk_open_tickets"] != float64(1) || len(f.bz.Events()) != 1 {
		t.Errorf("attributes %v, events %v", got, f.bz.Events())
	}
}

func TestQueuedDeliveryReadsTheStateWhenSent(t *testing.T) {
	for _, queued := range []bool{false, true} {
		t.Run(fmt.Sprintf("queued mode %v", queued), func(t *testing.T) {
			f, clock := stateFixture(t)
			q := withQueue(f, queued)
			ada := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
			id := f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": ada, "status": "open"})
			if !queued {
				fail := brazetest.Reply{Status: 503}
				f.bz.Script(brazetest.TrackPath, fail, fail, fail)
			}
			if resp, _ := f.send(t, ticketEvent(1, "created", id, ada, ``), "inv-1"); resp.Status != 202 {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			// Solved while the delivery waited on the queue.
			clock.Add(time.Minute)
			f.zd.SetTicketStatus(id, "solved")
			f.clock = f.clock.Add(time.Hour)
			if res := drain(t, f, q); len(res) != 1 || res[0].Failed {
				t.Fatalf("consumer: %+v", res)
			}
			got := profile(f.bz, "external_id", "user-123")
			if got["zendesk_open_tickets"] != float64(0) || got["zendesk_last_ticket_status"] != "solved" {
				t.Errorf("attributes %v: read when queued, not when sent", got)
			}
		})
	}
}

func TestNoZendeskSendsEventsWithoutStateAndWarnsOnce(t *testing.T) {
	f, _ := stateFixture(t)
	f.h.Service.Zendesk = nil
	for i := range 2 {
		if resp, _ := f.send(t, other(flat, i), fmt.Sprintf("inv-%d", i)); resp.Status != 200 {
			t.Fatalf("%d %s", resp.Status, resp.Body)
		}
	}
	if n, a := len(f.bz.Events()), len(f.bz.Attributes()); n != 2 || a != 0 {
		t.Errorf("events %d, attributes %d; want 2 and 0", n, a)
	}
	if n := strings.Count(f.logs.String(), "support state attributes are not sent"); n != 1 {
		t.Errorf("warned %d times, want once", n)
	}
}

func TestSupportStateOff(t *testing.T) {
	f, _ := stateFixture(t)
	f.h.Service.SupportState = false
	ada := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
	id := f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": ada, "status": "open"})
	if resp, _ := f.send(t, ticketEvent(1, "created", id, ada, ``), "inv-1"); resp.Status != 200 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if a := f.bz.Attributes(); len(a) != 0 || len(f.zd.RequestsTo(zendesktest.RequestedTicketsPath(ada))) != 0 {
		t.Errorf("attributes %v with SUPPORT_STATE=off", a)
	}
}
