package tracking

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/brazezendesk/bridge/shared/webhook"
)

// statusChanged is a ticket.status_changed event as Zendesk documents it.
const statusChanged = `{
  "type": "zen:event-type:ticket.status_changed",
  "account_id": 12514403,
  "id": "01JDQ7ZC5XH1Y2F3G4H5J6K7M8",
  "time": "2026-11-24T11:58:00Z",
  "zendesk_event_version": "2022-11-06",
  "subject": "zen:ticket:4211",
  "detail": {
    "actor_id": "9000001",
    "assignee_id": "9000002",
    "brand_id": "360000001",
    "created_at": "2026-11-20T09:00:00Z",
    "custom_status": "18000000001",
    "description": "My 27\" monitor flickers",
    "external_id": "",
    "form_id": "360000002",
    "group_id": "360000003",
    "id": "4211",
    "is_public": true,
    "organization_id": "0",
    "priority": "URGENT",
    "requester_id": "9000003",
    "status": "SOLVED",
    "subject": "Hi\", \"external_id\": \"victim-001\", \"x\": \"",
    "submitter_id": "9000003",
    "tags": ["monitor", "vip"],
    "type": "PROBLEM",
    "updated_at": "2026-11-24T11:58:00Z",
    "via": {"channel": "web_form"}
  },
  "event": {"current": "SOLVED", "previous": "OPEN", "meta": {"sequence": {"id": "abc", "position": 1}}}
}`

const commentEventID = "cbe4028c-7239-495d-b020-f22348516046"

// commentAdded is a ticket.comment_added event as Zendesk's webhook
// reference shows it, with the comment's is_public and its author's
// is_staff as given (JSON).
func commentAdded(at, public, staff string) string {
	return `{"type": "zen:event-type:ticket.comment_added", "account_id": 22129848, "id": "` + commentEventID + `",
		"time": "` + at + `", "zendesk_event_version": "2022-11-06", "subject": "zen:ticket:5",
		"detail": {"id": "5", "requester_id": "6", "status": "OPEN", "via": {"channel": ""}},
		"event": {"comment": {"id": "10001", "body": "Thanks \"so\" much \\ 日本語", "is_public": ` + public + `,
			"author": {"id": "7", "is_staff": ` + staff + `, "name": "Quinn \"Q\" O'Hara"}}}}`
}

func TestParseZendeskEvents(t *testing.T) {
	for _, tc := range []struct {
		name      string
		body      string
		ignored   bool
		field     string
		wantName  string
		wantProps map[string]any
		wantTime  string
		private   bool
	}{
		{name: "status changed", body: statusChanged, wantName: "zendesk_ticket_solved", wantTime: "2026-11-24T11:58:00Z",
			wantProps: map[string]any{"ticket_id": json.Number("4211"), "subject": `Hi", "external_id": "victim-001", "x": "`,
				"status": "solved", "previous_status": "open", "priority": "urgent", "type": "problem", "tags": []any{"monitor", "vip"},
				"group_id": json.Number("360000003"), "assignee_id": json.Number("9000002"), "brand_id": json.Number("360000001"),
				"form_id": json.Number("360000002"), "via_channel": "web_form", "zendesk_event_id": "01JDQ7ZC5XH1Y2F3G4H5J6K7M8"}},
		{name: "custom status with spaces", body: `{"type": "zen:event-type:ticket.status_changed", "detail": {"id": "1", "requester_id": "2", "status": "On hold"}, "event": {"current": "Waiting On Customer"}}`,
			wantName: "zendesk_ticket_waiting_on_customer", wantTime: "2026-11-24T12:00:00Z",
			wantProps: map[string]any{"ticket_id": json.Number("1"), "status": "on hold"}},
		{name: "created", body: `{"type": "zen:event-type:ticket.created", "id": "e1", "time": "2026-11-24T10:30:00:450Z", "detail": {"id": "5", "requester_id": "6", "status": "NEW"}, "event": {"current": {"status": "NEW"}}}`,
			wantName: "zendesk_ticket_created", wantTime: "2026-11-24T10:30:00:450Z",
			wantProps: map[string]any{"ticket_id": json.Number("5"), "status": "new", "zendesk_event_id": "e1"}},
		{name: "public comment by the customer, time not Braze's", body: commentAdded("yesterday", `true`, `false`),
			wantName: "zendesk_ticket_comment_added", wantTime: "2026-11-24T12:00:00Z",
			wantProps: map[string]any{"ticket_id": json.Number("5"), "public": true, "author_is_staff": false, "status": "open", "zendesk_event_id": commentEventID}},
		{name: "public reply by an agent", body: commentAdded("2026-11-24T11:00:00Z", `true`, `true`),
			wantName: "zendesk_ticket_comment_added", wantTime: "2026-11-24T11:00:00Z",
			wantProps: map[string]any{"ticket_id": json.Number("5"), "public": true, "author_is_staff": true, "status": "open", "zendesk_event_id": commentEventID}},
		{name: "internal note", body: commentAdded("2026-11-24T11:00:00Z", `false`, `true`), private: true,
			wantName: "zendesk_ticket_private_comment_added", wantTime: "2026-11-24T11:00:00Z",
			wantProps: map[string]any{"ticket_id": json.Number("5"), "public": false, "author_is_staff": true, "status": "open", "zendesk_event_id": commentEventID}},
		{name: "is_public as text", body: commentAdded("2026-11-24T11:00:00Z", `"true"`, `"false"`),
			wantName: "zendesk_ticket_comment_added", wantTime: "2026-11-24T11:00:00Z",
			wantProps: map[string]any{"ticket_id": json.Number("5"), "public": true, "author_is_staff": false, "status": "open", "zendesk_event_id": commentEventID}},
		{name: "a comment that does not say it is public is private", private: true,
			body:     `{"type": "zen:event-type:ticket.comment_added", "detail": {"id": 5, "requester_id": 6}, "event": {"comment": {"body": "x", "is_public": "yes"}}}`,
			wantName: "zendesk_ticket_private_comment_added", wantTime: "2026-11-24T12:00:00Z", wantProps: map[string]any{"ticket_id": json.Number("5"), "public": false}},
		{name: "subject kept exactly", body: `{"type": "zen:event-type:ticket.created", "detail": {"id": "5", "requester_id": "6", "subject": "  padded\ttitle  ", "status": ""}}`,
			wantName: "zendesk_ticket_created", wantTime: "2026-11-24T12:00:00Z",
			wantProps: map[string]any{"ticket_id": json.Number("5"), "subject": "  padded\ttitle  "}},
		{name: "a user event is ignored", body: `{"type": "zen:event-type:user.created", "detail": {"id": "6596848315901", "email": "a@example.com"}}`, ignored: true},
		{name: "no requester", body: `{"type": "zen:event-type:ticket.created", "detail": {"id": "5"}}`, field: "detail.requester_id"},
		{name: "requester 0", body: `{"type": "zen:event-type:ticket.created", "detail": {"id": "5", "requester_id": "0"}}`, field: "detail.requester_id"},
		{name: "no ticket id", body: `{"type": "zen:event-type:ticket.created", "detail": {"id": "x5", "requester_id": "6"}}`, field: "detail.id"},
		{name: "status change without a status", body: `{"type": "zen:event-type:ticket.status_changed", "detail": {"id": "5", "requester_id": "6"}, "event": {}}`, field: "event.current"},
		{name: "a repeated key", body: `{"type": "zen:event-type:ticket.created", "detail": {"id": "5", "requester_id": "6", "requester_id": "7"}}`, field: "detail.requester_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.body), signedAt)
			if tc.field != "" {
				var inv *webhook.InvalidError
				if !errors.As(err, &inv) || inv.Field != tc.field {
					t.Fatalf("err = %v, want an InvalidError on %q", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.ignored {
				if m.Ignored == "" || m.Len() != 0 {
					t.Fatalf("message = %+v, want it ignored", m)
				}
				return
			}
			if len(m.Events) != 1 || m.RequesterID == 0 {
				t.Fatalf("message = %+v, want one event and the requester to read", m)
			}
			if m.PrivateComment != tc.private {
				t.Errorf("private comment = %v, want %v", m.PrivateComment, tc.private)
			}
			ev := m.Events[0]
			if ev["name"] != tc.wantName || ev["time"] != tc.wantTime {
				t.Errorf("event %v, want name %s at %s", ev, tc.wantName, tc.wantTime)
			}
			for _, k := range identifiers {
				if _, has := ev[k]; has {
					t.Errorf("the body chose the profile by %s: %v", k, ev)
				}
			}
			if !reflect.DeepEqual(ev["properties"], tc.wantProps) {
				t.Errorf("properties\n got  %v\n want %v", ev["properties"], tc.wantProps)
			}
		})
	}
}

func TestParseFlatNeedsZendesk(t *testing.T) {
	for _, tc := range []struct {
		name          string
		body          string
		ticket        int64
		needsIdentity bool
	}{
		{"recommended body, no subject", `{"ticket_id": "4211", "status": "Solved", "external_id": "u1"}`, 4211, false},
		{"old body with a subject", `{"ticket_id": "4211", "status": "Solved", "external_id": "u1", "subject": "Hi"}`, 0, false},
		{"no one named", `{"ticket_id": "4211", "status": "Solved", "external_id": "{{ticket.requester.external_id}}", "email": ""}`, 4211, true},
		{"no ticket id", `{"status": "Solved", "external_id": "u1"}`, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.body), signedAt)
			if err != nil {
				t.Fatal(err)
			}
			if m.TicketID != tc.ticket || m.NeedsIdentity != tc.needsIdentity || m.RequesterID != 0 {
				t.Errorf("message = %+v, want ticket %d, needs identity %v", m, tc.ticket, tc.needsIdentity)
			}
		})
	}
}
