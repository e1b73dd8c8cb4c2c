package apigw_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/webhook"
)

const (
	secretToken = "tok-9f8e7d6c5b4a"
	secretBody  = "BODY-MARKER-1234567890"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func newLog() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewJSONHandler(buf, nil)), buf
}

func event(body string, b64 bool, headers map[string]string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version:         "2.0",
		RouteKey:        "POST /braze/tickets",
		RawPath:         "/braze/tickets",
		Headers:         headers,
		Body:            body,
		IsBase64Encoded: b64,
	}
	ev.RequestContext.RequestID = "req-123"
	ev.RequestContext.HTTP.Method = "POST"
	ev.RequestContext.HTTP.Path = "/braze/tickets"
	return ev
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestRequest(t *testing.T) {
	max := strings.Repeat("a", webhook.MaxBody)
	tests := []struct {
		name       string
		ev         events.APIGatewayV2HTTPRequest
		wantBody   string
		wantHeader map[string]string
		wantStatus int // 0: no error
	}{
		{
			name: "header names lower-cased, values untouched",
			ev: event(`{"a":1}`, false, map[string]string{
				"Authorization":   "Bearer AbC",
				"Content-Type":    "application/json",
				"X-Custom-HEADER": "MiXeD Value",
				"idempotency-key": "k1",
			}),
			wantBody: `{"a":1}`,
			wantHeader: map[string]string{
				"authorization":   "Bearer AbC",
				"content-type":    "application/json",
				"x-custom-header": "MiXeD Value",
				"idempotency-key": "k1",
			},
		},
		{
			name:       "no headers",
			ev:         event(`{}`, false, nil),
			wantBody:   `{}`,
			wantHeader: map[string]string{},
		},
		{
			name:       "base64 body decoded",
			ev:         event(b64("{\"a\":\"\xff\x00binary\"}"), true, nil),
			wantBody:   "{\"a\":\"\xff\x00binary\"}",
			wantHeader: map[string]string{},
		},
		{
			name:       "empty base64 body",
			ev:         event("", true, nil),
			wantBody:   "",
			wantHeader: map[string]string{},
		},
		{
			name:       "plain body that looks like base64 is not decoded",
			ev:         event(b64("hello"), false, nil),
			wantBody:   b64("hello"),
			wantHeader: map[string]string{},
		},
		{
			name:       "invalid base64",
			ev:         event("not base64!!", true, nil),
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "truncated base64",
			ev:         event(b64("hello")[:5], true, nil),
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "plain body of exactly MaxBody",
			ev:         event(max, false, nil),
			wantBody:   max,
			wantHeader: map[string]string{},
		},
		{
			name:       "plain body of MaxBody+1",
			ev:         event(max+"a", false, nil),
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "base64 body of exactly MaxBody",
			ev:         event(b64(max), true, nil),
			wantBody:   max,
			wantHeader: map[string]string{},
		},
		{
			name:       "base64 body of MaxBody-1",
			ev:         event(b64(max[1:]), true, nil),
			wantBody:   max[1:],
			wantHeader: map[string]string{},
		},
		{
			name:       "base64 body of MaxBody+1",
			ev:         event(b64(max+"a"), true, nil),
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "base64 body of MaxBody+2",
			ev:         event(b64(max+"ab"), true, nil),
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "base64 body of MaxBody+3",
			ev:         event(b64(max+"abc"), true, nil),
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "huge base64 body",
			ev:         event(b64(strings.Repeat(max, 4)), true, nil),
			wantStatus: http.StatusRequestEntityTooLarge,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, ferr := apigw.Request(tt.ev)
			if tt.wantStatus != 0 {
				if ferr == nil {
					t.Fatalf("Request accepted a body of %d bytes, want %d", len(req.Body), tt.wantStatus)
				}
				if ferr.Status != tt.wantStatus || ferr.Message == "" {
					t.Fatalf("Request error = %d %q, want %d with a message", ferr.Status, ferr.Message, tt.wantStatus)
				}
				return
			}
			if ferr != nil {
				t.Fatalf("Request error = %d %q, want none", ferr.Status, ferr.Message)
			}
			if string(req.Body) != tt.wantBody {
				t.Errorf("Body = %.80q (len %d), want %.80q (len %d)", req.Body, len(req.Body), tt.wantBody, len(tt.wantBody))
			}
			if !reflect.DeepEqual(req.Header, tt.wantHeader) {
				t.Errorf("Header = %v, want %v", req.Header, tt.wantHeader)
			}
		})
	}
}

func TestRequestDoesNotModifyEventHeaders(t *testing.T) {
	h := map[string]string{"Authorization": "x"}
	if _, ferr := apigw.Request(event("", false, h)); ferr != nil {
		t.Fatal(ferr)
	}
	if !reflect.DeepEqual(h, map[string]string{"Authorization": "x"}) {
		t.Fatalf("event headers changed to %v", h)
	}
}

// recorder is a webhook.Handler that records its calls and answers resp.
type recorder struct {
	calls int
	req   webhook.Request
	resp  webhook.Response
}

func (r *recorder) ServeWebhook(_ context.Context, req webhook.Request) webhook.Response {
	r.calls++
	r.req = req
	return r.resp
}

func errorBody(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", body, err)
	}
	if msg, _ := m["error"].(string); msg == "" {
		t.Fatalf("body %q has no error message", body)
	}
	return m
}

func TestAdaptPassesThrough(t *testing.T) {
	log, _ := newLog()
	rec := &recorder{resp: webhook.Response{
		Status: http.StatusCreated,
		Header: map[string]string{"content-type": "application/json", "x-extra": "1"},
		Body:   []byte(`{"ticket_id":42}`),
	}}
	h := apigw.Adapt(rec, log)
	resp, err := h(context.Background(), event(b64(`{"ticket":{}}`), true, map[string]string{"Authorization": "Bearer " + secretToken}))
	if err != nil {
		t.Fatalf("Adapt returned error %v; it must never", err)
	}
	if rec.calls != 1 {
		t.Fatalf("handler called %d times, want 1", rec.calls)
	}
	if string(rec.req.Body) != `{"ticket":{}}` || rec.req.Header["authorization"] != "Bearer "+secretToken {
		t.Errorf("handler saw %q %v", rec.req.Body, rec.req.Header)
	}
	want := events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusCreated,
		Headers:    map[string]string{"content-type": "application/json", "x-extra": "1"},
		Body:       `{"ticket_id":42}`,
	}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("response = %+v, want %+v", resp, want)
	}
}

func TestAdaptRefusals(t *testing.T) {
	max := strings.Repeat("x", webhook.MaxBody)
	tests := []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		status int
	}{
		{"invalid base64", event("%%%", true, nil), http.StatusBadRequest},
		{"plain over the limit", event(max+"x", false, nil), http.StatusRequestEntityTooLarge},
		{"base64 over the limit", event(b64(max+"x"), true, nil), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, _ := newLog()
			rec := &recorder{resp: webhook.JSON(200, map[string]bool{"ok": true})}
			resp, err := apigw.Adapt(rec, log)(context.Background(), tt.ev)
			if err != nil {
				t.Fatalf("Adapt returned error %v", err)
			}
			if rec.calls != 0 {
				t.Errorf("handler was called for a refused request")
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if resp.Headers["content-type"] != "application/json" {
				t.Errorf("content-type = %q", resp.Headers["content-type"])
			}
			errorBody(t, resp.Body)
		})
	}

	// The limit itself is accepted, plain and base64.
	for _, ev := range []events.APIGatewayV2HTTPRequest{event(max, false, nil), event(b64(max), true, nil)} {
		log, _ := newLog()
		rec := &recorder{resp: webhook.JSON(200, map[string]bool{"ok": true})}
		resp, _ := apigw.Adapt(rec, log)(context.Background(), ev)
		if resp.StatusCode != 200 || rec.calls != 1 || len(rec.req.Body) != webhook.MaxBody {
			t.Errorf("body of exactly MaxBody (base64 %v): status %d, calls %d, len %d", ev.IsBase64Encoded, resp.StatusCode, rec.calls, len(rec.req.Body))
		}
	}
}

func TestAdaptPanic(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    webhook.HandlerFunc
	}{
		{"panic with a string", func(context.Context, webhook.Request) webhook.Response { panic("boom") }},
		{"nil map write", func(context.Context, webhook.Request) webhook.Response {
			var m map[string]int
			m["x"] = 1
			return webhook.Response{}
		}},
		{"panic(nil)", func(context.Context, webhook.Request) webhook.Response { panic(nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, buf := newLog()
			h := apigw.Adapt(tc.h, log)
			var (
				resp events.APIGatewayV2HTTPResponse
				err  error
			)
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("panic escaped Adapt: %v", p)
					}
				}()
				resp, err = h(context.Background(), event(`{"a":1}`, false, nil))
			}()
			if err != nil {
				t.Fatalf("Adapt returned error %v", err)
			}
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", resp.StatusCode)
			}
			if resp.Headers["content-type"] != "application/json" {
				t.Errorf("content-type = %q", resp.Headers["content-type"])
			}
			errorBody(t, resp.Body)
			var sawPanic, sawRequest bool
			for _, l := range buf.lines(t) {
				if l["level"] == "ERROR" {
					sawPanic = true
				}
				if l["msg"] == "request" && l["status"] == float64(500) {
					sawRequest = true
				}
			}
			if !sawPanic || !sawRequest {
				t.Errorf("log = %s, want an ERROR line for the panic and a request line with status 500", buf.String())
			}
		})
	}
}

func TestAdaptLog(t *testing.T) {
	log, buf := newLog()
	rec := &recorder{resp: webhook.Fail(&webhook.Error{Status: 422, Message: "Zendesk refused the ticket"})}
	h := apigw.Adapt(rec, log)
	body := `{"ticket":{"comment":{"body":"` + secretBody + `"}}}`
	headers := map[string]string{
		"Authorization":               "Bearer " + secretToken,
		"X-Zendesk-Webhook-Signature": "sig-" + secretToken,
		"Content-Type":                "application/json",
	}
	if _, err := h(context.Background(), event(body, false, headers)); err != nil {
		t.Fatal(err)
	}
	if _, err := h(context.Background(), event(b64(body), true, headers)); err != nil {
		t.Fatal(err)
	}
	if _, err := h(context.Background(), event(body+strings.Repeat(" ", webhook.MaxBody), false, headers)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, secret := range []string{secretToken, secretBody, b64(body), "comment"} {
		if strings.Contains(out, secret) {
			t.Errorf("log carries %q:\n%s", secret, out)
		}
	}
	lines := buf.lines(t)
	if len(lines) != 3 {
		t.Fatalf("%d log lines for 3 requests, want 3:\n%s", len(lines), out)
	}
	for i, want := range []float64{422, 422, 413} {
		l := lines[i]
		if l["status"] != want {
			t.Errorf("line %d status = %v, want %v", i, l["status"], want)
		}
		if l["path"] != "/braze/tickets" {
			t.Errorf("line %d path = %v, want /braze/tickets", i, l["path"])
		}
		if l["method"] != "POST" || l["request_id"] != "req-123" {
			t.Errorf("line %d = %v, want method and request id", i, l)
		}
		if _, ok := l["duration_ms"].(float64); !ok {
			t.Errorf("line %d has no duration_ms: %v", i, l)
		}
	}
}

func FuzzRequest(f *testing.F) {
	f.Add(`{"ticket":{}}`, false, "Authorization", "Bearer x")
	f.Add(b64(`{"ticket":{}}`), true, "Content-Type", "application/json")
	f.Add("not base64", true, "X-A", "")
	f.Add("", true, "", "")
	f.Add("eyJhIjoxfQ", true, "k", "v")
	f.Add("eyJh\nIjoxfQ==", true, "K\u00c9Y", "v")
	f.Fuzz(func(t *testing.T, body string, isB64 bool, key, value string) {
		ev := event(body, isB64, map[string]string{key: value})
		req, ferr := apigw.Request(ev)
		if ferr != nil {
			if ferr.Status != http.StatusBadRequest && ferr.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("error status %d, want 400 or 413", ferr.Status)
			}
			if ferr.Message == "" {
				t.Fatalf("error without a message")
			}
			if !isB64 && ferr.Status == http.StatusBadRequest {
				t.Fatalf("plain body refused as bad base64")
			}
			if !isB64 && len(body) <= webhook.MaxBody {
				t.Fatalf("plain body of %d bytes refused: %d %s", len(body), ferr.Status, ferr.Message)
			}
			return
		}
		if len(req.Body) > webhook.MaxBody {
			t.Fatalf("accepted a body of %d bytes", len(req.Body))
		}
		if !isB64 && string(req.Body) != body {
			t.Fatalf("plain body changed: %q, want %q", req.Body, body)
		}
		if isB64 {
			want, err := base64.StdEncoding.DecodeString(body)
			if err != nil || !bytes.Equal(req.Body, want) {
				t.Fatalf("base64 body decoded to %q, want %q (%v)", req.Body, want, err)
			}
		}
		if got, ok := req.Header[strings.ToLower(key)]; !ok || got != value {
			t.Fatalf("header %q = %q, %v; want %q", strings.ToLower(key), got, ok, value)
		}
		if len(req.Header) != 1 {
			t.Fatalf("headers = %v, want one", req.Header)
		}

		// Through Adapt, nothing panics and the answer is JSON.
		log := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
		resp, err := apigw.Adapt(webhook.HandlerFunc(func(_ context.Context, r webhook.Request) webhook.Response {
			return webhook.JSON(200, map[string]int{"len": len(r.Body)})
		}), log)(context.Background(), ev)
		if err != nil || resp.StatusCode != 200 || !json.Valid([]byte(resp.Body)) {
			t.Fatalf("Adapt = %d %q %v", resp.StatusCode, resp.Body, err)
		}
	})
}
