package tracking

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/webhook"
)

var signedAt = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// flatBody is the README's recommended trigger body as Zendesk renders it
// for a requester with no external id.
const flatBody = `{
  "ticket_id": "4211",
  "status": "Solved",
  "external_id": "{{ticket.requester.external_id}}",
  "email": "ada@example.com",
  "subject": "Not enjoying the app",
  "priority": "urgent",
  "zip": "02134",
  "group": ""
}`

func TestParseFlat(t *testing.T) {
	for _, tc := range []struct {
		name  string
		body  string
		field string // the field an error names; "" for success
		want  braze.Object
	}{
		{name: "recommended body by email", body: flatBody, want: braze.Object{
			"name": "zendesk_ticket_solved", "time": "2026-11-24T12:00:00Z", "email": "ada@example.com",
			"properties": map[string]any{"ticket_id": json.Number("4211"), "status": "Solved", "subject": "Not enjoying the app", "priority": "urgent", "zip": "02134"},
		}},
		{name: "external id wins and status with spaces", body: `{"external_id": "user-1", "email": "a@example.com", "status": "On hold", "ticket_id": "7"}`, want: braze.Object{
			"name": "zendesk_ticket_on_hold", "time": "2026-11-24T12:00:00Z", "external_id": "user-1",
			"properties": map[string]any{"email": "a@example.com", "status": "On hold", "ticket_id": json.Number("7")},
		}},
		{name: "event_name overrides", body: `{"external_id": "u", "event_name": "csat_received", "status": "solved"}`, want: braze.Object{
			"name": "csat_received", "time": "2026-11-24T12:00:00Z", "external_id": "u", "properties": map[string]any{"status": "solved"},
		}},
		{name: "no status, no event name", body: `{"external_id": "u", "ticket_id": "1"}`, field: "status"},
		{name: "placeholder status counts as absent", body: `{"external_id": "u", "status": "{{ticket.status}}"}`, field: "status"},
		{name: "no identifier", body: `{"status": "solved", "external_id": "{{ticket.requester.external_id}}", "email": " "}`, field: "external_id"},
		{name: "not JSON", body: `{"status": `, field: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.body), signedAt)
			if tc.want == nil {
				var inv *webhook.InvalidError
				if !errors.As(err, &inv) || inv.Field != tc.field {
					t.Fatalf("err = %v, want an InvalidError on %q", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Events) != 1 || got.Len() != 1 {
				t.Fatalf("track = %+v, want one event", got)
			}
			g, _ := json.Marshal(got.Events[0])
			w, _ := json.Marshal(tc.want)
			if string(g) != string(w) {
				t.Errorf("event =\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func TestParseTrack(t *testing.T) {
	for _, tc := range []struct {
		name  string
		body  string
		field string
		check func(t *testing.T, tr braze.Track)
	}{
		{name: "partner page body, event time from signature", body: `{"events": [{"external_id": "u1", "name": "ticket_solved", "properties": {"ticket_id": "{{ticket.id}}", "via": "zendesk"}}],
			"attributes": [{"external_id": "u1", "last_ticket_status": "solved"}]}`,
			check: func(t *testing.T, tr braze.Track) {
				ev := tr.Events[0]
				if ev["time"] != "2026-11-24T12:00:00Z" {
					t.Errorf("time = %v", ev["time"])
				}
				if _, kept := ev["properties"].(map[string]any)["ticket_id"]; kept {
					t.Error("an unrendered placeholder property was kept")
				}
				if len(tr.Attributes) != 1 {
					t.Errorf("attributes = %v", tr.Attributes)
				}
			}},
		{name: "given time kept", body: `{"events": [{"email": "a@example.com", "name": "x", "time": "2026-11-20T08:00:00+01:00"}]}`,
			check: func(t *testing.T, tr braze.Track) {
				if tr.Events[0]["time"] != "2026-11-20T08:00:00+01:00" {
					t.Errorf("time = %v", tr.Events[0]["time"])
				}
			}},
		{name: "braze time layout", body: `{"events": [{"braze_id": "b", "name": "x", "time": "2026-11-20T08:00:00:450Z"}]}`},
		{name: "user alias", body: `{"attributes": [{"user_alias": {"alias_name": "zd-1", "alias_label": "zendesk"}, "vip": true}]}`},
		{name: "purchase price text", body: `{"purchases": [{"phone": "+15550100", "product_id": "refund", "currency": "USD", "price": "9.99"}]}`,
			check: func(t *testing.T, tr braze.Track) {
				if tr.Purchases[0]["price"] != json.Number("9.99") || tr.Purchases[0]["time"] == nil {
					t.Errorf("purchase = %v", tr.Purchases[0])
				}
			}},
		{name: "placeholder identifier", body: `{"events": [{"external_id": "{{ticket.requester.external_id}}", "name": "x"}]}`, field: "events[0]"},
		{name: "half an alias", body: `{"attributes": [{"user_alias": {"alias_name": "zd-1"}}]}`, field: "attributes[0]"},
		{name: "event without name", body: `{"events": [{"external_id": "u", "name": ""}]}`, field: "events[0].name"},
		{name: "bad time", body: `{"events": [{"external_id": "u", "name": "x", "time": "November 24, 2026"}]}`, field: "events[0].time"},
		{name: "bad currency", body: `{"purchases": [{"external_id": "u", "product_id": "p", "currency": "dollars", "price": 1}]}`, field: "purchases[0].currency"},
		{name: "bad price", body: `{"purchases": [{"external_id": "u", "product_id": "p", "currency": "USD", "price": "ten"}]}`, field: "purchases[0].price"},
		{name: "events not a list", body: `{"events": {"external_id": "u"}}`, field: "events"},
		{name: "nothing to send", body: `{"events": [], "attributes": []}`, field: "events"},
		{name: "second object bad", body: `{"events": [{"external_id": "u", "name": "x"}, "oops"]}`, field: "events[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.body), signedAt)
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
			if tc.check != nil {
				tc.check(t, got.Track)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(flatBody))
	f.Add([]byte(`{"events": [{"external_id": "u1", "name": "x", "properties": {"a": "{{b}}"}}], "attributes": [{"email": "a@b.c"}]}`))
	f.Add([]byte(`{"purchases": [{"phone": "1", "product_id": "p", "currency": "USD", "price": "1.5"}]}`))
	f.Add([]byte(`{"status": "open", "user_alias": {"alias_name": "a", "alias_label": "b"}}`))
	f.Add([]byte(`{"ticket_id": "7", "status": "solved"}`))
	f.Add([]byte(`{"ticket_id": "7", "events": [{"name": "x", "time": "2019-05-25T01:23:45.465719851Z"}], "attributes": [{"a": "1"}]}`))
	f.Add([]byte(statusChanged))
	f.Add([]byte(commentAdded("2026-11-24T11:00:00Z", "true", "false")))
	f.Add([]byte(commentAdded("2026-11-24T11:00:00.123456789Z", "false", "true")))
	f.Add([]byte(`{"type": "zen:event-type:user.created", "detail": {"id": "1"}}`))
	f.Add([]byte(`{"type": "zen:event-type:ticket.created", "detail": {"id": "1", "requester_id": "2", "requester_id": "3"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Parse(body, signedAt)
		if err != nil {
			var inv *webhook.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		tr := m.Track
		if m.Ignored != "" {
			if tr.Len() != 0 {
				t.Fatal("an ignored body has something to send")
			}
			return
		}
		if tr.Len() == 0 {
			t.Fatal("accepted a body with nothing to send")
		}
		// An event webhook's comment goes as the public comment event only
		// when Zendesk said it is public.
		if m.RequesterID > 0 {
			props, _ := tr.Events[0]["properties"].(map[string]any)
			if tr.Events[0]["name"] == "zendesk_ticket_comment_added" && (m.PrivateComment || props["public"] != true) {
				t.Fatalf("a comment not known to be public goes as the public one: %v", tr.Events[0])
			}
		}
		// The one event of a body whose profile comes from Zendesk has no
		// identifier yet, and must say where to read it.
		pending := m.RequesterID > 0 || m.NeedsIdentity && m.TicketID > 0
		for _, arr := range [][]braze.Object{tr.Attributes, tr.Events, tr.Purchases} {
			for _, o := range arr {
				if !pending && checkIdentifier("x", o) != nil {
					t.Fatalf("object without identifier accepted: %v", o)
				}
			}
		}
		for _, o := range append(append([]braze.Object{}, tr.Events...), tr.Purchases...) {
			at, ok := o["time"].(string)
			if !ok {
				t.Fatalf("event or purchase without time: %v", o)
			}
			// Sent as Braze documents it: to the millisecond at most.
			if sent, ok := brazeTimeOf(at); !ok || sent != at {
				t.Fatalf("time %q is not in the form sent (%q)", at, sent)
			}
		}
		if _, err := json.Marshal(tr); err != nil {
			t.Fatalf("accepted body does not encode: %v", err)
		}
	})
}

func TestParseTrackByTicket(t *testing.T) {
	for _, tc := range []struct {
		name        string
		body        string
		field       string // an error's field; "" for success
		ticket      int64
		unaddressed bool
	}{
		{name: "objects naming no one, with ticket_id", body: `{"ticket_id": "7001", "events": [{"name": "x"}], "attributes": [{"a": "1"}]}`, ticket: 7001, unaddressed: true},
		{name: "every object names someone", body: `{"ticket_id": "7001", "events": [{"external_id": "u", "name": "x"}]}`},
		{name: "one of two names no one", body: `{"ticket_id": "7001", "events": [{"external_id": "u", "name": "x"}, {"email": "", "name": "y"}]}`, ticket: 7001, unaddressed: true},
		{name: "no ticket_id", body: `{"events": [{"name": "x"}]}`, field: "events[0]"},
		{name: "ticket_id unrendered", body: `{"ticket_id": "{{ticket.id}}", "events": [{"name": "x"}]}`, field: "events[0]"},
		{name: "ticket_id not an id", body: `{"ticket_id": "7001; drop", "events": [{"name": "x"}]}`, field: "events[0]"},
		{name: "ticket_id with a leading zero", body: `{"ticket_id": "07001", "events": [{"name": "x"}]}`, field: "events[0]"},
		{name: "an object naming no one is still checked", body: `{"ticket_id": "7001", "events": [{"time": "x"}]}`, field: "events[0].name"},
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
			if err != nil || m.TicketID != tc.ticket || m.Unaddressed != tc.unaddressed || m.NeedsIdentity != tc.unaddressed {
				t.Fatalf("%+v, %v", m, err)
			}
		})
	}
}
