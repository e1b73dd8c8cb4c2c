package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/liquidtest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// This test's own configuration: the function also reads Zendesk.
const (
	readmeSecretID     = "bridge/zendesk-to-braze-readme"
	readmeBrazeKey     = "braze-readme-key"
	readmeHookSecret   = "local-zendesk-webhook-secret"
	readmeZendeskEmail = "agent@example.com"
	readmeZendeskToken = "zd-readme-token"
	readmeAccountID    = 12514403
	readmeEventTime    = "2026-11-24T12:00:00Z"
)

type readmeEnv struct {
	fn *lambdatest.Function
	bz *brazetest.Server
	zd *zendesktest.Server
}

// startREADME runs the built function under the emulator against moto, the
// Braze stand-in and the Zendesk stand-in, with a secret that also holds the
// Zendesk API token it reads tickets and users with.
func startREADME(t *testing.T) *readmeEnv {
	t.Helper()
	moto := mototest.Start(t)
	moto.Put(t, readmeSecretID, map[string]string{
		"braze_api_key": readmeBrazeKey, "zendesk_webhook_secret": readmeHookSecret,
		"zendesk_email": readmeZendeskEmail, "zendesk_api_token": readmeZendeskToken,
	})
	bz := brazetest.New(readmeBrazeKey)
	t.Cleanup(bz.Close)
	zd := zendesktest.New(readmeZendeskEmail, readmeZendeskToken)
	t.Cleanup(zd.Close)
	vars := append(moto.Env(), "SECRET_ID="+readmeSecretID, "BRAZE_REST_ENDPOINT="+bz.URL, "ZENDESK_BASE_URL="+zd.URL, "AWS_LAMBDA_LOG_LEVEL=DEBUG")
	fn := lambdatest.Start(t, lambdatest.Build(t, "zendesk-to-braze"), vars...)
	return &readmeEnv{fn: fn, bz: bz, zd: zd}
}

// TestREADMEZendeskTemplate stores every hostile ticket of
// liquidtest.Tickets and its requester in the Zendesk stand-in, then sends
// each through the built function under the Lambda emulator three ways:
// the README's trigger body (zendesk-trigger-body) rendered as Zendesk
// renders it, unescaped; and Zendesk event-webhook payloads
// (ticket.status_changed, ticket.created, user.created) encoded as Zendesk
// encodes them. Every event must land once on the requester's own profile
// with the ticket's exact title, and no text may choose the profile.
func TestREADMEZendeskTemplate(t *testing.T) {
	tmpl := liquidtest.Template(t, "zendesk-trigger-body")
	env := startREADME(t)
	addZendeskUser := userAdder(t, env.zd)
	addTicket := ticketAdder(t, env.zd)
	// Every requester is also a Braze user, by the identifier the bridge
	// addresses them with: the bridge creates no profiles by default.
	addUser := func(u zendesktest.User) int64 {
		switch {
		case u.ExternalID != "":
			env.bz.AddProfile("external_id", u.ExternalID)
		case u.Email != "":
			env.bz.AddProfile("email", u.Email)
		}
		return addZendeskUser(u)
	}

	victimID := addUser(zendesktest.User{Name: "Victoria Victim", Email: liquidtest.VictimEmail, ExternalID: liquidtest.Victim})
	tickets := liquidtest.Tickets()
	requesterIDs := map[liquidtest.Requester]int64{}
	for i := range tickets {
		tk := &tickets[i]
		uid, ok := requesterIDs[tk.Requester]
		if !ok {
			uid = addUser(zendesktest.User{Name: tk.Requester.Name, Email: tk.Requester.Email, ExternalID: tk.Requester.ExternalID})
			requesterIDs[tk.Requester] = uid
		}
		id := addTicket(map[string]any{
			"id": tk.ID, "subject": tk.Title, "description": tk.Description, "status": tk.Status,
			"priority": tk.Priority, "type": tk.Type, "tags": tk.Tags, "requester_id": uid,
		})
		if id != tk.ID {
			t.Logf("%s: the stand-in stored ticket %d as %d", tk.Label, tk.ID, id)
			tk.ID = id
		}
	}

	invocation := 0
	send := func(t *testing.T, body string) (events.APIGatewayV2HTTPResponse, map[string]any, []map[string]any, int) {
		t.Helper()
		invocation++
		calls, evs := len(env.bz.Requests()), len(env.bz.Events())
		resp := env.fn.Invoke(t, zendeskWebhook(t, invocation, body))
		out := lambdatest.JSON(t, resp)
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
		return resp, out, env.bz.Events()[evs:], len(env.bz.Requests()) - calls
	}
	want := map[string]int{} // identity → events it must end with
	var delivered, refusedUnreachable, refusedInjection, injectionDelivered, eventWebhooks, userEvents int
	readRequesters := map[int64]int64{} // requester → the ticket it was read with

	for i, tk := range tickets {
		uid := requesterIDs[tk.Requester]
		t.Run(fmt.Sprintf("%02d-%s", i, tk.Label), func(t *testing.T) {
			t.Run("trigger", func(t *testing.T) {
				body, err := liquidtest.RenderZendesk(tmpl, tk)
				if err != nil {
					t.Fatalf("rendering the README's trigger body: %v", err)
				}
				resp, out, got, calls := send(t, body)
				switch {
				case !tk.Reachable():
					refusedUnreachable++
					if resp.StatusCode != 400 || out["error"] == nil || calls != 0 {
						t.Errorf("a requester with neither an external id nor an email: %d %s, %d Braze calls; want 400 and none", resp.StatusCode, resp.Body, calls)
					}
					return
				case tk.Injection && resp.StatusCode == 400:
					refusedInjection++
					if out["error"] == nil || calls != 0 {
						t.Errorf("refused with %s after %d Braze calls", resp.Body, calls)
					}
					t.Logf("the unescaped body was refused: %s", resp.Body)
					return
				case resp.StatusCode != 200:
					t.Fatalf("status %d, want 200: %s\nbody sent:\n%s", resp.StatusCode, resp.Body, body)
				}
				delivered++
				if tk.Injection {
					injectionDelivered++
				}
				name := "zendesk_ticket_" + strings.ReplaceAll(strings.ToLower(liquidtest.StatusName(tk.Status)), " ", "_")
				if len(got) != 1 {
					t.Fatalf("Braze got %d events, want 1: %v\nbody sent:\n%s", len(got), got, body)
				}
				want[tk.Requester.Identity()]++
				checkEvent(t, got[0], name, tk)
			})

			ticketEvent := func(t *testing.T, kind, status string, event map[string]any) {
				invocationID := fmt.Sprintf("01JDQ7ZC5X-%04d-%s", invocation+1, kind)
				body := mustJSON(t, map[string]any{
					"type": "zen:event-type:ticket." + kind, "account_id": readmeAccountID, "id": uuidLike(invocation + 1),
					"time": readmeEventTime, "zendesk_event_version": "2022-11-06",
					"subject": fmt.Sprintf("zen:ticket:%d", tk.ID), "detail": ticketDetail(tk, uid, status), "event": event,
				})
				resp, out, got, calls := send(t, body)
				eventWebhooks++
				if !tk.Reachable() {
					if resp.StatusCode != 400 || out["error"] == nil || calls != 0 {
						t.Errorf("a requester with neither an external id nor an email: %d %s, %d Braze calls; want 400 and none", resp.StatusCode, resp.Body, calls)
					}
					return
				}
				readRequesters[uid] = tk.ID
				if resp.StatusCode != 200 {
					t.Fatalf("status %d, want 200 (%s): %s", resp.StatusCode, invocationID, resp.Body)
				}
				name := "zendesk_ticket_" + strings.ToLower(status)
				if kind != "status_changed" {
					name = "zendesk_ticket_" + kind
				}
				if len(got) != 1 {
					t.Fatalf("Braze got %d events, want 1: %v", len(got), got)
				}
				want[tk.Requester.Identity()]++
				checkEvent(t, got[0], name, tk)
				if at, err := brazeTime(got[0]["time"]); err != nil || !at.Equal(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)) {
					t.Errorf("event time = %v (%v), want the payload's %s", got[0]["time"], err, readmeEventTime)
				}
			}
			t.Run("status_changed", func(t *testing.T) {
				ticketEvent(t, "status_changed", "SOLVED", map[string]any{"current": "SOLVED", "previous": "OPEN"})
			})
			t.Run("created", func(t *testing.T) {
				ticketEvent(t, "created", "NEW", map[string]any{})
			})
			t.Run("user_created", func(t *testing.T) {
				body := mustJSON(t, map[string]any{
					"type": "zen:event-type:user.created", "account_id": readmeAccountID, "id": uuidLike(invocation + 1),
					"time": readmeEventTime, "zendesk_event_version": "2022-06-20", "subject": fmt.Sprintf("zen:user:%d", uid),
					"detail": map[string]any{
						"created_at": readmeEventTime, "email": tk.Requester.Email, "external_id": tk.Requester.ExternalID,
						"default_group_id": "0", "id": strconv.FormatInt(uid, 10), "organization_id": "0", "role": "end-user",
						"updated_at": readmeEventTime,
					},
					"event": map[string]any{},
				})
				resp, _, got, calls := send(t, body)
				userEvents++
				if resp.StatusCode != 200 || calls != 0 || len(got) != 0 {
					t.Errorf("user.created: %d %s, %d Braze calls; want 200 and nothing sent", resp.StatusCode, resp.Body, calls)
				}
			})
		})
	}

	// No text chose a profile: every event is where the corpus says, and
	// nothing reached the victim, was named by an injection, or renamed a
	// profile.
	got := map[string]int{}
	for _, ev := range env.bz.Events() {
		if ev["name"] == liquidtest.HackedEventName {
			t.Errorf("an injected event name took effect: %v", ev)
		}
		if ev["external_id"] == liquidtest.Victim || ev["email"] == liquidtest.VictimEmail {
			t.Errorf("an event reached %s: %v", liquidtest.Victim, ev)
		}
		got[identityOf(ev)]++
	}
	// Profiles change only by the support state, on the profile of an
	// event, never the victim's nor one a text named.
	for _, a := range env.bz.Attributes() {
		if a["external_id"] == liquidtest.Victim || a["email"] == liquidtest.VictimEmail || got[identityOf(a)] == 0 {
			t.Errorf("attributes reached a profile no event did: %v", a)
		}
		for k := range a {
			if !strings.HasPrefix(k, "zendesk_") && k != "external_id" && k != "email" && k != "_update_existing_only" {
				t.Errorf("attributes other than the support state: %v", a)
			}
		}
	}
	if len(env.bz.Purchases()) != 0 {
		t.Errorf("Braze got purchases: %v", env.bz.Purchases())
	}
	for _, id := range slices.Sorted(maps.Keys(mergeKeys(got, want))) {
		if got[id] != want[id] {
			t.Errorf("%s has %d events, want %d", id, got[id], want[id])
		}
	}
	// Every requester came from Zendesk: read as a user, or side-loaded with
	// the ticket a trigger body named (the warm container caches it).
	for uid, ticket := range readRequesters {
		if len(env.zd.RequestsTo(fmt.Sprintf("/api/v2/users/%d.json", uid))) == 0 &&
			len(env.zd.RequestsTo(fmt.Sprintf("/api/v2/tickets/%d.json", ticket))) == 0 {
			t.Errorf("the requester %d of ticket %d was never read from Zendesk", uid, ticket)
		}
	}
	if len(env.zd.RequestsTo(fmt.Sprintf("/api/v2/users/%d.json", victimID))) != 0 {
		t.Errorf("the victim's user was read")
	}

	perProfile := make([]string, 0, len(got))
	for _, id := range slices.Sorted(maps.Keys(got)) {
		perProfile = append(perProfile, fmt.Sprintf("%s=%d", id, got[id]))
	}
	t.Logf("%d tickets; trigger bodies: %d answered 200 (%d of them with JSON syntax in the requester's external id), %d refused with 400 (%d unreachable, %d broken by an external id); %d event webhooks, %d user.created; %d Braze events on %d profiles",
		len(tickets), delivered, injectionDelivered, refusedUnreachable+refusedInjection, refusedUnreachable, refusedInjection,
		eventWebhooks, userEvents, len(env.bz.Events()), len(got))
	t.Logf("events per profile: %s", strings.Join(perProfile, ", "))
}

// checkEvent checks one Braze event against the ticket it is for: its name,
// the requester's own profile, the ticket id as a number and the exact
// title as Zendesk stores it.
func checkEvent(t *testing.T, ev map[string]any, name string, tk liquidtest.Ticket) {
	t.Helper()
	if ev["name"] != name {
		t.Errorf("event name = %v, want %s", ev["name"], name)
	}
	if got, want := identityOf(ev), tk.Requester.Identity(); got != want {
		t.Errorf("the event is on %q, want %q: %v", got, want, ev)
	}
	for _, k := range []string{"braze_id", "user_alias", "phone"} {
		if v, ok := ev[k]; ok {
			t.Errorf("the event carries %s %v", k, v)
		}
	}
	props, _ := ev["properties"].(map[string]any)
	if props["ticket_id"] != float64(tk.ID) {
		t.Errorf("ticket_id = %#v, want the number %d", props["ticket_id"], tk.ID)
	}
	subject, has := props["subject"]
	if tk.Title == "" {
		if has && subject != "" {
			t.Errorf("subject = %q, the ticket has none", subject)
		}
	} else if subject != tk.Title {
		t.Errorf("subject = %q, want the title exactly: %q", subject, tk.Title)
	}
	for _, k := range []string{"event_name", "x", "y", "z"} {
		if v, ok := props[k]; ok {
			t.Errorf("an injected property %s = %v", k, v)
		}
	}
	if v := props["assignee_id"]; v == float64(1) || v == "1" {
		t.Errorf("an injected assignee_id = %v", v)
	}
}

// identityOf is the profile an event object addresses: its external id,
// else its email, as Braze resolves it.
func identityOf(ev map[string]any) string {
	if id, _ := ev["external_id"].(string); id != "" {
		if email, _ := ev["email"].(string); email != "" {
			return "external_id:" + id + " (with email " + email + ")"
		}
		return "external_id:" + id
	}
	if email, _ := ev["email"].(string); email != "" {
		return "email:" + email
	}
	return fmt.Sprintf("no identifier in %v", ev)
}

// ticketDetail is a Zendesk event webhook's detail for tk, as Zendesk
// builds it: ids as strings, enums in capitals.
func ticketDetail(tk liquidtest.Ticket, requesterID int64, status string) map[string]any {
	uid := strconv.FormatInt(requesterID, 10)
	return map[string]any{
		"actor_id": uid, "assignee_id": nil, "brand_id": "360000001", "created_at": "2026-11-24T11:00:00Z",
		"custom_status": "18000000001", "description": tk.Description, "external_id": nil, "form_id": "360000002",
		"group_id": "360000003", "id": strconv.FormatInt(tk.ID, 10), "is_public": true, "organization_id": nil,
		"priority": strings.ToUpper(tk.Priority), "requester_id": uid, "status": status, "subject": tk.Title,
		"submitter_id": uid, "tags": tk.Tags, "type": strings.ToUpper(tk.Type), "updated_at": readmeEventTime,
		"via": map[string]any{"channel": "web_service"},
	}
}

// zendeskWebhook is invocation n of a Zendesk webhook, signed now.
func zendeskWebhook(t *testing.T, n int, body string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /zendesk/events", RawPath: "/zendesk/events",
		Headers: map[string]string{
			"content-type":                    "application/json; charset=utf-8",
			"content-length":                  strconv.Itoa(len(body)),
			"host":                            "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
			"user-agent":                      "Zendesk Webhook",
			"x-forwarded-proto":               "https",
			"x-zendesk-account-id":            strconv.Itoa(readmeAccountID),
			"x-zendesk-webhook-id":            "01JDQ3W9X6S9Y0MFJ1Q6K4C2ZB",
			"x-zendesk-webhook-invocation-id": strconv.Itoa(8350300000 + n),
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST /zendesk/events", AccountID: "123456789012", Stage: "$default",
			RequestID: fmt.Sprintf("readme-%04d", n), APIID: "a1b2c3d4e5",
			DomainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", DomainPrefix: "a1b2c3d4e5",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "POST", Path: "/zendesk/events", Protocol: "HTTP/1.1", SourceIP: "216.198.0.1", UserAgent: "Zendesk Webhook",
			},
		},
		Body: body,
	}
	if err := apigw.SignZendesk(&ev, readmeHookSecret, time.Now()); err != nil {
		t.Fatal(err)
	}
	return ev
}

func uuidLike(n int) string { return fmt.Sprintf("cbe4028c-7239-495d-b020-%012d", n) }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// brazeTime reads a /users/track time: RFC 3339, or Braze's own
// yyyy-MM-dd'T'HH:mm:ss:SSSZ.
func brazeTime(v any) (time.Time, error) {
	s, _ := v.(string)
	if at, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return at, nil
	}
	if i := strings.LastIndexByte(s, ':'); i > 0 && strings.HasSuffix(s, "Z") {
		return time.Parse("2006-01-02T15:04:05.000Z", s[:i]+"."+s[i+1:])
	}
	return time.Time{}, fmt.Errorf("not a Braze time: %q", s)
}

func mergeKeys(a, b map[string]int) map[string]int {
	out := maps.Clone(a)
	for k := range b {
		out[k] += 0
	}
	return out
}

// userAdder and ticketAdder store users and tickets in the stand-in as if
// created in Zendesk earlier, failing the test when the stand-in lacks them.
func userAdder(t *testing.T, zd *zendesktest.Server) func(zendesktest.User) int64 {
	t.Helper()
	switch s := any(zd).(type) {
	case interface{ AddUser(zendesktest.User) int64 }:
		return s.AddUser
	case interface{ AddUser(map[string]any) int64 }:
		return func(u zendesktest.User) int64 {
			return s.AddUser(map[string]any{"name": u.Name, "email": u.Email, "phone": u.Phone, "external_id": u.ExternalID})
		}
	}
	t.Fatal("zendesktest.Server has no AddUser(User) int64 or AddUser(map[string]any) int64")
	return nil
}

func ticketAdder(t *testing.T, zd *zendesktest.Server) func(map[string]any) int64 {
	t.Helper()
	if s, ok := any(zd).(interface{ AddTicket(map[string]any) int64 }); ok {
		return s.AddTicket
	}
	t.Fatal("zendesktest.Server has no AddTicket(map[string]any) int64 yet: the tickets cannot be stored")
	return nil
}
