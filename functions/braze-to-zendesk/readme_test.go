package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/liquidtest"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// The Idempotency-Key header the README tells users to give the Braze
// webhook, and the one dispatch id of the whole send: every user's webhook
// carries the same key.
const (
	readmeKeyTemplate = "{{campaign.${dispatch_id}}}"
	readmeDispatchID  = "65f1c3e2a9b84d7c8e0f1a2b3c4d5e6f"
)

// TestREADMEBrazeTemplate renders the README's Braze webhook body
// (braze-ticket-body) with a real Liquid engine for every hostile profile of
// liquidtest.Profiles, sends each through the built function under the
// Lambda emulator as one Braze send would (one dispatch id, so one
// Idempotency-Key for all), and checks that every item is delivered exactly
// under its own Zendesk user, that no text chooses the recipient or adds a
// field, and that a Braze retry of every request files nothing new.
func TestREADMEBrazeTemplate(t *testing.T) {
	tmpl := liquidtest.Template(t, "braze-ticket-body")
	readmeRecommendsKey(t, readmeKeyTemplate)
	env := start(t)
	victimID := addZendeskUser(t, env.zd, zendesktest.User{Name: "Victoria Victim", Email: liquidtest.VictimEmail, ExternalID: liquidtest.Victim, Phone: "+14155550000"})

	type result struct {
		ran      bool
		event    events.APIGatewayV2HTTPRequest
		status   int
		accepted bool
		ticketID any
		userID   int64
	}
	profiles := liquidtest.Profiles()
	results := make([]result, len(profiles))
	var accepted, harmless, refusedInjection, unreachable int

	firstExternalID := map[int64]string{} // identity never moves
	identitiesKept := func(t *testing.T) {
		t.Helper()
		for _, u := range env.zd.Users() {
			first, seen := firstExternalID[u.ID]
			if !seen {
				firstExternalID[u.ID] = u.ExternalID
			} else if u.ExternalID != first {
				t.Errorf("Zendesk user %d's external_id moved from %q to %q", u.ID, first, u.ExternalID)
			}
		}
	}
	identitiesKept(t)
	owners := map[string]int{} // trimmed email → index of the first accepted profile with it

	for i, p := range profiles {
		t.Run(fmt.Sprintf("%02d-%s", i, p.Label), func(t *testing.T) {
			body, err := liquidtest.RenderBraze(tmpl, p, readmeDispatchID)
			if err != nil {
				t.Fatalf("rendering the README's body: %v", err)
			}
			key, err := liquidtest.RenderBraze(readmeKeyTemplate, p, readmeDispatchID)
			if err != nil || key != readmeDispatchID {
				t.Fatalf("the Idempotency-Key renders %q (%v), want the dispatch id", key, err)
			}
			capture, err := liquidtest.RenderBrazeCapture(tmpl, "ticket_body", p, readmeDispatchID)
			if err != nil {
				t.Fatal(err)
			}
			var sent struct{ Ticket map[string]any }
			if err := json.Unmarshal([]byte(body), &sent); err != nil {
				t.Fatalf("the rendered body is not JSON, so json_escape was not applied somewhere: %v\n%s", err, body)
			}

			r := &results[i]
			r.event = brazeWebhook(i, body, key)
			usersBefore, ticketsBefore := env.zd.Users(), env.zd.Tickets()
			defer func() { // whatever the answer: nothing injected took effect, nobody else changed
				identitiesKept(t)
				unchanged(t, usersBefore, env.zd.Users())
				noInjectionTookEffect(t, env.zd, victimID)
			}()
			resp := env.fn.Invoke(t, r.event)
			r.ran, r.status = true, resp.StatusCode
			out := lambdatest.JSON(t, resp)
			tickets := env.zd.Tickets()
			switch {
			case resp.StatusCode >= 500:
				t.Fatalf("status %d (Braze retries a 5xx: the whole send would be retried): %s", resp.StatusCode, resp.Body)
			case !p.Reachable():
				unreachable++
				if resp.StatusCode != 400 || errorText(out) == "" {
					t.Errorf("a profile with neither an external id nor an email: %d %s, want 400 with an error", resp.StatusCode, resp.Body)
				}
				if len(tickets) != len(ticketsBefore) {
					t.Errorf("a refused profile filed a ticket: %v", tickets[len(ticketsBefore):])
				}
				return
			case p.Injection && resp.StatusCode == 400:
				refusedInjection++
				if errorText(out) == "" {
					t.Errorf("400 without an error: %s", resp.Body)
				}
				if len(tickets) != len(ticketsBefore) {
					t.Errorf("a refused profile filed a ticket: %v", tickets[len(ticketsBefore):])
				}
				t.Logf("injection refused: %s", resp.Body)
				return
			case resp.StatusCode != 201:
				t.Fatalf("status %d, want 201: %s", resp.StatusCode, resp.Body)
			}

			if len(tickets) != len(ticketsBefore)+1 {
				t.Fatalf("Zendesk has %d new tickets, want exactly 1", len(tickets)-len(ticketsBefore))
			}
			tk := tickets[len(ticketsBefore)]
			r.accepted, r.ticketID = true, out["ticket_id"]
			accepted++
			if p.Injection {
				harmless++
			}
			if out["ticket_id"] != tk["id"] {
				t.Errorf("answered ticket_id %v, Zendesk made %v", out["ticket_id"], tk["id"])
			}
			if u, _ := out["url"].(string); !strings.HasSuffix(u, fmt.Sprintf("/agent/tickets/%v", tk["id"])) {
				t.Errorf("url = %q, want one ending in /agent/tickets/%v", u, tk["id"])
			}

			// The requester: the Zendesk user holding this profile's external
			// id, else (email-only) the one user with its email.
			ext, email := p.WantExternalID(), p.WantEmail()
			var matches []zendesktest.User
			for _, u := range env.zd.Users() {
				if (ext != "" && u.ExternalID == ext) || (ext == "" && u.Email == email) {
					matches = append(matches, u)
				}
			}
			if len(matches) != 1 {
				t.Fatalf("%d Zendesk users hold %s, want exactly 1: %+v", len(matches), p.Identity(), matches)
			}
			owner := matches[0]
			r.userID = owner.ID
			// Zendesk's own view of the ticket says whose it is, however the
			// bridge named the requester (requester_id, or a requester object).
			if got := zendeskView(t, env.zd, tk["id"])["requester_id"]; got != float64(owner.ID) {
				t.Errorf("Zendesk files the ticket under user %v, want %d, the user holding %s (the bridge sent %v)", got, owner.ID, p.Identity(), tk)
			}
			if owner.ID == victimID {
				t.Errorf("filed under the victim's user")
			}
			if slices.ContainsFunc(usersBefore, func(u zendesktest.User) bool { return u.ID == owner.ID }) {
				t.Errorf("filed under user %d, who existed before this profile's first send: %+v", owner.ID, owner)
			}
			if ext == "" && owner.ExternalID != "" {
				t.Errorf("an email-only profile's user got external_id %q (the email never becomes an external id)", owner.ExternalID)
			}
			if owner.Name != p.WantName() {
				t.Errorf("user name = %q, want %q", owner.Name, p.WantName())
			}
			if owner.Phone != p.WantPhone() {
				t.Errorf("user phone = %q, want %q", owner.Phone, p.WantPhone())
			}
			first, shares := owners[email]
			if shares && email != "" {
				// Another profile has this email: a Zendesk email belongs to
				// one user, so this user may go without it, but it must be
				// its own user.
				other := results[first]
				if owner.ID == other.userID {
					t.Errorf("filed under %s's user %d, who shares the email: the email chose the recipient", profiles[first].Label, other.userID)
				}
				if owner.Email != email && owner.Email != "" {
					t.Errorf("user email = %q, want %q or none", owner.Email, email)
				}
				t.Logf("shares %s with %s: filed under user %d (external_id %q, email %q), not %d", email, profiles[first].Label, owner.ID, owner.ExternalID, owner.Email, other.userID)
			} else {
				owners[email] = i
				if owner.Email != email {
					t.Errorf("user email = %q, want %q", owner.Email, email)
				}
			}

			// The ticket: the template's fields, and the capture exactly.
			comment, _ := tk["comment"].(map[string]any)
			if want := strings.TrimSpace(capture); comment == nil || comment["body"] != want {
				t.Errorf("comment body = %q, want %q", comment["body"], want)
			}
			for _, f := range []string{"subject", "type", "priority", "status"} {
				want, _ := sent.Ticket[f].(string)
				if f != "subject" {
					want = strings.ToLower(want)
				}
				if tk[f] != strings.TrimSpace(want) {
					t.Errorf("ticket %s = %v, want %q", f, tk[f], want)
				}
			}
		})
	}

	// Braze retries: the very same request again, for every profile.
	ticketsAfter := len(env.zd.Tickets())
	for i, p := range profiles {
		r := results[i]
		if !r.ran {
			continue
		}
		t.Run(fmt.Sprintf("retry/%02d-%s", i, p.Label), func(t *testing.T) {
			usersBefore, n := env.zd.Users(), len(env.zd.Tickets())
			resp := env.fn.Invoke(t, r.event)
			out := lambdatest.JSON(t, resp)
			if resp.StatusCode >= 500 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			if r.accepted && (resp.StatusCode != 201 || out["ticket_id"] != r.ticketID) {
				t.Errorf("retry answered %d %s, want 201 with ticket_id %v", resp.StatusCode, resp.Body, r.ticketID)
			}
			if !r.accepted && resp.StatusCode != r.status {
				t.Errorf("retry answered %d, the first send %d: %s", resp.StatusCode, r.status, resp.Body)
			}
			if got := len(env.zd.Tickets()); got != n {
				t.Errorf("the retry filed %d more tickets", got-n)
			}
			unchanged(t, usersBefore, env.zd.Users())
			identitiesKept(t)
		})
	}

	if got := len(env.zd.Tickets()); got != accepted || ticketsAfter != accepted {
		t.Errorf("Zendesk holds %d tickets (%d before the retries), want one per accepted profile: %d", got, ticketsAfter, accepted)
	}
	// Every accepted profile's user still is what that profile made it: no
	// later send renamed it or took its identity.
	users := env.zd.Users()
	for i, p := range profiles {
		if !results[i].accepted {
			continue
		}
		idx := slices.IndexFunc(users, func(u zendesktest.User) bool { return u.ID == results[i].userID })
		if idx < 0 {
			t.Errorf("%s: user %d is gone", p.Label, results[i].userID)
			continue
		}
		if u := users[idx]; u.Name != p.WantName() || u.ExternalID != p.WantExternalID() || u.Phone != p.WantPhone() {
			t.Errorf("%s: at the end, user %d is %+v", p.Label, u.ID, u)
		}
	}
	noInjectionTookEffect(t, env.zd, victimID)
	for _, tk := range env.zd.Tickets() {
		if zendeskView(t, env.zd, tk["id"])["requester_id"] == float64(victimID) {
			t.Errorf("Zendesk files ticket %v under %s's user", tk["id"], liquidtest.Victim)
		}
	}
	t.Logf("%d profiles: %d accepted (201; %d of them injection attempts, filed harmlessly), %d refused with 400 (%d without an external id or email, %d injection attempts); %d tickets, %d Zendesk users",
		len(profiles), accepted, harmless, unreachable+refusedInjection, unreachable, refusedInjection, len(env.zd.Tickets()), len(users))
}

// readmeRecommendsKey fails unless the README tells users to send key as
// the Braze webhook's Idempotency-Key, which is what this test sends.
func readmeRecommendsKey(t *testing.T, key string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(lambdatest.Root(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "`Idempotency-Key`: `"+key+"`") {
		t.Fatalf("the README no longer recommends the Idempotency-Key header %s, which this test sends", key)
	}
}

// brazeWebhook is the API Gateway event of Braze's webhook request n.
func brazeWebhook(n int, body, key string) events.APIGatewayV2HTTPRequest {
	const ua = "Braze Sender 75e404755ae1270441f07eb238f0faf25e44dfdf"
	return events.APIGatewayV2HTTPRequest{
		Version:  "2.0",
		RouteKey: "POST /braze/tickets",
		RawPath:  "/braze/tickets",
		Headers: map[string]string{
			"authorization":     "Bearer " + hookToken,
			"content-type":      "application/json",
			"idempotency-key":   key,
			"content-length":    strconv.Itoa(len(body)),
			"host":              "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
			"user-agent":        ua,
			"x-forwarded-proto": "https",
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST /braze/tickets", AccountID: "123456789012", Stage: "$default",
			RequestID: fmt.Sprintf("readme-%03d", n), APIID: "a1b2c3d4e5",
			DomainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", DomainPrefix: "a1b2c3d4e5",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "POST", Path: "/braze/tickets", Protocol: "HTTP/1.1", SourceIP: "52.1.2.3", UserAgent: ua,
			},
		},
		Body: body,
	}
}

func errorText(out map[string]any) string {
	s, _ := out["error"].(string)
	return s
}

// unchanged fails the test for each user of before that is no longer the
// same in after (renamed, re-addressed, re-identified, or gone).
func unchanged(t *testing.T, before, after []zendesktest.User) {
	t.Helper()
	for _, b := range before {
		i := slices.IndexFunc(after, func(u zendesktest.User) bool { return u.ID == b.ID })
		if i < 0 {
			t.Errorf("Zendesk user %d (%q) is gone", b.ID, b.ExternalID)
		} else if after[i] != b {
			t.Errorf("Zendesk user %d changed: %+v → %+v", b.ID, b, after[i])
		}
	}
}

// noInjectionTookEffect checks every ticket and user for what the corpus's
// injection attempts try to add.
func noInjectionTookEffect(t *testing.T, zd *zendesktest.Server, victimID int64) {
	t.Helper()
	for _, tk := range zd.Tickets() {
		if tk["requester_id"] == float64(victimID) {
			t.Errorf("ticket %v was filed under %s's user", tk["id"], liquidtest.Victim)
		}
		if req, _ := tk["requester"].(map[string]any); req != nil && req["email"] == liquidtest.VictimEmail {
			t.Errorf("ticket %v names %s's email as its requester", tk["id"], liquidtest.Victim)
		}
		for _, f := range []string{"assignee_id", "event_name", "x", "y", "z"} {
			if v, ok := tk[f]; ok {
				t.Errorf("ticket %v carries an injected %s: %v", tk["id"], f, v)
			}
		}
		if tags, _ := tk["tags"].([]any); slices.Contains(tags, any(liquidtest.InjectedTag)) {
			t.Errorf("ticket %v carries the injected tag %q", tk["id"], liquidtest.InjectedTag)
		}
		if s, _ := tk["external_id"].(string); s == liquidtest.Victim {
			t.Errorf("ticket %v carries external_id %s", tk["id"], liquidtest.Victim)
		}
	}
	for _, u := range zd.Users() {
		if u.ID != victimID && (u.ExternalID == liquidtest.Victim || u.Email == liquidtest.VictimEmail) {
			t.Errorf("user %d took the victim's identity: %+v", u.ID, u)
		}
	}
}

// zendeskView reads ticket id as Zendesk shows it (GET /api/v2/tickets/{id}.json
// on the stand-in): requester_id is set however the ticket named its requester.
func zendeskView(t *testing.T, zd *zendesktest.Server, id any) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v2/tickets/%v.json", zd.URL, id), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(agent+"/token", zdToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Ticket map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Ticket == nil {
		t.Fatalf("GET ticket %v from the stand-in: %d, %v", id, resp.StatusCode, err)
	}
	return out.Ticket
}

// addZendeskUser stores a user in the stand-in as if created in Zendesk
// earlier, whichever form of AddUser the stand-in has.
func addZendeskUser(t *testing.T, zd *zendesktest.Server, u zendesktest.User) int64 {
	t.Helper()
	switch s := any(zd).(type) {
	case interface{ AddUser(zendesktest.User) int64 }:
		return s.AddUser(u)
	case interface{ AddUser(map[string]any) int64 }:
		return s.AddUser(map[string]any{"name": u.Name, "email": u.Email, "phone": u.Phone, "external_id": u.ExternalID})
	}
	t.Fatal("zendesktest.Server has no AddUser(User) int64 or AddUser(map[string]any) int64")
	return 0
}
