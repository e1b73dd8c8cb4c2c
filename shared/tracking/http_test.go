package tracking_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const (
	apiKey     = "braze-key-1"
	hookSecret = "zd-signing-secret"
	zdAgent    = "agent@example.com"
	zdToken    = "zd-read-token"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

const flat = `{"ticket_id": "4211", "status": "Solved", "external_id": "user-123", "email": "ada@example.com", "subject": "Not enjoying the app"}`

type memSource struct {
	vals  map[string]string
	loads int
}

func (m *memSource) Name() string { return "test/secret" }
func (m *memSource) Load(context.Context) ([]byte, error) {
	m.loads++
	return json.Marshal(m.vals)
}

type fixture struct {
	bz    *brazetest.Server
	zd    *zendesktest.Server
	src   *memSource
	h     *tracking.Handler
	logs  *bytes.Buffer
	clock time.Time // the secret cache's
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	bz := brazetest.New(apiKey)
	t.Cleanup(bz.Close)
	// Every requester of these tests is a Braze user; profile creation has
	// its own tests (braze_test.go).
	bz.AssumeProfilesExist()
	base, _ := url.Parse(bz.URL)
	client := braze.New(base, bz.Client())
	client.Retry.Base = 5 * time.Millisecond
	zd := zendesktest.New(zdAgent, zdToken)
	t.Cleanup(zd.Close)
	zbase, _ := url.Parse(zd.URL)
	src := &memSource{vals: map[string]string{tracking.KeyAPIKey: apiKey, tracking.KeyWebhookSecret: hookSecret,
		zendesk.KeyEmail: zdAgent, zendesk.KeyAPIToken: zdToken}}
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	f := &fixture{bz: bz, zd: zd, src: src, logs: logs, clock: now}
	cache := secrets.NewCache(src, time.Hour)
	cache.Now = func() time.Time { return f.clock }
	zclient := zendesk.New(zbase, zd.Client(), zendesk.NewSecretAuth(cache, zbase, zd.Client(), zendesk.ScopesReadTickets, log))
	zclient.Retry.Base = 5 * time.Millisecond
	store := dedupe.NewMemory()
	store.Now = func() time.Time { return f.clock }
	f.h = &tracking.Handler{
		Service: &tracking.Service{Braze: client, Secrets: cache, Dedupe: store, Zendesk: zclient,
			Now: func() time.Time { return f.clock }},
		Log:       log,
		Misconfig: &webhook.Misconfig{Log: log},
		Now:       func() time.Time { return now },
	}
	return f
}

// other is body about another ticket: the same body signed at the same
// second is one signature, which a second invocation id may not reuse.
func other(body string, n int) string {
	return strings.Replace(body, `"ticket_id": "4211"`, fmt.Sprintf(`"ticket_id": "%d"`, 4211+n), 1)
}

// send signs body as Zendesk does, at now, with the given invocation id.
func (f *fixture) send(t *testing.T, body, invocation string, extra ...string) (webhook.Response, map[string]any) {
	t.Helper()
	ts := now.Format(time.RFC3339)
	h := map[string]string{
		zendesk.SignatureTimestampHeader: ts,
		zendesk.SignatureHeader:          zendesk.Sign(hookSecret, ts, []byte(body)),
		zendesk.InvocationIDHeader:       invocation,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	resp := f.h.ServeWebhook(context.Background(), webhook.Request{Header: h, Body: []byte(body)})
	var out map[string]any
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		t.Fatalf("body is not JSON: %q", resp.Body)
	}
	for _, s := range []string{apiKey, hookSecret, zdToken} {
		if strings.Contains(string(resp.Body), s) || strings.Contains(f.logs.String(), s) {
			t.Fatalf("%q leaked into the answer or the logs", s)
		}
	}
	return resp, out
}

func TestFlatBodyLogsEvent(t *testing.T) {
	f := newFixture(t)
	resp, out := f.send(t, flat, "inv-1")
	if resp.Status != 200 || out["events_processed"] != float64(1) || out["message"] != "success" {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	evs := f.bz.Events()
	if len(evs) != 1 {
		t.Fatalf("braze events = %v", evs)
	}
	ev := evs[0]
	props := ev["properties"].(map[string]any)
	if ev["name"] != "zendesk_ticket_solved" || ev["external_id"] != "user-123" || ev["time"] != "2026-11-24T12:00:00Z" ||
		props["ticket_id"] != float64(4211) || props["email"] != "ada@example.com" {
		t.Errorf("event = %v", ev)
	}
	req := f.bz.RequestsTo(brazetest.TrackPath)[0]
	if req.Header.Get("Authorization") != "Bearer "+apiKey {
		t.Error("Braze was not called with the API key as a bearer token")
	}
}

func TestRetriedInvocationReachesBrazeOnce(t *testing.T) {
	f := newFixture(t)
	f.send(t, flat, "inv-7")
	resp, out := f.send(t, flat, "inv-7")
	if resp.Status != 200 || out["duplicate"] != true {
		t.Fatalf("retry answered %d %s", resp.Status, resp.Body)
	}
	if n := len(f.bz.RequestsTo(brazetest.TrackPath)); n != 1 {
		t.Fatalf("braze calls = %d, want 1", n)
	}
	f.send(t, other(flat, 1), "inv-8") // another invocation is delivered
	if n := len(f.bz.Events()); n != 2 {
		t.Fatalf("events = %d, want 2", n)
	}
}

func TestFailedInvocationIsNotRemembered(t *testing.T) {
	f := newFixture(t)
	fail := brazetest.Reply{Status: 500, Body: `{"message":"Internal Server Error"}`}
	f.bz.Script(brazetest.TrackPath, fail, fail, fail)
	if resp, _ := f.send(t, flat, "inv-9"); resp.Status != 503 {
		t.Fatalf("status = %d", resp.Status)
	}
	if resp, _ := f.send(t, flat, "inv-9"); resp.Status != 200 || len(f.bz.Events()) != 1 {
		t.Fatalf("the Zendesk retry after a failure must be delivered: %d, %d events", resp.Status, len(f.bz.Events()))
	}
}

// TestLargeBodySplitToTheContract: a body over the Braze contract's
// objects per request is split, never refused, and no request carries more
// than the contract allows (the stand-in refuses one that does, as Braze
// does).
func TestLargeBodySplitToTheContract(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int // the contract's; 0: the default
		calls int
	}{
		{"default 75", 0, 3},
		{"MAU contract: 50", braze.MAUObjects, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.limit > 0 {
				f.bz.SetObjectsPerRequest(tc.limit)
				f.h.Service.ObjectsPerRequest = tc.limit
			}
			want := tc.limit
			if want == 0 {
				want = 75
			}
			var evs []string
			for i := range 160 {
				evs = append(evs, fmt.Sprintf(`{"external_id": "u%d", "name": "bulk"}`, i))
			}
			body := `{"attributes": [{"external_id": "u0", "vip": true}], "events": [` + strings.Join(evs, ",") + `]}`
			resp, out := f.send(t, body, "inv-big")
			if resp.Status != 200 || out["events_processed"] != float64(160) || out["attributes_processed"] != float64(1) {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			reqs := f.bz.RequestsTo(brazetest.TrackPath)
			if len(reqs) != tc.calls {
				t.Fatalf("requests = %d, want %d", len(reqs), tc.calls)
			}
			for _, r := range reqs {
				var b braze.Track
				json.Unmarshal(r.Body, &b)
				if b.Len() > want {
					t.Errorf("a request held %d objects, more than %d", b.Len(), want)
				}
			}
			if len(f.bz.Events()) != 160 || len(f.bz.Attributes()) != 1 {
				t.Errorf("Braze holds %d events and %d attributes", len(f.bz.Events()), len(f.bz.Attributes()))
			}
		})
	}
}

func TestPartialDeliveryResumes(t *testing.T) {
	f := newFixture(t)
	var evs []string
	for i := range 100 {
		evs = append(evs, fmt.Sprintf(`{"external_id": "u%d", "name": "bulk"}`, i))
	}
	body := `{"events": [` + strings.Join(evs, ",") + `]}`
	// The first batch is accepted, the second fails every try.
	f.bz.Script(brazetest.TrackPath, brazetest.Reply{Status: 201, Body: `{"message":"success","events_processed":75}`},
		brazetest.Reply{Status: 503}, brazetest.Reply{Status: 503}, brazetest.Reply{Status: 503})
	if resp, _ := f.send(t, body, "inv-part"); resp.Status != 503 {
		t.Fatalf("status = %d", resp.Status)
	}
	resp, out := f.send(t, body, "inv-part")
	if resp.Status != 200 || out["events_processed"] != float64(25) {
		t.Fatalf("retry: %d %s", resp.Status, resp.Body)
	}
	var last braze.Track
	reqs := f.bz.RequestsTo(brazetest.TrackPath)
	json.Unmarshal(reqs[len(reqs)-1].Body, &last)
	if len(last.Events) != 25 || last.Events[0]["external_id"] != "u75" {
		t.Errorf("the retry re-sent the accepted batch: %d events from %v", len(last.Events), last.Events[0]["external_id"])
	}
}

func TestMinorErrorsPassedOnWithWholeBodyIndexes(t *testing.T) {
	f := newFixture(t)
	var evs []string
	for i := range 80 {
		evs = append(evs, fmt.Sprintf(`{"external_id": "u%d", "name": "bulk"}`, i))
	}
	evs[78] = `{"external_id": "u78", "name": "bulk", "properties": "not an object"}`
	resp, out := f.send(t, `{"events": [`+strings.Join(evs, ",")+`]}`, "inv-minor")
	if resp.Status != 200 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	errs, _ := out["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["index"] != float64(78) {
		t.Fatalf("errors = %v, want one at index 78", out["errors"])
	}
}

func TestAnswers(t *testing.T) {
	for _, tc := range []struct {
		name       string
		body       string
		headers    []string
		script     []brazetest.Reply
		status     int
		retryAfter string
		calls      int
	}{
		{name: "bad signature", body: flat, headers: []string{zendesk.SignatureHeader, "AAAA"}, status: 401},
		{name: "no signature", body: flat, headers: []string{zendesk.SignatureHeader, ""}, status: 401},
		{name: "stale timestamp", body: flat, headers: []string{zendesk.SignatureTimestampHeader, "2026-11-24T11:50:00Z",
			zendesk.SignatureHeader, zendesk.Sign(hookSecret, "2026-11-24T11:50:00Z", []byte(flat))}, status: 401},
		{name: "no identifier", body: `{"status": "solved", "external_id": "{{ticket.requester.external_id}}"}`, status: 400},
		{name: "not JSON", body: `{"status": `, status: 400},
		{name: "429 short wait retried", body: flat, script: []brazetest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "1"}}}, status: 200, calls: 2},
		{name: "429 long wait answered 503", body: flat, script: []brazetest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "30"}}}, status: 503, retryAfter: "30", calls: 1},
		{name: "429 reset far away capped under a minute", body: flat, script: []brazetest.Reply{{Status: 429,
			Header: map[string]string{"X-RateLimit-Reset": fmt.Sprint(time.Now().Add(10 * time.Minute).Unix())}}}, status: 503, retryAfter: "59", calls: 1},
		{name: "5xx then fine", body: flat, script: []brazetest.Reply{{Status: 502}}, status: 200, calls: 2},
		{name: "5xx every time", body: flat, script: []brazetest.Reply{{Status: 500}, {Status: 500}, {Status: 500}}, status: 503, retryAfter: "10", calls: 3},
		{name: "403", body: flat, script: []brazetest.Reply{{Status: 403, Body: `{"message":"Access Denied"}`}}, status: 502, calls: 1},
		{name: "fatal 400 from Braze", body: flat, script: []brazetest.Reply{{Status: 400, Body: `{"message":"Invalid JSON"}`}}, status: 400, calls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.bz.Script(brazetest.TrackPath, tc.script...)
			resp, out := f.send(t, tc.body, "inv-"+tc.name, tc.headers...)
			if resp.Status != tc.status {
				t.Fatalf("status = %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			if resp.Header["retry-after"] != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", resp.Header["retry-after"], tc.retryAfter)
			}
			if tc.status >= 400 && out["error"] == nil {
				t.Errorf("no error in %s", resp.Body)
			}
			if n := len(f.bz.Requests()); n != tc.calls {
				t.Errorf("braze calls = %d, want %d", n, tc.calls)
			}
		})
	}
}

// TestRotatedAPIKey: Braze refuses a key it does not know with 401 or,
// for a key in a REST key's shape, 404. Either way the secret is read
// again, and a key still refused is the operator's to fix: 502 naming
// braze_api_key, never a hint at the endpoint alone.
func TestRotatedAPIKey(t *testing.T) {
	for _, tc := range []struct {
		name          string
		old, new, bad string
		refusedWith   int
	}{
		{"legacy-shaped keys: 401", "braze-key-1", "braze-key-2", "braze-key-3", 401},
		{"REST keys: 404 Unknown REST API Key", "7d9a2c4e-1b3f-4a5d-8e6f-0a1b2c3d4e5f", "8e0b3d5f-2c4a-4b6e-9f70-1b2c3d4e5f60", "9f1c4e60-3d5b-4c7f-a081-2c3d4e5f6071", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.bz.SetAPIKey(tc.old)
			f.src.vals[tracking.KeyAPIKey] = tc.old
			f.send(t, flat, "inv-a")
			f.bz.SetAPIKey(tc.new)
			f.src.vals[tracking.KeyAPIKey] = tc.new
			if resp, _ := f.send(t, other(flat, 1), "inv-b"); resp.Status != 200 {
				t.Fatalf("after rotation: %d %s", resp.Status, resp.Body)
			}
			f.bz.SetAPIKey(tc.bad)
			before := len(f.bz.Requests())
			resp, out := f.send(t, other(flat, 2), "inv-c")
			msg, _ := out["error"].(string)
			if resp.Status != 502 || !strings.Contains(msg, "braze_api_key") || !strings.Contains(msg, fmt.Sprint(tc.refusedWith)) {
				t.Fatalf("%d %v", resp.Status, out)
			}
			reqs := f.bz.Requests()
			if n := len(reqs) - before; n != 2 {
				t.Errorf("braze calls = %d, want 2 (one more after reading the secret again)", n)
			}
			for _, s := range []string{tc.old, tc.new} {
				if strings.Contains(string(resp.Body), s) || strings.Contains(f.logs.String(), s) {
					t.Errorf("a key leaked into the answer or the logs")
				}
			}
		})
	}
}

func TestMissingSecretKeys(t *testing.T) {
	f := newFixture(t)
	delete(f.src.vals, tracking.KeyWebhookSecret)
	resp, out := f.send(t, flat, "inv-x")
	if resp.Status != 500 || !strings.Contains(out["error"].(string), "zendesk_webhook_secret") {
		t.Fatalf("%d %v", resp.Status, out)
	}
	g := newFixture(t)
	delete(g.src.vals, tracking.KeyAPIKey)
	resp, out = g.send(t, flat, "inv-y")
	if resp.Status != 500 || !strings.Contains(out["error"].(string), "braze_api_key") || len(g.bz.Requests()) != 0 {
		t.Fatalf("%d %v", resp.Status, out)
	}
}

func TestAnswerWithinBudgetWhenBrazeHangs(t *testing.T) {
	f := newFixture(t)
	f.bz.Script(brazetest.TrackPath, brazetest.Reply{Status: 201, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	ts := now.Format(time.RFC3339)
	resp := f.h.ServeWebhook(ctx, webhook.Request{Header: map[string]string{
		zendesk.SignatureTimestampHeader: ts, zendesk.SignatureHeader: zendesk.Sign(hookSecret, ts, []byte(flat)),
	}, Body: []byte(flat)})
	if resp.Status != 503 || resp.Header["retry-after"] == "" {
		t.Fatalf("%d %v %s", resp.Status, resp.Header, resp.Body)
	}
}
