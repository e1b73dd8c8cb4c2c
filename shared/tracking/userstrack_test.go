package tracking_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// usersTrack is the README's /users/track body as Zendesk renders it for
// ticket id: no requester placeholder, so every requester Zendesk can
// name is served and no text anyone types reaches the body.
func usersTrack(id int64) string {
	return fmt.Sprintf(`{"ticket_id": "%d",
  "attributes": [{"zendesk_last_ticket_status": "Solved"}],
  "events": [{"name": "zendesk_ticket_solved", "properties": {"ticket_id": "%d"}}]}`, id, id)
}

// TestUsersTrackBodyAddressesTheRequester: the objects of a /users/track
// body that name no one go to the ticket's requester, read from Zendesk by
// the body's ticket_id: by external id, else email. Before, a requester
// without an external id was a 400 Zendesk does not retry: lost.
func TestUsersTrackBodyAddressesTheRequester(t *testing.T) {
	for _, tc := range []struct {
		name     string
		user     *zendesktest.User // nil: the ticket does not exist
		body     func(id int64) string
		status   int
		key, val string // where the objects land
		queued   bool
	}{
		{"requester with an external id", &zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"}, usersTrack, 200, "external_id", "user-123", false},
		{"email-only requester", &zendesktest.User{Name: "Bo", Email: "bo@example.com"}, usersTrack, 200, "email", "bo@example.com", false},
		{"email-only requester, queued", &zendesktest.User{Name: "Bo", Email: "bo@example.com"}, usersTrack, 202, "email", "bo@example.com", true},
		{"requester with neither", &zendesktest.User{Name: "Anonymous"}, usersTrack, 400, "", "", false},
		{"ticket gone", nil, usersTrack, 400, "", "", false},
		{"the old body, external id placeholder unrendered, no ticket_id", &zendesktest.User{Name: "Bo", Email: "bo@example.com"}, func(int64) string {
			return `{"events": [{"external_id": "{{ticket.requester.external_id}}", "name": "zendesk_ticket_solved"}]}`
		}, 400, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := int64(999999)
			if tc.user != nil {
				uid := f.zd.AddUser(*tc.user)
				id = f.zd.AddTicket(map[string]any{"subject": hostileTitle, "status": "solved", "requester_id": uid})
			}
			var q *queue.Memory
			if tc.queued {
				q = withQueue(f, true)
			}
			resp, out := f.send(t, tc.body(id), "inv-1")
			if resp.Status != tc.status {
				t.Fatalf("%d %s, want %d", resp.Status, resp.Body, tc.status)
			}
			if tc.status == 400 {
				if len(f.bz.Requests()) != 0 {
					t.Errorf("a refused body reached Braze")
				}
				if msg, _ := out["error"].(string); tc.user != nil && tc.user.Email != "" && !strings.Contains(msg, "ticket_id") {
					t.Errorf("the error does not say how to serve requesters without an external id: %s", msg)
				}
				return
			}
			if tc.queued {
				drain(t, f, q)
			}
			attrs, evs := f.bz.Attributes(), f.bz.Events()
			if len(attrs) != 1 || len(evs) != 1 || attrs[0][tc.key] != tc.val || evs[0][tc.key] != tc.val {
				t.Fatalf("attributes %v events %v, want one each on %s %s", attrs, evs, tc.key, tc.val)
			}
			if _, sub := evs[0]["properties"].(map[string]any)["subject"]; sub {
				t.Errorf("a /users/track body got a subject it did not ask for: %v", evs[0])
			}
			for _, o := range append(attrs, evs...) {
				for _, k := range []string{"external_id", "email"} {
					if k != tc.key && o[k] != nil {
						t.Errorf("a second identifier was added: %v", o)
					}
				}
			}
		})
	}
}

// TestUsersTrackBodyKeepsTheIdentifiersItNames: an object that names its
// profile keeps it; only the others take the requester's.
func TestUsersTrackBodyKeepsTheIdentifiersItNames(t *testing.T) {
	f := newFixture(t)
	uid := f.zd.AddUser(zendesktest.User{Name: "Bo", Email: "bo@example.com"})
	id := f.zd.AddTicket(map[string]any{"subject": "s", "status": "solved", "requester_id": uid})
	body := fmt.Sprintf(`{"ticket_id": "%d", "events": [{"name": "a"}, {"external_id": "agent-7", "name": "b"}]}`, id)
	if resp, _ := f.send(t, body, "inv-1"); resp.Status != 200 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	evs := f.bz.Events()
	if len(evs) != 2 || evs[0]["email"] != "bo@example.com" || evs[1]["external_id"] != "agent-7" || evs[1]["email"] != nil {
		t.Errorf("events %v", evs)
	}
	// Every object names someone: Zendesk is not read.
	before := len(f.zd.Requests())
	body = fmt.Sprintf(`{"ticket_id": "%d", "events": [{"external_id": "agent-7", "name": "c"}]}`, id)
	if resp, _ := f.send(t, body, "inv-2"); resp.Status != 200 || len(f.zd.Requests()) != before {
		t.Errorf("%d, %d Zendesk reads", resp.Status, len(f.zd.Requests())-before)
	}
}
