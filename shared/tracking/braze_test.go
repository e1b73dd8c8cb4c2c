package tracking_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// TestTimesBrazeParses: Zendesk writes times to the nanosecond; Braze
// documents milliseconds at most and drops (a minor error) an event whose
// time it does not parse. Every time reaches Braze in a form it documents,
// in every body shape.
func TestTimesBrazeParses(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       string // the time Braze stores
	}{
		{"event webhook in nanoseconds",
			`{"type": "zen:event-type:ticket.created", "id": "e1", "time": "2019-05-25T01:23:45.465719851Z", "detail": {"id": "5", "requester_id": "REQ"}}`,
			"2019-05-25T01:23:45.465Z"},
		{"event webhook in milliseconds",
			`{"type": "zen:event-type:ticket.created", "id": "e1", "time": "2019-05-25T01:23:45.465Z", "detail": {"id": "5", "requester_id": "REQ"}}`,
			"2019-05-25T01:23:45.465Z"},
		{"/users/track event in nanoseconds with an offset",
			`{"events": [{"external_id": "user-123", "name": "x", "time": "2019-05-25T03:23:45.465719851+02:00"}]}`,
			"2019-05-25T03:23:45.465+02:00"},
		{"/users/track event offset without a colon",
			`{"events": [{"external_id": "user-123", "name": "x", "time": "2019-05-25T03:23:45+0200"}]}`,
			"2019-05-25T03:23:45+02:00"},
		{"/users/track event in Braze's colon form",
			`{"events": [{"external_id": "user-123", "name": "x", "time": "2019-05-25T01:23:45:465Z"}]}`,
			"2019-05-25T01:23:45:465Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			req := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
			body := strings.Replace(tc.body, "REQ", strconv.FormatInt(req, 10), 1)
			resp, out := f.send(t, body, "inv-1")
			if resp.Status != 200 || out["errors"] != nil {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			evs := f.bz.Events()
			if len(evs) != 1 || evs[0]["time"] != tc.want {
				t.Fatalf("Braze stored %v, want one event at %s", evs, tc.want)
			}
		})
	}
}

// TestLongTextIsShortenedNotLost: a subject or tag longer than the 255
// characters Braze takes would make Braze drop the whole event (a custom
// attribute: not store it); it reaches Braze shortened on a rune boundary
// and marked with "…", in every body shape.
func TestLongTextIsShortenedNotLost(t *testing.T) {
	title := strings.Repeat("Mon écran 27\" clignote 🎉 ", 20) // 520 characters, quotes and emoji among them
	want := braze.ShortenString(title)
	if braze.Length(want) != braze.MaxString || !strings.HasSuffix(want, "…") {
		t.Fatalf("the case is not one: %d %q", braze.Length(want), want)
	}
	tag := strings.Repeat("t", 300)
	for _, tc := range []struct {
		name  string
		body  func(req, ticket int64) string
		check func(t *testing.T, bz *brazetest.Server)
	}{
		{"event webhook subject and tag", func(req, _ int64) string {
			return fmt.Sprintf(`{"type": "zen:event-type:ticket.created", "id": "e1", "time": "2026-11-24T11:59:00Z",
				"detail": {"id": "5", "requester_id": "%d", "subject": %q, "tags": ["vip", %q]}}`, req, title, tag)
		}, func(t *testing.T, bz *brazetest.Server) {
			props := bz.Events()[0]["properties"].(map[string]any)
			if props["subject"] != want || !reflect.DeepEqual(props["tags"], []any{"vip", braze.ShortenString(tag)}) {
				t.Errorf("properties %v", props)
			}
		}},
		{"trigger body, subject read from Zendesk", func(_, ticket int64) string {
			return fmt.Sprintf(`{"ticket_id": "%d", "status": "Solved", "external_id": "user-123"}`, ticket)
		}, func(t *testing.T, bz *brazetest.Server) {
			if got := bz.Events()[0]["properties"].(map[string]any)["subject"]; got != want {
				t.Errorf("subject %q", got)
			}
		}},
		{"/users/track body", func(_, _ int64) string {
			return fmt.Sprintf(`{"attributes": [{"external_id": "user-123", "last_ticket_subject": %q}],
				"events": [{"external_id": "user-123", "name": "x", "properties": {"subject": %q}}]}`, title, title)
		}, func(t *testing.T, bz *brazetest.Server) {
			if got := bz.Attributes()[0]["last_ticket_subject"]; got != want {
				t.Errorf("attribute %q", got)
			}
			if got := bz.Events()[0]["properties"].(map[string]any)["subject"]; got != want {
				t.Errorf("subject %q", got)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			req := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
			ticket := f.zd.AddTicket(map[string]any{"subject": title, "status": "solved", "requester_id": req})
			resp, out := f.send(t, tc.body(req, ticket), "inv-1")
			if resp.Status != 200 || out["errors"] != nil {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			if len(f.bz.Events()) != 1 {
				t.Fatalf("Braze stored %d events, want 1", len(f.bz.Events()))
			}
			tc.check(t, f.bz)
		})
	}
}

// freshBraze gives the fixture a Braze workspace that knows only the
// profiles given (key, value pairs), in place of one where everyone exists.
func freshBraze(t *testing.T, f *fixture, known ...string) {
	t.Helper()
	bz := brazetest.New(apiKey)
	t.Cleanup(bz.Close)
	for i := 0; i+1 < len(known); i += 2 {
		bz.AddProfile(known[i], known[i+1])
	}
	base, _ := url.Parse(bz.URL)
	client := braze.New(base, bz.Client())
	client.Retry.Base = 5 * time.Millisecond
	f.h.Service.Braze, f.bz = client, bz
}

// TestProfileCreation: Braze creates a profile for an identifier it does
// not know, and every profile counts toward its billing. By default the
// bridge sends every object update-only: an email-only requester who is
// not a Braze user gets no profile (Braze drops the event after answering);
// BRAZE_CREATE_PROFILES=yes creates one. A /users/track body that says
// itself is sent as it says. The queue consumer sends as the direct path.
func TestProfileCreation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		create  bool
		queued  bool
		body    func(ada, bo int64) string
		stored  int
		created []brazetest.Profile
		skipped []brazetest.Profile
	}{
		{"known external id, update-only", false, false, func(ada, _ int64) string { return event("ticket.created", 7, ada, ``) },
			1, nil, nil},
		{"email-only stranger, update-only: no profile", false, false, func(_, bo int64) string { return event("ticket.created", 8, bo, ``) },
			0, nil, []brazetest.Profile{"email:bo@example.com"}},
		{"email-only stranger, creating: a new profile", true, false, func(_, bo int64) string { return event("ticket.created", 8, bo, ``) },
			1, []brazetest.Profile{"email:bo@example.com"}, nil},
		{"email-only stranger from the queue, update-only", false, true, func(_, bo int64) string { return event("ticket.created", 8, bo, ``) },
			0, nil, []brazetest.Profile{"email:bo@example.com"}},
		{"trigger body naming a stranger, update-only", false, false, func(_, _ int64) string {
			return `{"ticket_id": "8", "status": "solved", "email": "bo@example.com", "subject": "s"}`
		}, 0, nil, []brazetest.Profile{"email:bo@example.com"}},
		{"a /users/track body that asks to create", false, false, func(_, _ int64) string {
			return `{"events": [{"email": "bo@example.com", "name": "x", "_update_existing_only": false}]}`
		}, 1, []brazetest.Profile{"email:bo@example.com"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			freshBraze(t, f, "external_id", "user-123")
			f.h.Service.CreateProfiles = tc.create
			ada := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
			bo := f.zd.AddUser(zendesktest.User{Name: "Bo", Email: "bo@example.com"})
			var q *queue.Memory
			if tc.queued {
				q = withQueue(f, true)
			}
			resp, out := f.send(t, tc.body(ada, bo), "inv-1")
			if tc.queued {
				if resp.Status != 202 {
					t.Fatalf("%d %s", resp.Status, resp.Body)
				}
				drain(t, f, q)
			} else if resp.Status != 200 || out["events_processed"] != 1.0 {
				// Braze accepts an update-only object and drops it later.
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			for _, r := range f.bz.RequestsTo(brazetest.TrackPath) {
				var b braze.Track
				json.Unmarshal(r.Body, &b)
				for _, ev := range b.Events {
					if _, said := ev[braze.UpdateOnly].(bool); !said {
						t.Errorf("an event went without %s: %v", braze.UpdateOnly, ev)
					}
				}
			}
			if len(f.bz.Events()) != tc.stored || !reflect.DeepEqual(f.bz.Created(), tc.created) || !reflect.DeepEqual(f.bz.Skipped(), tc.skipped) {
				t.Errorf("stored %d, created %v, skipped %v; want %d, %v, %v",
					len(f.bz.Events()), f.bz.Created(), f.bz.Skipped(), tc.stored, tc.created, tc.skipped)
			}
		})
	}
}
