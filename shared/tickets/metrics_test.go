package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/metrics/metricstest"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// withMetrics records the fixture's metrics, and checks when the test ends
// that no line carries what the fixture's requests hold.
func withMetrics(t *testing.T, f *fixture) *metricstest.Capture {
	t.Helper()
	c := metricstest.New(metrics.BrazeToZendesk)
	f.h.(*tickets.Handler).Metrics = c
	t.Cleanup(func() { checkClean(t, c) })
	return c
}

// private is what the fixtures send, know or derive that is not a metric:
// secrets, the requester's identity, the ticket, the keys.
var private = []string{apiToken, hookToken, agentEmail, "zd-token-2", "ada@example.com", "Ada Lovelace", "user-123",
	"Not enjoying the app", "Are you enjoying", "dispatch-", "Bearer", "@",
	tickets.IdempotencyKey("", []byte(seedBody), "external_id:user-123"),
	tickets.IdempotencyKey("dispatch-9", nil, "external_id:user-123")}

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
	l := lines[0]
	if l.Dimensions[metrics.DimFunction] != metrics.BrazeToZendesk {
		t.Errorf("Function = %q", l.Dimensions[metrics.DimFunction])
	}
	return l
}

// want is what a line must say (metricstest.Want's fields, in order).
var want = metricstest.Expect

func TestMetricsOfWebhookCalls(t *testing.T) {
	down3 := []zendesktest.Reply{{Status: 500}, {Status: 500}, {Status: 500}}
	for _, tc := range []struct {
		name    string
		setup   func(f *fixture)
		headers []string
		body    string
		status  int
		want    metricstest.Want
	}{
		{name: "created", status: 201, want: want(metrics.Deliveries, metrics.Created, "", false, 0)},
		{name: "created after a retry", status: 201,
			setup: func(f *fixture) { f.zd.Script(zendesktest.TicketsPath, zendesktest.Reply{Status: 502}) },
			want:  want(metrics.Deliveries, metrics.Created, "", false, 1)},
		{name: "wrong token rejected", headers: []string{"authorization", "Bearer wrong-" + hookToken}, status: 401,
			want: want(metrics.Deliveries, metrics.Rejected, "", false, -1)},
		{name: "bad body rejected", body: `{"ticket": {"requester": {"email": "ada@example.com"}}}`, status: 400,
			want: want(metrics.Deliveries, metrics.Rejected, "", false, -1)},
		{name: "refused by Zendesk: rejected", status: 422,
			setup: func(f *fixture) {
				f.zd.Script(zendesktest.TicketsPath, zendesktest.Reply{Status: 422, Body: `{"error": "RecordInvalid", "description": "Subject: Not enjoying the app"}`})
			},
			want: want(metrics.Deliveries, metrics.Rejected, "422", false, 0)},
		{name: "Zendesk failing: failed", status: 502,
			setup: func(f *fixture) { f.zd.Script(zendesktest.TicketsPath, down3...) },
			want:  want(metrics.Deliveries, metrics.Failed, "500", false, 2)},
		{name: "token refused after a refetch", status: 502,
			setup: func(f *fixture) { f.zd.SetCredentials(agentEmail, "zd-token-2") },
			want:  want(metrics.Deliveries, metrics.Failed, "401", true, 0)},
		{name: "permissions refused", status: 502,
			setup: func(f *fixture) { f.zd.Script(zendesktest.TicketsPath, zendesktest.Reply{Status: 403}) },
			want:  want(metrics.Deliveries, metrics.Failed, "403", true, 0)},
		{name: "misconfigured secret", status: 500,
			setup: func(f *fixture) { delete(f.src.vals, zendesk.KeyAPIToken) },
			want:  want(metrics.Deliveries, metrics.Failed, "", true, -1)},
		{name: "secret unavailable: failed, not credentials", status: 503,
			setup: func(f *fixture) {
				f.src.err = &secrets.UnavailableError{Secret: "test/secret", Fault: secrets.FaultThrottled, Err: errors.New("throttled")}
			},
			want: want(metrics.Deliveries, metrics.Failed, "", false, -1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := withMetrics(t, f)
			if tc.setup != nil {
				tc.setup(f)
			}
			body := tc.body
			if body == "" {
				body = seedBody
			}
			if resp, _ := f.send(t, body, tc.headers...); resp.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.Status, tc.status, resp.Body)
			}
			tc.want.Check(t, only(t, c))
		})
	}
}

// Braze's retry of a filed ticket is Zendesk's idempotent replay.
func TestMetricsOfAReplay(t *testing.T) {
	f := newFixture(t)
	c := withMetrics(t, f)
	f.send(t, seedBody)
	want(metrics.Deliveries, metrics.Created, "", false, 0).Check(t, only(t, c))
	if resp, _ := f.send(t, seedBody); resp.Status != 201 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	want(metrics.Deliveries, metrics.Replayed, "", false, 0).Check(t, only(t, c))
}

// A ticket queued in an outage, then filed by the consumer: one line each.
func TestMetricsOfAQueuedTicket(t *testing.T) {
	f := newFixture(t)
	c := withMetrics(t, f)
	q := withQueue(f)
	f.zd.Script(zendesktest.TicketsPath, down...)
	if resp, _ := f.send(t, seedBody, "idempotency-key", "dispatch-9"); resp.Status != 202 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	want(metrics.Deliveries, metrics.Queued, "503", false, 2).Check(t, only(t, c))

	f.clock = f.clock.Add(time.Hour)
	if res := consume(t, f, q); res[0].Failed {
		t.Fatalf("%+v", res)
	}
	want(metrics.QueueRedeliveries, metrics.Created, "", false, 0).Check(t, only(t, c))
}

func TestMetricsOfQueueRecords(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script []zendesktest.Reply
		want   metricstest.Want
	}{
		{"filed", nil, want(metrics.QueueRedeliveries, metrics.Created, "", false, 0)},
		{"still down", down, want(metrics.QueueRedeliveries, metrics.Failed, "503", false, 2)},
		{"token revoked", []zendesktest.Reply{{Status: 401}, {Status: 401}}, want(metrics.QueueRedeliveries, metrics.Failed, "401", true, 0)},
		{"refused for good", []zendesktest.Reply{{Status: 422, Body: `{"error": "RecordInvalid"}`}}, want(metrics.QueueRedeliveries, metrics.Dropped, "422", false, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			q := withQueue(f)
			f.zd.Script(zendesktest.TicketsPath, down...)
			if resp, _ := f.send(t, seedBody); resp.Status != 202 {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			c := withMetrics(t, f)
			f.clock = f.clock.Add(time.Hour)
			f.zd.Script(zendesktest.TicketsPath, tc.script...)
			consume(t, f, q)
			tc.want.Check(t, only(t, c))
		})
	}
}

func TestMetricsOfAForeignQueueMessage(t *testing.T) {
	f := newFixture(t)
	c := withMetrics(t, f)
	res := f.h.(*tickets.Handler).Consume(context.Background(), []queue.Record{{ID: "m-1", Body: []byte(`{"email": "ada@example.com"}`)}})
	if len(res) != 1 || res[0].Failed {
		t.Fatalf("%+v", res)
	}
	want(metrics.QueueRedeliveries, metrics.Dropped, "", false, -1).Check(t, only(t, c))
}

// A function whose variables are wrong counts every call as a failed
// delivery and a credential failure; without metrics it answers the same.
func TestMetricsOfAnUnconfiguredFunction(t *testing.T) {
	c := metricstest.New(metrics.BrazeToZendesk)
	t.Cleanup(func() { checkClean(t, c) })
	mis := &webhook.Misconfig{}
	h := tickets.NewHandler(tickets.Config{ZendeskSubdomain: "not a subdomain!", Metrics: c}, mis)
	plain := tickets.NewHandler(tickets.Config{ZendeskSubdomain: "not a subdomain!"}, mis)
	for _, h := range []webhook.Handler{h, plain} {
		if resp := h.ServeWebhook(context.Background(), webhook.Request{Body: []byte(seedBody)}); resp.Status != http.StatusInternalServerError {
			t.Fatalf("%d %s", resp.Status, resp.Body)
		}
	}
	want(metrics.Deliveries, metrics.Failed, "", true, -1).Check(t, only(t, c))
	direct := tickets.Unconfigured(mis, c, errors.New("SECRET_ID is not set"))
	direct.ServeWebhook(context.Background(), webhook.Request{})
	want(metrics.Deliveries, metrics.Failed, "", true, -1).Check(t, only(t, c))
}

// Without metrics the route answers exactly as with them.
func TestMetricsChangeNoAnswer(t *testing.T) {
	answers := func(withM bool) []string {
		f := newFixture(t)
		if withM {
			withMetrics(t, f)
		}
		var out []string
		for _, h := range [][]string{nil, {"authorization", "Bearer nope"}, nil} {
			resp, _ := f.send(t, seedBody, h...)
			out = append(out, fmt.Sprint(resp.Status, resp.Header, strings.ReplaceAll(string(resp.Body), f.zd.URL, "ZENDESK")))
		}
		return out
	}
	if a, b := answers(false), answers(true); !reflect.DeepEqual(a, b) {
		t.Errorf("answers differ:\n%q\n%q", a, b)
	}
}
