package tickets

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"{\"ticket\": {\"requester_id\": \"u1\", \"requester\": {\"name\": \"A\", \"email\": \"a@example.com\", \"phone\": \"\"}, \"comment\": {\"body\": \"\nhi\t\"}, \"status\": \"New\"}}",
		`{"ticket": {"requester": {"email": "b@example.com"}, "comment": "x", "tags": "a, b", "custom_fields": [{"id": "1", "value": "v"}], "group_id": "7"}}`,
		`{"ticket": {"requester_id": 42, "priority": "URGENT", "type": "Task", "comment": {"html_body": "<p>x</p>"},}}`,
		`{"ticket": []}`, `[]`, `{"ticket": {"requester_id": {"x": 1}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := Parse(body)
		if err != nil {
			if _, ok := err.(*webhook.InvalidError); !ok {
				t.Fatalf("Parse returned %T, want *webhook.InvalidError", err)
			}
			return
		}
		if r.ExternalID == "" && r.Requester.Email == "" {
			t.Fatal("accepted a ticket with no requester")
		}
		if _, has := r.Ticket["requester_id"]; has {
			t.Fatal("requester_id left in the ticket before resolution")
		}
		for field, allowed := range map[string][]string{"type": zendesk.TicketTypes, "priority": zendesk.TicketPriorities, "status": zendesk.TicketStatuses} {
			if v, has := r.Ticket[field]; has && !slices.Contains(allowed, v.(string)) {
				t.Fatalf("%s = %q passed validation", field, v)
			}
		}
		if _, err := json.Marshal(r.Ticket); err != nil {
			t.Fatalf("accepted ticket does not encode: %v", err)
		}
	})
}
