package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// shiftedClock is Zendesk's clock in these tests: real time moved by an
// offset the test sets, so that changes can be placed hours back while
// the function's own clock (and the signatures' 5-minute window) stays real.
type shiftedClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *shiftedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *shiftedClock) Set(offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = offset
}

// stateEnv is the built function with DEDUPE_TABLE (where the
// reconciliation cursor lives) and Zendesk on a shifted clock.
func stateEnv(t *testing.T) (*e2e, *shiftedClock) {
	t.Helper()
	bz := brazetest.New(apiKey)
	t.Cleanup(bz.Close)
	bz.AssumeProfilesExist()
	env := startWith(t, bz, secret(), "DEDUPE_TABLE="+dedupeTable, "ZENDESK_REQUESTS_PER_MINUTE=2500")
	env.moto.CreateTable(t, dedupeTable)
	clock := &shiftedClock{}
	env.zd.Now = clock.Now
	return env, clock
}

// zendeskEvent is a Zendesk event webhook about ticket, signed now.
func zendeskEvent(t *testing.T, n int, typ string, ticket, requester int64, extra string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "zendesk-to-braze-ticket-status-changed.json"))
	ev.Body = fmt.Sprintf(`{"type": "zen:event-type:ticket.%s", "account_id": 1, "id": "e2e-%d", "time": %q,
		"subject": "zen:ticket:%d", "detail": {"id": "%d", "requester_id": "%d", "status": "OPEN", "subject": "s \" \\"}, "event": {%s}}`,
		typ, n, time.Now().UTC().Format(time.RFC3339), ticket, ticket, requester, extra)
	ev.Headers[zendesk.InvocationIDHeader] = fmt.Sprintf("e2e-inv-%d", n)
	if err := apigw.SignZendesk(&ev, hookSecret, time.Now()); err != nil {
		t.Fatal(err)
	}
	return ev
}

// profileNow folds the support state attributes Braze accepted for an
// external id, in order.
func profileNow(bz *brazetest.Server, ext string) map[string]any {
	out := map[string]any{}
	for _, a := range bz.Attributes() {
		if a["external_id"] != ext {
			continue
		}
		for k, v := range a {
			if k != "external_id" && k != "_update_existing_only" {
				out[k] = v
			}
		}
	}
	return out
}

// zendeskSays is the state the profile must hold, from the stand-in's
// tickets as Zendesk would list them: computed here, independently of the
// function.
func zendeskSays(t *testing.T, zd *zendesktest.Server, requester int64) map[string]any {
	t.Helper()
	var list struct {
		Tickets []struct {
			ID        float64 `json:"id"`
			Status    string  `json:"status"`
			UpdatedAt string  `json:"updated_at"`
			Rating    *struct {
				Score string `json:"score"`
			} `json:"satisfaction_rating"`
		} `json:"tickets"`
	}
	resp, err := zd.Client().Do(authed(t, zd, zendesktest.RequestedTicketsPath(requester)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{"zendesk_open_tickets": float64(0)}
	lastAt, ratedAt := "", ""
	for _, tk := range list.Tickets {
		switch tk.Status {
		case "new", "open", "pending", "hold":
			out["zendesk_open_tickets"] = out["zendesk_open_tickets"].(float64) + 1
		}
		if tk.UpdatedAt >= lastAt {
			lastAt = tk.UpdatedAt
			out["zendesk_last_ticket_id"], out["zendesk_last_ticket_status"], out["zendesk_last_ticket_updated_at"] = tk.ID, tk.Status, tk.UpdatedAt
		}
		if tk.Rating != nil && (tk.Rating.Score == "good" || tk.Rating.Score == "bad") && tk.UpdatedAt >= ratedAt {
			ratedAt = tk.UpdatedAt
			out["zendesk_last_satisfaction"], out["zendesk_last_satisfaction_at"] = tk.Rating.Score, tk.UpdatedAt
		}
	}
	return out
}

func TestE2EAttributesThroughCreateSolveReopenSolve(t *testing.T) {
	env, clock := stateEnv(t)
	ada := env.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada.state@example.com", ExternalID: "state-ada"})
	id := env.zd.AddTicket(map[string]any{"subject": "s", "requester_id": ada, "status": "new"})
	for i, st := range []struct{ status, typ, extra string }{
		{"new", "created", ``},
		{"solved", "status_changed", `"current": "SOLVED", "previous": "NEW"`},
		{"open", "status_changed", `"current": "OPEN", "previous": "SOLVED"`},
		{"solved", "status_changed", `"current": "SOLVED", "previous": "OPEN"`},
	} {
		if i > 0 {
			clock.Set(time.Duration(i) * time.Minute)
			env.zd.SetTicketStatus(id, st.status)
		}
		before := len(env.bz.RequestsTo(brazetest.TrackPath))
		resp := env.fn.Invoke(t, zendeskEvent(t, i, st.typ, id, ada, st.extra))
		if resp.StatusCode != 200 {
			t.Fatalf("step %d: %d %s", i, resp.StatusCode, resp.Body)
		}
		if n := len(env.bz.RequestsTo(brazetest.TrackPath)) - before; n != 1 {
			t.Errorf("step %d: %d /users/track calls, want the event and the state in one", i, n)
		}
		got, want := profileNow(env.bz, "state-ada"), zendeskSays(t, env.zd, ada)
		if !reflect.DeepEqual(got, want) || got["zendesk_last_ticket_status"] != st.status {
			t.Errorf("step %d (%s): profile %v\nZendesk says %v", i, st.status, got, want)
		}
	}
}

func TestE2EWebhooksRepeatedReversedAndDroppedSettle(t *testing.T) {
	env, clock := stateEnv(t)
	ada := env.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada.settle@example.com", ExternalID: "settle-ada"})
	a := env.zd.AddTicket(map[string]any{"subject": "a", "requester_id": ada})
	b := env.zd.AddTicket(map[string]any{"subject": "b", "requester_id": ada})
	type change struct {
		id     int64
		status string
	}
	changes := []change{{a, "open"}, {b, "pending"}, {a, "solved"}, {b, "hold"}, {a, "open"}, {b, "solved"}}
	for i, c := range changes {
		clock.Set(time.Duration(i+1) * time.Minute)
		env.zd.SetTicketStatus(c.id, c.status)
	}
	env.zd.RateTicket(a, "good", "", "")
	// Zendesk's webhooks for those changes arrive late, newest first, some
	// twice (Zendesk's retries, with their invocation ids) and some never.
	for n, i := range []int{5, 4, 4, 2, 0, 0} {
		c := changes[i]
		resp := env.fn.Invoke(t, zendeskEvent(t, 100+i, "status_changed", c.id, ada, fmt.Sprintf(`"current": %q`, c.status)))
		if resp.StatusCode != 200 {
			t.Fatalf("delivery %d: %d %s", n, resp.StatusCode, resp.Body)
		}
	}
	got, want := profileNow(env.bz, "settle-ada"), zendeskSays(t, env.zd, ada)
	if !reflect.DeepEqual(got, want) || want["zendesk_open_tickets"] != float64(1) || want["zendesk_last_satisfaction"] != "good" {
		t.Errorf("profile %v\nZendesk says %v", got, want)
	}
}

// scheduled invokes the function with the schedule's event and decodes
// its answer.
func scheduled(t *testing.T, env *e2e) map[string]any {
	t.Helper()
	ev := fmt.Sprintf(`{"version": "0", "id": "%d", "detail-type": "Scheduled Event", "source": "aws.events",
		"account": "123456789012", "time": %q, "region": "us-east-1",
		"resources": ["arn:aws:events:us-east-1:123456789012:rule/reconcile"], "detail": {}}`, time.Now().UnixNano(), time.Now().UTC().Format(time.RFC3339))
	var out map[string]any
	if err := json.Unmarshal(env.fn.InvokeRaw(t, []byte(ev)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestE2EReconciliationHealsATwoHourPause(t *testing.T) {
	env, clock := stateEnv(t)
	clock.Set(-3 * time.Hour)
	type person struct {
		ext          string
		user, ticket int64
	}
	var people []person
	for i := range 4 {
		ext := fmt.Sprintf("pause-%d", i)
		u := env.zd.AddUser(zendesktest.User{Name: ext, Email: ext + "@example.com", ExternalID: ext})
		tk := env.zd.AddTicket(map[string]any{"subject": "s", "requester_id": u, "status": "open"})
		people = append(people, person{ext, u, tk})
		if resp := env.fn.Invoke(t, zendeskEvent(t, i, "created", tk, u, ``)); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, resp.Body)
		}
	}
	clock.Set(-2*time.Hour - time.Minute)
	if out := scheduled(t, env); out["requesters_refreshed"] != float64(4) {
		t.Fatalf("first run = %v", out)
	}
	// The webhook is paused for two hours: three tickets solved, one
	// rated bad, and not a webhook sent.
	for i, p := range people[:3] {
		clock.Set(-2*time.Hour + time.Duration(i+1)*30*time.Minute)
		env.zd.SetTicketStatus(p.ticket, "solved")
		if i == 2 {
			env.zd.RateTicket(p.ticket, "bad", "The issue took too long to resolve", "")
		}
	}
	clock.Set(0)
	out := scheduled(t, env)
	if out["requesters_refreshed"] != float64(3) || out["tickets_seen"] != float64(3) {
		t.Errorf("run = %v, want the 3 changed requesters of 3 tickets", out)
	}
	if at, err := time.Parse(time.RFC3339, fmt.Sprint(out["cursor_time"])); err != nil || time.Since(at) > 5*time.Minute {
		t.Errorf("cursor_time = %v: not caught up", out["cursor_time"])
	}
	for _, p := range people {
		if got, want := profileNow(env.bz, p.ext), zendeskSays(t, env.zd, p.user); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: profile %v\nZendesk says %v", p.ext, got, want)
		}
	}
	logs := env.fn.Logs()
	for _, want := range []string{`"msg":"reconciliation run"`, `"ProfilesRefreshed":3`, `"ReconciliationLag"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}

func TestE2EReconciliationResumesFromItsCursor(t *testing.T) {
	env, clock := stateEnv(t)
	env.zd.SetExportPageSize(4)
	clock.Set(-time.Hour)
	var users []int64
	for i := range 6 {
		ext := fmt.Sprintf("resume-%d", i)
		u := env.zd.AddUser(zendesktest.User{Name: ext, Email: ext + "@example.com", ExternalID: ext})
		users = append(users, u)
		for range 2 {
			env.zd.AddTicket(map[string]any{"subject": "s", "requester_id": u, "status": "pending"})
		}
		clock.Set(-time.Hour + time.Duration(i+1)*time.Minute)
	}
	clock.Set(0)
	// Pages of 4 tickets: 2 requesters each. Zendesk fails the fifth
	// requester's tickets, on the third page, for the whole first run.
	fail := zendesktest.Reply{Status: 500}
	env.zd.Script(zendesktest.RequestedTicketsPath(users[4]), fail, fail, fail)
	raw := env.fn.InvokeRaw(t, []byte(fmt.Sprintf(`{"version": "0", "id": "r1", "detail-type": "Scheduled Event", "source": "aws.events", "time": %q, "detail": {}}`,
		time.Now().UTC().Format(time.RFC3339))))
	if !strings.Contains(string(raw), "errorMessage") || !strings.Contains(string(raw), "resumes from its cursor") || strings.Contains(string(raw), "500") {
		t.Fatalf("first run answered %s, want an error that says it resumes", raw)
	}
	out := scheduled(t, env)
	if out["requesters_refreshed"] != float64(2) || out["tickets_seen"] != float64(4) {
		t.Errorf("second run = %v, want the third page only", out)
	}
	writes := map[any]int{}
	for _, a := range env.bz.Attributes() {
		writes[a["external_id"]]++
	}
	for i, u := range users {
		ext := fmt.Sprintf("resume-%d", i)
		if writes[ext] != 1 {
			t.Errorf("%s refreshed %d times, want once", ext, writes[ext])
		}
		if got, want := profileNow(env.bz, ext), zendeskSays(t, env.zd, u); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", ext, got, want)
		}
	}
}

// authed is a GET of path on the stand-in with the agent's API token.
func authed(t *testing.T, zd *zendesktest.Server, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, zd.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(zdAgent+"/token", zdToken)
	return req
}
