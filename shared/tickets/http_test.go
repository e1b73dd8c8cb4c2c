package tickets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const (
	agentEmail = "agent@example.com"
	apiToken   = "zd-token-1"
	hookToken  = "braze-hook-token"
)

// seedBody is the Braze partner page's body as Braze renders it for a user:
// a {% capture %} block's raw line breaks, an empty phone, "New" capitalised.
const seedBody = "{\n\"ticket\": {\n\"requester_id\": \"user-123\", \n" +
	"\"requester\": { \"name\": \"Ada Lovelace\", \"email\": \"ada@example.com\", \"phone\": \"\"},\n" +
	"\"type\": \"question\",\n\"subject\":  \"Not enjoying the app\",\n" +
	"\"comment\":  { \"body\": \"\nThe user answered No to\t\\\"Are you enjoying the app?\\\"\r\n\" },\n" +
	"\"priority\": \"urgent\",\n\"status\": \"New\"\n  }\n}"

// memSource is a secret held in memory, swappable to model rotation.
type memSource struct {
	vals  map[string]string
	loads int
	err   error
}

func (m *memSource) Name() string { return "test/secret" }
func (m *memSource) Load(context.Context) ([]byte, error) {
	m.loads++
	if m.err != nil {
		return nil, m.err
	}
	return json.Marshal(m.vals)
}

type fixture struct {
	zd    *zendesktest.Server
	src   *memSource
	h     webhook.Handler
	logs  *bytes.Buffer
	clock time.Time // the secret cache's
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	zd := zendesktest.New(agentEmail, apiToken)
	t.Cleanup(zd.Close)
	base, _ := url.Parse(zd.URL)
	src := &memSource{vals: map[string]string{
		tickets.KeyWebhookToken: hookToken, zendesk.KeyEmail: agentEmail, zendesk.KeyAPIToken: apiToken,
	}}
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	f := &fixture{zd: zd, src: src, logs: logs, clock: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	cache := secrets.NewCache(src, time.Hour)
	cache.Now = func() time.Time { return f.clock }
	client := zendesk.New(base, zd.Client(), zendesk.NewSecretAuth(cache, base, zd.Client(), zendesk.ScopesFileTickets, log))
	client.Retry.Base = 5 * time.Millisecond
	f.h = &tickets.Handler{
		Service:   &tickets.Service{Zendesk: client, Secrets: cache},
		Log:       log,
		Misconfig: &webhook.Misconfig{Log: log},
	}
	return f
}

func (f *fixture) send(t *testing.T, body string, headers ...string) (webhook.Response, map[string]any) {
	t.Helper()
	return f.sendCtx(t, context.Background(), body, headers...)
}

func (f *fixture) sendCtx(t *testing.T, ctx context.Context, body string, headers ...string) (webhook.Response, map[string]any) {
	t.Helper()
	h := map[string]string{"authorization": "Bearer " + hookToken, "content-type": "application/json"}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			delete(h, headers[i])
		} else {
			h[headers[i]] = headers[i+1]
		}
	}
	resp := f.h.ServeWebhook(ctx, webhook.Request{Header: h, Body: []byte(body)})
	var out map[string]any
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		t.Fatalf("response body is not JSON: %q", resp.Body)
	}
	if resp.Header["content-type"] != "application/json" {
		t.Errorf("content-type = %q", resp.Header["content-type"])
	}
	if strings.Contains(string(resp.Body), apiToken) || strings.Contains(string(resp.Body), hookToken) {
		t.Errorf("response leaks a secret: %s", resp.Body)
	}
	return resp, out
}

func TestSeedBodyFilesTicketUnderBrazeUser(t *testing.T) {
	f := newFixture(t)
	resp, out := f.send(t, seedBody)
	if resp.Status != http.StatusCreated {
		t.Fatalf("status = %d, body %s", resp.Status, resp.Body)
	}
	users := f.zd.Users()
	if len(users) != 1 || users[0].ExternalID != "user-123" || users[0].Name != "Ada Lovelace" ||
		users[0].Email != "ada@example.com" || users[0].Phone != "" {
		t.Fatalf("users = %+v, want Ada with external_id user-123 and no phone", users)
	}
	tk := f.zd.Tickets()
	if len(tk) != 1 {
		t.Fatalf("tickets = %d, want 1", len(tk))
	}
	got := tk[0]
	if got["requester_id"] != float64(users[0].ID) || got["status"] != "new" || got["type"] != "question" || got["priority"] != "urgent" {
		t.Errorf("ticket = %v", got)
	}
	if _, has := got["requester"]; has {
		t.Errorf("ticket kept the requester object beside requester_id: %v", got)
	}
	if body := got["comment"].(map[string]any)["body"]; body != "The user answered No to\t\"Are you enjoying the app?\"" {
		t.Errorf("comment body = %q", body)
	}
	id := got["id"].(float64)
	if out["ticket_id"] != id || out["url"] != f.zd.URL+"/agent/tickets/"+strings.TrimSuffix(jsonNum(id), ".0") {
		t.Errorf("answer = %v", out)
	}
	reqs := f.zd.RequestsTo(zendesktest.TicketsPath)
	if k := reqs[0].Header.Get("Idempotency-Key"); k != tickets.IdempotencyKey("", []byte(seedBody), "external_id:user-123") {
		t.Errorf("derived Idempotency-Key = %q, want the one derived from the body and the requester", k)
	}
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

func TestRequests(t *testing.T) {
	for _, tc := range []struct {
		name      string
		body      string
		headers   []string
		status    int
		field     string
		zdCalls   int
		checkLast func(t *testing.T, f *fixture)
	}{
		{name: "no authorization", body: seedBody, headers: []string{"authorization", ""}, status: 401},
		{name: "wrong token", body: seedBody, headers: []string{"authorization", "Bearer nope"}, status: 401},
		{name: "basic scheme", body: seedBody, headers: []string{"authorization", "Basic " + hookToken}, status: 401},
		{name: "not json", body: `{"ticket": {`, status: 400},
		{name: "no ticket object", body: `{"subject": "x"}`, status: 400, field: "ticket"},
		{name: "unknown priority", body: `{"ticket": {"requester_id": "u1", "priority": "Hgh", "comment": {"body": "x"}}}`, status: 400, field: "ticket.priority"},
		{name: "unknown status", body: `{"ticket": {"requester_id": "u1", "status": "done", "comment": {"body": "x"}}}`, status: 400, field: "ticket.status"},
		{name: "type not a string", body: `{"ticket": {"requester_id": "u1", "type": 3, "comment": {"body": "x"}}}`, status: 400, field: "ticket.type"},
		{name: "no requester", body: `{"ticket": {"requester_id": "", "requester": {"email": " "}, "comment": {"body": "x"}}}`, status: 400, field: "ticket.requester_id"},
		{name: "bad email", body: `{"ticket": {"requester": {"email": "not an email"}, "comment": {"body": "x"}}}`, status: 400, field: "ticket.requester.email"},
		{name: "no comment", body: `{"ticket": {"requester_id": "u1", "comment": {"body": "\n"}}}`, status: 400, field: "ticket.comment.body"},
		{name: "group id not numeric", body: `{"ticket": {"requester_id": "u1", "group_id": "support", "comment": {"body": "x"}}}`, status: 400, field: "ticket.group_id"},
		{name: "capitalised enums normalised", body: `{"ticket": {"requester_id": "u1", "type": " Incident ", "priority": "HIGH", "status": "Open", "comment": {"body": "x"}}}`, status: 201, zdCalls: 3,
			checkLast: func(t *testing.T, f *fixture) {
				tk := f.zd.Tickets()[0]
				if tk["type"] != "incident" || tk["priority"] != "high" || tk["status"] != "open" {
					t.Errorf("ticket = %v", tk)
				}
			}},
		{name: "email only finds or makes the user by email", body: `{"ticket": {"requester_id": "", "requester": {"email": "bo@example.com", "phone": "+15550100"}, "comment": "hi"}}`, status: 201, zdCalls: 3,
			checkLast: func(t *testing.T, f *fixture) {
				tk := f.zd.Tickets()[0]
				users := f.zd.Users()
				if len(users) != 1 || users[0].Email != "bo@example.com" || users[0].Name != "bo@example.com" || users[0].Phone != "+15550100" || users[0].ExternalID != "" {
					t.Fatalf("users = %+v, want bo with the phone and no external id", users)
				}
				if tk["requester_id"] != float64(users[0].ID) {
					t.Errorf("ticket = %v", tk)
				}
				if len(f.zd.RequestsTo(zendesktest.UsersPath)) != 0 {
					t.Error("create_or_update was called")
				}
			}},
		{name: "numeric requester_id is an external id", body: `{"ticket": {"requester_id": 12345, "comment": {"body": "x"}}}`, status: 201, zdCalls: 3,
			checkLast: func(t *testing.T, f *fixture) {
				u := f.zd.Users()[0]
				if u.ExternalID != "12345" || u.Name != "12345" {
					t.Errorf("user = %+v, want external id and name 12345", u)
				}
			}},
		{name: "name falls back to email", body: `{"ticket": {"requester_id": "u9", "requester": {"name": " ", "email": "cy@example.com"}, "comment": {"body": "x"}}}`, status: 201, zdCalls: 3,
			checkLast: func(t *testing.T, f *fixture) {
				if u := f.zd.Users()[0]; u.Name != "cy@example.com" || u.ExternalID != "u9" {
					t.Errorf("user = %+v", u)
				}
			}},
		{name: "ids, tags and custom fields typed", body: `{"ticket": {"requester_id": "u1", "group_id": "360001", "tags": "nps, detractor", "custom_fields": [{"id": "42", "value": "no"}], "comment": {"body": "x"}}}`, status: 201, zdCalls: 3,
			checkLast: func(t *testing.T, f *fixture) {
				tk := f.zd.Tickets()[0]
				cf := tk["custom_fields"].([]any)[0].(map[string]any)
				tags := tk["tags"].([]any)
				if tk["group_id"] != float64(360001) || cf["id"] != float64(42) || len(tags) != 2 || tags[1] != "detractor" {
					t.Errorf("ticket = %v", tk)
				}
			}},
		{name: "caller idempotency key combined with the requester", body: seedBody, headers: []string{"idempotency-key", "dispatch-1"}, status: 201, zdCalls: 3,
			checkLast: func(t *testing.T, f *fixture) {
				if k := f.zd.RequestsTo(zendesktest.TicketsPath)[0].Header.Get("Idempotency-Key"); k != tickets.IdempotencyKey("dispatch-1", nil, "external_id:user-123") {
					t.Errorf("Idempotency-Key = %q", k)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			resp, out := f.send(t, tc.body, tc.headers...)
			if resp.Status != tc.status {
				t.Fatalf("status = %d, want %d; body %s", resp.Status, tc.status, resp.Body)
			}
			if tc.status >= 400 && (out["error"] == nil || out["error"] == "") {
				t.Errorf("error body has no error: %s", resp.Body)
			}
			if tc.field != "" && out["field"] != tc.field {
				t.Errorf("field = %v, want %s", out["field"], tc.field)
			}
			if n := len(f.zd.Requests()); n != tc.zdCalls {
				t.Errorf("zendesk calls = %d, want %d", n, tc.zdCalls)
			}
			if tc.checkLast != nil {
				tc.checkLast(t, f)
			}
		})
	}
}

func TestBrazeRetryFilesOneTicket(t *testing.T) {
	f := newFixture(t)
	_, first := f.send(t, seedBody)
	resp, second := f.send(t, seedBody)
	if resp.Status != 201 || first["ticket_id"] != second["ticket_id"] {
		t.Fatalf("retry answered %d %v, first %v", resp.Status, second, first)
	}
	if n := len(f.zd.Tickets()); n != 1 {
		t.Fatalf("tickets = %d, want 1", n)
	}
	reqs := f.zd.RequestsTo(zendesktest.TicketsPath)
	if reqs[0].Header.Get("Idempotency-Key") != reqs[1].Header.Get("Idempotency-Key") {
		t.Fatal("a retry must carry the same Idempotency-Key")
	}
}

func TestZendeskFailures(t *testing.T) {
	ticketRetry := func(status int, after string) zendesktest.Reply {
		r := zendesktest.Reply{Status: status, Body: `{"error":"x"}`}
		if after != "" {
			r.Header = map[string]string{"Retry-After": after}
		}
		return r
	}
	for _, tc := range []struct {
		name       string
		script     []zendesktest.Reply
		status     int
		retryAfter string
		tickets    int // ticket requests Zendesk saw
		filed      int
	}{
		{name: "422 passed on, not retried", script: []zendesktest.Reply{{Status: 422,
			Body: `{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"Subject: cannot be blank"}]}}`}},
			status: 422, tickets: 1},
		{name: "short 429 retried", script: []zendesktest.Reply{ticketRetry(429, "1")}, status: 201, tickets: 2, filed: 1},
		{name: "long 429 answered 429", script: []zendesktest.Reply{ticketRetry(429, "120")}, status: 429, retryAfter: "120", tickets: 1},
		{name: "5xx retried then fine", script: []zendesktest.Reply{ticketRetry(500, ""), ticketRetry(502, "")}, status: 201, tickets: 3, filed: 1},
		{name: "5xx every time", script: []zendesktest.Reply{ticketRetry(500, ""), ticketRetry(500, ""), ticketRetry(500, "")}, status: 502, tickets: 3},
		{name: "503 every time", script: []zendesktest.Reply{ticketRetry(503, ""), ticketRetry(503, ""), ticketRetry(503, "")}, status: 503, tickets: 3},
		{name: "403", script: []zendesktest.Reply{{Status: 403, Body: `{"error":{"title":"Forbidden","message":"You do not have access"}}`}}, status: 502, tickets: 1},
		{name: "idempotency key reused with another body", script: []zendesktest.Reply{{Status: 400,
			Body: `{"error":"IdempotentRequestError","description":"Request parameters don't match the given idempotency key"}`}}, status: 422, tickets: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.zd.Script(zendesktest.TicketsPath, tc.script...)
			resp, out := f.send(t, seedBody)
			if resp.Status != tc.status {
				t.Fatalf("status = %d, want %d; %s", resp.Status, tc.status, resp.Body)
			}
			if got := resp.Header["retry-after"]; got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
			if tc.retryAfter != "" && jsonNum(out["retry_after"].(float64)) != tc.retryAfter {
				t.Errorf("retry_after = %v", out["retry_after"])
			}
			if n := len(f.zd.RequestsTo(zendesktest.TicketsPath)); n != tc.tickets {
				t.Errorf("ticket requests = %d, want %d", n, tc.tickets)
			}
			if n := len(f.zd.Tickets()); n != tc.filed {
				t.Errorf("tickets filed = %d, want %d", n, tc.filed)
			}
			if tc.status == 422 && strings.Contains(tc.name, "422") && out["details"] == nil {
				t.Errorf("422 must pass Zendesk's details on: %s", resp.Body)
			}
		})
	}
}

func TestTimeoutAnswers504(t *testing.T) {
	f := newFixture(t)
	f.zd.Script(zendesktest.SearchUsersPath, zendesktest.Reply{Status: 200, Body: `{}`, Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	resp, _ := f.sendCtx(t, ctx, seedBody)
	if resp.Status != http.StatusGatewayTimeout {
		t.Fatalf("status = %d, want 504; %s", resp.Status, resp.Body)
	}
}

func TestRotatedTokenIsRefetchedOnce(t *testing.T) {
	f := newFixture(t)
	f.send(t, seedBody) // warm the cache with the old token
	f.zd.SetCredentials(agentEmail, "zd-token-2")
	f.src.vals[zendesk.KeyAPIToken] = "zd-token-2"
	loads := f.src.loads
	resp, _ := f.send(t, strings.Replace(seedBody, "Not enjoying", "Still not enjoying", 1))
	if resp.Status != 201 {
		t.Fatalf("status = %d; %s", resp.Status, resp.Body)
	}
	if f.src.loads != loads+1 {
		t.Errorf("secret loads = %d, want one refetch", f.src.loads-loads)
	}

	// Still wrong after the refetch: 502, and exactly one more attempt.
	f.zd.SetCredentials(agentEmail, "zd-token-3")
	before := len(f.zd.Requests())
	resp, out := f.send(t, strings.Replace(seedBody, "Not enjoying", "Never enjoying", 1))
	if resp.Status != http.StatusBadGateway || !strings.Contains(out["error"].(string), "zendesk_api_token") {
		t.Fatalf("status = %d, %v", resp.Status, out)
	}
	if n := len(f.zd.Requests()) - before; n != 2 {
		t.Errorf("zendesk requests = %d, want 2 (the call and one retry after the refetch)", n)
	}
}

func TestMisconfiguredSecret(t *testing.T) {
	f := newFixture(t)
	delete(f.src.vals, zendesk.KeyAPIToken)
	delete(f.src.vals, zendesk.KeyEmail)
	resp, out := f.send(t, seedBody)
	if resp.Status != 500 || !strings.Contains(out["error"].(string), "zendesk_api_token") || !strings.Contains(out["error"].(string), "zendesk_email") {
		t.Fatalf("status = %d, %v", resp.Status, out)
	}
	if len(f.zd.Requests()) != 0 {
		t.Error("zendesk must not be called without credentials")
	}

	g := newFixture(t)
	g.src.err = io.ErrUnexpectedEOF
	g.send(t, seedBody)
	resp, _ = g.send(t, seedBody)
	if resp.Status != 500 {
		t.Fatalf("status = %d", resp.Status)
	}
	if n := strings.Count(g.logs.String(), `"misconfigured"`); n != 1 {
		t.Errorf("misconfiguration logged %d times, want once", n)
	}
}

// A rotated token works on its first use, however soon after the
// container last read its secret (Braze does not retry a 401: a refusal is
// a lost ticket), while wrong tokens read the secret at most once per 10 s.
func TestRotatedBearerTokenWorksAtOnce(t *testing.T) {
	for _, since := range []time.Duration{0, 5 * time.Second, 11 * time.Second} {
		t.Run(fmt.Sprint(since, " after the last read"), func(t *testing.T) {
			f := newFixture(t)
			f.send(t, seedBody) // the cold start reads the secret
			f.src.vals[tickets.KeyWebhookToken] = "rotated-token"
			loads := f.src.loads
			f.clock = f.clock.Add(since)
			if resp, _ := f.send(t, seedBody, "authorization", "Bearer rotated-token"); resp.Status != 201 || f.src.loads != loads+1 {
				t.Fatalf("first use: %d %s, loads +%d; want 201 after one read", resp.Status, resp.Body, f.src.loads-loads)
			}
			loads = f.src.loads
			for range 30 {
				f.clock = f.clock.Add(time.Second)
				if resp, _ := f.send(t, seedBody, "authorization", "Bearer guess"); resp.Status != 401 {
					t.Fatalf("a guessed token: %d", resp.Status)
				}
			}
			if n := f.src.loads - loads; n > 3 {
				t.Errorf("30 wrong tokens over 30 s read the secret %d times, want at most 3", n)
			}
		})
	}
}

// A passing Secrets Manager fault is a 503 that Braze retries, never a
// 500, and never blamed on Zendesk; once it passes, the ticket is filed.
func TestSecretUnavailable(t *testing.T) {
	f := newFixture(t)
	f.src.err = &secrets.UnavailableError{Secret: "test/secret", Fault: secrets.FaultThrottled,
		Err: errors.New("operation error Secrets Manager: GetSecretValue, RequestID: 1234, ThrottlingException: arn:aws:iam::123456789012:role/x")}
	resp, out := f.send(t, seedBody)
	msg, _ := out["error"].(string)
	if resp.Status != 503 || resp.Header["retry-after"] == "" || !strings.Contains(msg, "throttling") {
		t.Fatalf("%d %v %s, want 503 with Retry-After saying Secrets Manager is throttling", resp.Status, resp.Header, resp.Body)
	}
	for _, leak := range []string{"RequestID", "arn:", "123456789012", "operation error"} {
		if strings.Contains(string(resp.Body), leak) {
			t.Errorf("the answer carries SDK text %q: %s", leak, resp.Body)
		}
	}
	if len(f.zd.Requests()) != 0 {
		t.Error("Zendesk was called without a secret")
	}
	f.src.err = nil
	if resp, _ := f.send(t, seedBody); resp.Status != 201 {
		t.Fatalf("after the fault passed: %d %s", resp.Status, resp.Body)
	}
}

// An operator who fills a missing key sees it work within seconds, not
// after the cache's TTL.
func TestFilledKeyIsSeenSoon(t *testing.T) {
	f := newFixture(t)
	delete(f.src.vals, zendesk.KeyAPIToken)
	if resp, _ := f.send(t, seedBody); resp.Status != 500 {
		t.Fatalf("%d", resp.Status)
	}
	f.src.vals[zendesk.KeyAPIToken] = apiToken
	f.clock = f.clock.Add(11 * time.Second)
	if resp, _ := f.send(t, seedBody); resp.Status != 201 {
		t.Fatalf("11 s after the key was filled: %d %s", resp.Status, resp.Body)
	}
}

func TestLogsCarryNoSecrets(t *testing.T) {
	f := newFixture(t)
	f.send(t, seedBody)
	f.send(t, seedBody, "authorization", "Bearer wrong-"+hookToken)
	f.zd.SetCredentials(agentEmail, "other")
	f.send(t, seedBody)
	for _, s := range []string{apiToken, hookToken, "Basic "} {
		if strings.Contains(f.logs.String(), s) {
			t.Errorf("logs contain %q:\n%s", s, f.logs.String())
		}
	}
}
