package tracking_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const hostileTitle = `Hi", "external_id": "victim-001", "x": "` + "\\ \n 日本語 🎉"

func event(typ string, ticket, requester int64, extra string) string {
	return fmt.Sprintf(`{"type": "zen:event-type:%s", "account_id": 1, "id": "ev-%d", "time": "2026-11-24T11:59:00Z",
		"subject": "zen:ticket:%d", "detail": {"id": "%d", "requester_id": "%d", "status": "SOLVED", "subject": %q}, "event": {%s}}`,
		typ, ticket, ticket, ticket, requester, hostileTitle, extra)
}

func TestEventWebhookGoesToTheRequestersProfile(t *testing.T) {
	f := newFixture(t)
	withExt := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
	emailOnly := f.zd.AddUser(zendesktest.User{Name: "Bo", Email: "bo@example.com"})
	nobody := f.zd.AddUser(zendesktest.User{Name: "Anonymous"})

	resp, _ := f.send(t, event("ticket.status_changed", 7, withExt, `"current": "SOLVED", "previous": "OPEN"`), "inv-1")
	if resp.Status != 200 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	f.send(t, event("ticket.comment_added", 7, withExt, `"comment": {"id": "10001", "body": "Thanks", "is_public": true, "author": {"id": "`+fmt.Sprint(withExt)+`", "is_staff": false, "name": "Ada"}}`), "inv-2")
	f.send(t, event("ticket.created", 8, emailOnly, ``), "inv-3")
	evs := f.bz.Events()
	if len(evs) != 3 {
		t.Fatalf("events = %v", evs)
	}
	for i, want := range []struct{ name, key, value string }{
		{"zendesk_ticket_solved", "external_id", "user-123"},
		{"zendesk_ticket_comment_added", "external_id", "user-123"},
		{"zendesk_ticket_created", "email", "bo@example.com"},
	} {
		ev := evs[i]
		props := ev["properties"].(map[string]any)
		if ev["name"] != want.name || ev[want.key] != want.value || props["subject"] != hostileTitle || ev["time"] != "2026-11-24T11:59:00Z" {
			t.Errorf("event %d = %v, want %s on %s %s", i, ev, want.name, want.key, want.value)
		}
		if ev["external_id"] == "victim-001" {
			t.Errorf("the title chose the profile: %v", ev)
		}
	}
	if n := len(f.zd.RequestsTo(zendesktest.UserPath(withExt))); n != 1 {
		t.Errorf("the requester was read %d times, want once (then cached)", n)
	}

	resp, out := f.send(t, event("ticket.created", 9, nobody, ``), "inv-4")
	if resp.Status != 400 || !strings.Contains(out["error"].(string), "no external id or email") {
		t.Errorf("requester without identifiers: %d %s", resp.Status, resp.Body)
	}
	resp, _ = f.send(t, event("ticket.created", 9, 424242, ``), "inv-5")
	if resp.Status != 400 {
		t.Errorf("unknown requester: %d %s", resp.Status, resp.Body)
	}
	resp, out = f.send(t, `{"type": "zen:event-type:user.created", "detail": {"id": "1"}}`, "inv-6")
	if resp.Status != 200 || !strings.HasPrefix(out["message"].(string), "ignored") {
		t.Errorf("user event: %d %s", resp.Status, resp.Body)
	}
	if n := len(f.bz.Events()); n != 3 {
		t.Errorf("events = %d after refusals, want 3", n)
	}
}

func TestTriggerBodyReadsTextFromZendesk(t *testing.T) {
	f := newFixture(t)
	ada := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
	id := f.zd.AddTicket(map[string]any{"subject": hostileTitle, "status": "solved", "requester_id": ada})

	recommended := fmt.Sprintf(`{"ticket_id": "%d", "status": "Solved", "external_id": "user-123", "email": "ada@example.com", "priority": "", "ticket_type": "{{ticket.ticket_type}}"}`, id)
	if resp, _ := f.send(t, recommended, "inv-1"); resp.Status != 200 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	nobodyNamed := fmt.Sprintf(`{"ticket_id": "%d", "status": "Solved", "external_id": "{{ticket.requester.external_id}}", "email": ""}`, id)
	if resp, _ := f.send(t, nobodyNamed, "inv-2"); resp.Status != 200 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	for i, ev := range f.bz.Events() {
		props := ev["properties"].(map[string]any)
		if ev["external_id"] != "user-123" || props["subject"] != hostileTitle || props["ticket_id"] != float64(id) {
			t.Errorf("event %d = %v", i, ev)
		}
	}
	// An older body that carries its subject is sent as it is.
	before := len(f.zd.Requests())
	old := fmt.Sprintf(`{"ticket_id": "%d", "status": "Solved", "external_id": "user-123", "subject": "As sent"}`, id)
	f.send(t, old, "inv-3")
	if len(f.zd.Requests()) != before || f.bz.Events()[2]["properties"].(map[string]any)["subject"] != "As sent" {
		t.Errorf("an old body was read again from Zendesk")
	}
	// A deleted ticket costs only the subject, unless it was to name the requester.
	gone := `{"ticket_id": "999999", "status": "Solved", "external_id": "user-123"}`
	if resp, _ := f.send(t, gone, "inv-4"); resp.Status != 200 {
		t.Errorf("deleted ticket, requester named: %d %s", resp.Status, resp.Body)
	}
	gone = `{"ticket_id": "999999", "status": "Solved"}`
	if resp, _ := f.send(t, gone, "inv-5"); resp.Status != 400 {
		t.Errorf("deleted ticket, requester unknown: %d %s", resp.Status, resp.Body)
	}
}

func TestZendeskReadFailures(t *testing.T) {
	for _, tc := range []struct {
		name       string
		script     []zendesktest.Reply
		status     int
		retryAfter string
	}{
		{"rate limited past the budget", []zendesktest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "30"}}}, 503, "30"},
		{"rate limited briefly", []zendesktest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "1"}}}, 200, ""},
		{"failing", []zendesktest.Reply{{Status: 503}, {Status: 503}, {Status: 503}}, 503, "10"},
		{"forbidden", []zendesktest.Reply{{Status: 403, Body: `{"error": {"title": "Forbidden", "message": "You do not have access"}}`}}, 502, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			u := f.zd.AddUser(zendesktest.User{Name: "Ada", ExternalID: "user-123"})
			f.zd.Script(zendesktest.UserPath(u), tc.script...)
			resp, out := f.send(t, event("ticket.created", 1, u, ``), "inv-"+tc.name)
			if resp.Status != tc.status || resp.Header["retry-after"] != tc.retryAfter {
				t.Fatalf("%d (Retry-After %q) %s, want %d (%q)", resp.Status, resp.Header["retry-after"], resp.Body, tc.status, tc.retryAfter)
			}
			if tc.status != 200 && (len(f.bz.Requests()) != 0 || out["error"] == "") {
				t.Errorf("Braze was called, or no error: %s", resp.Body)
			}
		})
	}
}

func TestZendeskReadsNeedTheirKeys(t *testing.T) {
	f := newFixture(t)
	delete(f.src.vals, zendesk.KeyAPIToken)
	u := f.zd.AddUser(zendesktest.User{Name: "Ada", ExternalID: "user-123"})
	resp, out := f.send(t, event("ticket.created", 1, u, ``), "inv-1")
	if resp.Status != 500 || !strings.Contains(out["error"].(string), "zendesk_api_token") {
		t.Errorf("event webhook without the keys: %d %s", resp.Status, resp.Body)
	}
	// A trigger body only loses its subject.
	resp, _ = f.send(t, `{"ticket_id": "1", "status": "solved", "external_id": "user-123"}`, "inv-2")
	if resp.Status != 200 || len(f.bz.Events()) != 1 || len(f.zd.Requests()) != 0 {
		t.Errorf("trigger body without the keys: %d %s, zendesk calls %d", resp.Status, resp.Body, len(f.zd.Requests()))
	}
}

func TestTestSignatureExplainsItself(t *testing.T) {
	f := newFixture(t)
	ts := now.Format(time.RFC3339)
	body := `{"ticket_id": "1", "status": "solved", "external_id": "u"}`
	resp, out := f.send(t, body, "inv-1", zendesk.SignatureHeader, zendesk.Sign(zendesk.TestSigningSecret, ts, []byte(body)))
	msg, _ := out["error"].(string)
	if resp.Status != 401 || !strings.Contains(msg, "test secret") || !strings.Contains(msg, "Test webhook") {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if len(f.bz.Requests()) != 0 {
		t.Error("Braze was called for a test send")
	}
	// A function whose secret holds the published test secret lets no one in.
	g := newFixture(t)
	g.src.vals[tracking.KeyWebhookSecret] = zendesk.TestSigningSecret
	resp, _ = g.send(t, body, "inv-2", zendesk.SignatureHeader, zendesk.Sign(zendesk.TestSigningSecret, ts, []byte(body)))
	if resp.Status != 401 || len(g.bz.Requests()) != 0 {
		t.Errorf("the test secret as the signing secret: %d %s", resp.Status, resp.Body)
	}
}

// A rotated signing secret works on its first use, however soon after the
// container last read its secret (Zendesk does not retry a 401: a refusal
// is a lost delivery), while forged signatures read the secret at most
// once per 10 s.
func TestRotatedSigningSecretWorksAtOnce(t *testing.T) {
	for _, since := range []time.Duration{0, 5 * time.Second, 11 * time.Second} {
		t.Run(fmt.Sprint(since, " after the last read"), func(t *testing.T) {
			f := newFixture(t)
			f.send(t, flat, "inv-1") // the cold start reads the secret
			ts := now.Format(time.RFC3339)
			signed := func(secret string) string { return zendesk.Sign(secret, ts, []byte(flat)) }

			f.src.vals[tracking.KeyWebhookSecret] = "rotated-secret"
			loads := f.src.loads
			f.clock = f.clock.Add(since)
			if resp, _ := f.send(t, flat, "inv-2", zendesk.SignatureHeader, signed("rotated-secret")); resp.Status != 200 || f.src.loads != loads+1 {
				t.Fatalf("first use: %d %s, loads %d → %d; want 200 after one read", resp.Status, resp.Body, loads, f.src.loads)
			}
			loads = f.src.loads
			for i := range 20 {
				f.clock = f.clock.Add(time.Second)
				f.send(t, flat, fmt.Sprint("forged-", i), zendesk.SignatureHeader, signed("guess"))
			}
			if n := f.src.loads - loads; n > 2 {
				t.Errorf("20 forged requests over 20 s read the secret %d times, want at most 2", n)
			}
			if n := len(f.bz.RequestsTo(brazetest.TrackPath)); n != 2 {
				t.Errorf("braze calls = %d, want 2", n)
			}
		})
	}
}

// An internal note never becomes the customer-facing comment event: by
// default it is not sent at all; SEND_PRIVATE_COMMENTS sends it under its
// own name. Public comments carry public and author_is_staff.
func TestPrivateCommentsAreNotCustomerEvents(t *testing.T) {
	comment := func(public, staff bool) string {
		return fmt.Sprintf(`"comment": {"id": "10001", "body": "Refund approved \"internally\" \\ 日本語", "is_public": %v, "author": {"id": "8", "is_staff": %v, "name": "Agent"}}`, public, staff)
	}
	for _, tc := range []struct {
		name        string
		sendPrivate bool
		public      bool
		staff       bool
		wantEvent   string // "" for nothing sent
		wantIgnored bool
	}{
		{name: "internal note, default", public: false, staff: true, wantIgnored: true},
		{name: "internal note, sent when asked", sendPrivate: true, public: false, staff: true, wantEvent: tracking.PrivateCommentEvent},
		{name: "agent's public reply", public: true, staff: true, wantEvent: "zendesk_ticket_comment_added"},
		{name: "customer's comment", public: true, staff: false, wantEvent: "zendesk_ticket_comment_added"},
		{name: "customer's comment, private sent too", sendPrivate: true, public: true, staff: false, wantEvent: "zendesk_ticket_comment_added"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.h.Service.SendPrivateComments = tc.sendPrivate
			ada := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
			resp, out := f.send(t, event("ticket.comment_added", 7, ada, comment(tc.public, tc.staff)), "inv-1")
			if resp.Status != 200 {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			msg, _ := out["message"].(string)
			if ignored := strings.HasPrefix(msg, "ignored"); ignored != tc.wantIgnored {
				t.Errorf("answer %s, ignored wanted: %v", resp.Body, tc.wantIgnored)
			}
			evs := f.bz.Events()
			if tc.wantEvent == "" {
				if len(evs) != 0 || len(f.zd.Requests()) != 0 {
					t.Errorf("events %v, Zendesk calls %d; want nothing sent or read", evs, len(f.zd.Requests()))
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("events = %v", evs)
			}
			props := evs[0]["properties"].(map[string]any)
			if evs[0]["name"] != tc.wantEvent || evs[0]["external_id"] != "user-123" || props["public"] != tc.public || props["author_is_staff"] != tc.staff {
				t.Errorf("event = %v, want %s with public %v, author_is_staff %v", evs[0], tc.wantEvent, tc.public, tc.staff)
			}
		})
	}
}
