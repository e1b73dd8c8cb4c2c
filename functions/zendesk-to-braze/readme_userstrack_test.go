package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/liquidtest"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// partnerPageBody is the /users/track body as the Braze partner page
// writes it: the requester named by an external id placeholder.
const partnerPageBody = `{
  "attributes": [{ "external_id": "{{ticket.requester.external_id}}", "zendesk_last_ticket_status": "{{ticket.status}}" }],
  "events": [{ "external_id": "{{ticket.requester.external_id}}", "name": "zendesk_ticket_solved",
               "properties": { "ticket_id": "{{ticket.id}}" } }]
}`

// TestREADMEUsersTrackTemplate renders the README's /users/track body
// (zendesk-users-track-body) as Zendesk renders it, unescaped, for every
// ticket of liquidtest.Tickets, and sends it through the built function
// under the Lambda emulator. Every requester with an external id or an
// email gets its attribute and its event on its own profile, whatever the
// ticket's text or the requester's external id holds; one with neither is
// refused (400) with nothing sent. The partner page's form, beside it,
// loses every requester without an external id, as the README says.
func TestREADMEUsersTrackTemplate(t *testing.T) {
	tmpl := liquidtest.Template(t, "zendesk-users-track-body")
	if strings.Contains(tmpl, "ticket.requester") || strings.Contains(tmpl, "ticket.title") {
		t.Fatalf("the README's /users/track body names the requester or carries text:\n%s", tmpl)
	}
	env := startREADME(t)
	addUser, addTicket := userAdder(t, env.zd), ticketAdder(t, env.zd)
	env.bz.AddProfile("external_id", liquidtest.Victim)
	addUser(zendesktest.User{Name: "Victoria Victim", Email: liquidtest.VictimEmail, ExternalID: liquidtest.Victim})
	tickets := liquidtest.Tickets()
	users := map[liquidtest.Requester]int64{}
	for i := range tickets {
		tk := &tickets[i]
		uid, ok := users[tk.Requester]
		if !ok {
			uid = addUser(zendesktest.User{Name: tk.Requester.Name, Email: tk.Requester.Email, ExternalID: tk.Requester.ExternalID})
			users[tk.Requester] = uid
			if id := tk.Requester.Identity(); id != "" {
				key, value, _ := strings.Cut(id, ":")
				env.bz.AddProfile(key, value)
			}
		}
		tk.ID = addTicket(map[string]any{"id": tk.ID, "subject": tk.Title, "description": tk.Description, "status": tk.Status,
			"priority": tk.Priority, "type": tk.Type, "tags": tk.Tags, "requester_id": uid})
	}

	n := 0
	send := func(t *testing.T, body string) (int, map[string]any, []map[string]any, []map[string]any, int) {
		t.Helper()
		n++
		calls, evs, attrs := len(env.bz.Requests()), len(env.bz.Events()), len(env.bz.Attributes())
		resp := env.fn.Invoke(t, zendeskWebhook(t, 5000+n, body))
		return resp.StatusCode, lambdatest.JSON(t, resp), env.bz.Events()[evs:], env.bz.Attributes()[attrs:], len(env.bz.Requests()) - calls
	}
	var served, refused, lostByPartnerPage int
	for i, tk := range tickets {
		t.Run(fmt.Sprintf("%02d-%s", i, tk.Label), func(t *testing.T) {
			body, err := liquidtest.RenderZendesk(tmpl, tk)
			if err != nil {
				t.Fatal(err)
			}
			status, out, evs, attrs, calls := send(t, body)
			if !tk.Reachable() {
				refused++
				if status != 400 || out["error"] == nil || calls != 0 {
					t.Errorf("a requester with neither an external id nor an email: %d %v, %d Braze calls; want 400 and none", status, out, calls)
				}
				return
			}
			if status != 200 || len(evs) != 1 || len(attrs) != 1 {
				t.Fatalf("%d %v: %d events, %d attributes; want 200, one each\nbody sent:\n%s", status, out, len(evs), len(attrs), body)
			}
			served++
			for _, o := range []map[string]any{evs[0], attrs[0]} {
				if got := identityOf(o); got != tk.Requester.Identity() {
					t.Errorf("an object is on %q, want %q: %v", got, tk.Requester.Identity(), o)
				}
			}
			// A /users/track body goes as written: "{{ticket.id}}" is text.
			props, _ := evs[0]["properties"].(map[string]any)
			if evs[0]["name"] != "zendesk_ticket_solved" || props["ticket_id"] != fmt.Sprint(tk.ID) {
				t.Errorf("event %v", evs[0])
			}
			if attrs[0]["zendesk_last_ticket_status"] != liquidtest.StatusName(tk.Status) {
				t.Errorf("attribute %v, want status %s", attrs[0], liquidtest.StatusName(tk.Status))
			}

			// The partner page's form, for the same ticket.
			old, err := liquidtest.RenderZendesk(partnerPageBody, tk)
			if err != nil {
				t.Fatal(err)
			}
			if tk.Requester.ExternalID == "" {
				status, _, _, _, calls := send(t, old)
				if status != 400 || calls != 0 {
					t.Errorf("the partner page's form for a requester without an external id: %d, %d Braze calls", status, calls)
				}
				lostByPartnerPage++
			}
		})
	}
	for _, ev := range env.bz.Events() {
		if ev["external_id"] == liquidtest.Victim || ev["email"] == liquidtest.VictimEmail {
			t.Errorf("an event reached the victim: %v", ev)
		}
	}
	if served == 0 || lostByPartnerPage == 0 {
		t.Errorf("the corpus served %d requesters, and %d without an external id", served, lostByPartnerPage)
	}
	t.Logf("%d tickets: %d served on the requester's own profile, %d refused (no external id or email); the partner page's form loses %d of the served",
		len(tickets), served, refused, lostByPartnerPage)
}
