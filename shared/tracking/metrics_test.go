package tracking_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/metrics/metricstest"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// withMetrics records the fixture's metrics, and checks when the test ends
// that no line carries what the fixture's requests hold.
func withMetrics(t *testing.T, f *fixture) *metricstest.Capture {
	t.Helper()
	c := metricstest.New(metrics.ZendeskToBraze)
	f.h.Metrics = c
	t.Cleanup(func() { checkClean(t, c) })
	return c
}

// private is what the fixtures send, know or derive that is not a metric:
// secrets, signatures, identities, ticket text, invocation ids.
var private = []string{apiKey, hookSecret, zdToken, zdAgent, "ada@example.com", "user-123", "Not enjoying the app",
	"4211", "inv-", "signature:", "Bearer", "@", "sha256", zendesk.Sign(hookSecret, now.Format(time.RFC3339), []byte(flat))}

func checkClean(t *testing.T, c *metricstest.Capture) {
	t.Helper()
	text := c.Text()
	for _, s := range private {
		if strings.Contains(text, s) {
			t.Errorf("a metric line holds %q:\n%s", s, text)
		}
	}
}

// only is the one line written since the last call, read back as EMF.
func only(t *testing.T, c *metricstest.Capture) metricstest.Line {
	t.Helper()
	lines := c.Lines(t)
	c.Reset()
	if len(lines) != 1 {
		t.Fatalf("%d metric lines, want 1:\n%v", len(lines), lines)
	}
	if fn := lines[0].Dimensions[metrics.DimFunction]; fn != metrics.ZendeskToBraze {
		t.Errorf("Function = %q", fn)
	}
	return lines[0]
}

// want is what a line must say (metricstest.Want's fields, in order).
var want = metricstest.Expect

func TestMetricsOfWebhookCalls(t *testing.T) {
	fail3 := func(status int) []brazetest.Reply {
		return []brazetest.Reply{{Status: status}, {Status: status}, {Status: status}}
	}
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, f *fixture)
		body   string
		inv    string
		extra  []string
		within time.Duration // the caller's deadline; 0: none
		status int
		want   metricstest.Want
	}{
		{name: "created", status: 200, want: want(metrics.Deliveries, metrics.Created, "", false, 0)},
		{name: "created after a retry", status: 200,
			setup: func(t *testing.T, f *fixture) { f.bz.Script(brazetest.TrackPath, brazetest.Reply{Status: 502}) },
			want:  want(metrics.Deliveries, metrics.Created, "", false, 1)},
		{name: "ignored", body: `{"type": "zen:event-type:user.created", "detail": {"id": "1", "email": "ada@example.com"}}`, status: 200,
			want: want(metrics.Deliveries, metrics.Ignored, "", false, -1)},
		{name: "busy elsewhere: duplicate", status: 409,
			setup: func(t *testing.T, f *fixture) {
				c, err := f.h.Service.Dedupe.Claim(context.Background(), dedupe.ClaimRequest{ID: "inv-1", Deadline: time.Now().Add(time.Minute)})
				if err != nil || c.Outcome != dedupe.Claimed {
					t.Fatal(c, err)
				}
			},
			want: want(metrics.Deliveries, metrics.Duplicate, "", false, -1)},
		{name: "queued mode", status: 202,
			setup: func(t *testing.T, f *fixture) { withQueue(f, true) },
			want:  want(metrics.Deliveries, metrics.Queued, "", false, -1)},
		{name: "bad signature rejected", extra: []string{zendesk.SignatureHeader, "bm90IGl0"}, status: 401,
			want: want(metrics.Deliveries, metrics.Rejected, "", false, -1)},
		{name: "invocation id too long rejected", inv: "inv-" + strings.Repeat("x", tracking.MaxInvocationID), status: 400,
			want: want(metrics.Deliveries, metrics.Rejected, "", false, -1)},
		{name: "body refused by Braze: rejected", status: 400,
			setup: func(t *testing.T, f *fixture) {
				f.bz.Script(brazetest.TrackPath, brazetest.Reply{Status: 400, Body: `{"message": "Not enjoying the app is invalid"}`})
			},
			want: want(metrics.Deliveries, metrics.Rejected, "400", false, 0)},
		{name: "Braze failing: failed", status: 503,
			setup: func(t *testing.T, f *fixture) { f.bz.Script(brazetest.TrackPath, fail3(500)...) },
			want:  want(metrics.Deliveries, metrics.Failed, "500", false, 2)},
		{name: "Braze timing out: failed", within: 700 * time.Millisecond, status: 503,
			setup: func(t *testing.T, f *fixture) {
				f.bz.Script(brazetest.TrackPath, brazetest.Reply{Status: 200, Delay: 20 * time.Second})
			},
			want: want(metrics.Deliveries, metrics.Failed, "timeout", false, 0)},
		{name: "API key refused after a refetch", status: 502,
			setup: func(t *testing.T, f *fixture) { f.bz.Script(brazetest.TrackPath, fail3(401)...) },
			want:  want(metrics.Deliveries, metrics.Failed, "401", true, 0)},
		{name: "API key unknown (404) after a refetch", status: 502,
			setup: func(t *testing.T, f *fixture) {
				f.bz.Script(brazetest.TrackPath, brazetest.Reply{Status: 404, Body: `{"message": "Unknown REST API Key"}`},
					brazetest.Reply{Status: 404, Body: `{"message": "Unknown REST API Key"}`})
			},
			want: want(metrics.Deliveries, metrics.Failed, "404", true, 0)},
		{name: "Zendesk read refused", body: event("ticket.created", 9, 77, ``), status: 502,
			setup: func(t *testing.T, f *fixture) { f.zd.SetCredentials(zdAgent, "another-token") },
			want:  want(metrics.Deliveries, metrics.Failed, "401", true, 0)},
		{name: "dedupe table unreachable: failed", status: 503,
			setup: func(t *testing.T, f *fixture) { f.h.Service.Dedupe = brokenStore{} },
			want:  want(metrics.Deliveries, metrics.Failed, "", false, -1)},
		{name: "misconfigured secret", status: 500,
			setup: func(t *testing.T, f *fixture) { delete(f.src.vals, tracking.KeyAPIKey) },
			want:  want(metrics.Deliveries, metrics.Failed, "", true, -1)},
		{name: "no Zendesk account for an event webhook: misconfigured", body: event("ticket.created", 9, 77, ``), status: 500,
			setup: func(t *testing.T, f *fixture) { f.h.Service.Zendesk = nil },
			want:  want(metrics.Deliveries, metrics.Failed, "", true, -1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := withMetrics(t, f)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			body, inv := tc.body, tc.inv
			if body == "" {
				body = flat
			}
			if inv == "" {
				inv = "inv-1"
			}
			ctx := context.Background()
			if tc.within > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.within)
				defer cancel()
			}
			resp := f.sendCtx(t, ctx, body, inv, tc.extra...)
			if resp.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			tc.want.Check(t, only(t, c))
		})
	}
}

// sendCtx is send under ctx, without send's checks.
func (f *fixture) sendCtx(t *testing.T, ctx context.Context, body, invocation string, extra ...string) webhook.Response {
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
	return f.h.ServeWebhook(ctx, webhook.Request{Header: h, Body: []byte(body)})
}

// Zendesk's retry of a delivered invocation, and a replay of its signed
// request under a fresh id, are duplicates; nothing is sent.
func TestMetricsOfDuplicates(t *testing.T) {
	f := newFixture(t)
	c := withMetrics(t, f)
	f.send(t, flat, "inv-1")
	want(metrics.Deliveries, metrics.Created, "", false, 0).Check(t, only(t, c))
	for _, inv := range []string{"inv-1", "inv-forged"} {
		if resp, out := f.send(t, flat, inv); resp.Status != 200 || out["duplicate"] != true {
			t.Fatalf("%s: %d %s", inv, resp.Status, resp.Body)
		}
		want(metrics.Deliveries, metrics.Duplicate, "", false, -1).Check(t, only(t, c))
	}
}

// A delivery queued by a Braze outage, then made by the consumer.
func TestMetricsOfAQueuedDelivery(t *testing.T) {
	f := newFixture(t)
	c := withMetrics(t, f)
	q := withQueue(f, false)
	f.bz.Script(brazetest.TrackPath, brazetest.Reply{Status: 503}, brazetest.Reply{Status: 503}, brazetest.Reply{Status: 503})
	if resp, _ := f.send(t, flat, "inv-q"); resp.Status != 202 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	want(metrics.Deliveries, metrics.Queued, "503", false, 2).Check(t, only(t, c))
	f.clock = f.clock.Add(time.Hour)
	if res := drain(t, f, q); res[0].Failed {
		t.Fatalf("%+v", res)
	}
	want(metrics.QueueRedeliveries, metrics.Created, "", false, 0).Check(t, only(t, c))
	// SQS delivers the record again: made already, off the queue.
	q.Send(context.Background(), []byte(`{"invocation_id": "inv-q", "message": {"events": [{"external_id": "user-123", "name": "x"}]}}`))
	drain(t, f, q)
	want(metrics.QueueRedeliveries, metrics.Created, "", false, -1).Check(t, only(t, c))
}

func TestMetricsOfQueueRecords(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script []brazetest.Reply
		want   metricstest.Want
	}{
		{"accepted", nil, want(metrics.QueueRedeliveries, metrics.Created, "", false, 0)},
		{"rate limited", []brazetest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "120"}}},
			want(metrics.QueueRedeliveries, metrics.Failed, "429", false, 0)},
		{"failing", []brazetest.Reply{{Status: 500}, {Status: 500}, {Status: 500}}, want(metrics.QueueRedeliveries, metrics.Failed, "500", false, 2)},
		{"key refused", []brazetest.Reply{{Status: 401}, {Status: 401}}, want(metrics.QueueRedeliveries, metrics.Failed, "401", true, 0)},
		// An unknown key stays queued, for the operator to fix and redrive.
		{"key unknown", []brazetest.Reply{{Status: 404}, {Status: 404}}, want(metrics.QueueRedeliveries, metrics.Failed, "404", true, 0)},
		{"body refused", []brazetest.Reply{{Status: 400, Body: `{"message": "Invalid"}`}}, want(metrics.QueueRedeliveries, metrics.Dropped, "400", false, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			q := withQueue(f, true)
			if resp, _ := f.send(t, flat, "inv-c"); resp.Status != 202 {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			c := withMetrics(t, f)
			f.bz.Script(brazetest.TrackPath, tc.script...)
			drain(t, f, q)
			tc.want.Check(t, only(t, c))
		})
	}
}

func TestMetricsOfForeignAndUnreachableRecords(t *testing.T) {
	f := newFixture(t)
	c := withMetrics(t, f)
	res := f.h.Consume(context.Background(), []queue.Record{{ID: "m-1", Body: []byte(`{"email": "ada@example.com"}`)}})
	if len(res) != 1 || res[0].Failed {
		t.Fatalf("%+v", res)
	}
	want(metrics.QueueRedeliveries, metrics.Dropped, "", false, -1).Check(t, only(t, c))

	f.h.Service.Dedupe = brokenStore{}
	res = f.h.Consume(context.Background(), []queue.Record{{ID: "m-2", Body: []byte(`{"invocation_id": "inv-z", "message": {}}`)}})
	if len(res) != 1 || !res[0].Failed {
		t.Fatalf("%+v", res)
	}
	want(metrics.QueueRedeliveries, metrics.Failed, "", false, -1).Check(t, only(t, c))
}

// Records merged into one /users/track call are each counted, and the
// call's requests once, with the first record of its group.
func TestMetricsOfMergedRecords(t *testing.T) {
	f := newFixture(t)
	q := withQueue(f, true)
	const n = 200
	for i := range n {
		body := fmt.Sprintf(`{"ticket_id": "%d", "status": "solved", "external_id": "u%d", "subject": "s"}`, i+1, i)
		if resp, _ := f.send(t, body, fmt.Sprint("inv-", i)); resp.Status != 202 {
			t.Fatalf("%d: %d %s", i, resp.Status, resp.Body)
		}
	}
	c := withMetrics(t, f)
	drain(t, f, q)
	lines := c.Lines(t)
	calls := len(f.bz.RequestsTo(brazetest.TrackPath))
	withLatency := 0
	for i, l := range lines {
		if l.Values[metrics.QueueRedeliveries] != 1 || l.Outcome() != string(metrics.Created) {
			t.Errorf("line %s", l.Raw)
		}
		if l.Has(metrics.DownstreamLatency) {
			withLatency++
		}
		// Records go in order, 75 to a call: the first of each leads it.
		if first := i%75 == 0; l.Has(metrics.DownstreamLatency) != first {
			t.Errorf("record %d: latency counted %v, want %v", i, l.Has(metrics.DownstreamLatency), first)
		}
	}
	if len(lines) != n || calls != (n+74)/75 || withLatency != calls {
		t.Errorf("%d lines for %d records, %d of them with the latency of %d calls", len(lines), n, withLatency, calls)
	}
}

// A function whose variables are wrong counts every call as a failed
// delivery and a credential failure.
func TestMetricsOfAnUnconfiguredFunction(t *testing.T) {
	c := metricstest.New(metrics.ZendeskToBraze)
	t.Cleanup(func() { checkClean(t, c) })
	mis := &webhook.Misconfig{}
	for _, cfg := range []tracking.Config{
		{BrazeRESTEndpoint: "http://rest.example.com", Metrics: c},
		{BrazeRESTEndpoint: "https://rest.iad-01.braze.com", DeliveryMode: "later", Metrics: c},
	} {
		h := tracking.NewHandler(cfg, mis)
		if resp := h.ServeWebhook(context.Background(), webhook.Request{Body: []byte(flat)}); resp.Status != http.StatusInternalServerError {
			t.Fatalf("%d %s", resp.Status, resp.Body)
		}
		want(metrics.Deliveries, metrics.Failed, "", true, -1).Check(t, only(t, c))
	}
}
