package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"

	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/webhook"
)

func decodeBody(t *testing.T, r webhook.Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.Body, err)
	}
	return m
}

func TestFail(t *testing.T) {
	tests := []struct {
		name       string
		err        *webhook.Error
		wantStatus int
		wantBody   map[string]any
		wantRetry  string // "" means no retry-after header
	}{
		{
			name:       "message only",
			err:        webhook.Errorf(http.StatusBadRequest, "the body is not JSON"),
			wantStatus: 400,
			wantBody:   map[string]any{"error": "the body is not JSON"},
		},
		{
			name:       "field",
			err:        &webhook.Error{Status: 400, Message: "unknown status", Field: "ticket.status"},
			wantStatus: 400,
			wantBody:   map[string]any{"error": "unknown status", "field": "ticket.status"},
		},
		{
			name:       "retry after",
			err:        &webhook.Error{Status: 429, Message: "rate limited", RetryAfter: 30},
			wantStatus: 429,
			wantBody:   map[string]any{"error": "rate limited", "retry_after": float64(30)},
			wantRetry:  "30",
		},
		{
			name:       "all fields",
			err:        &webhook.Error{Status: 503, Message: "busy", Field: "f", RetryAfter: 7, Details: map[string]any{"k": "v"}},
			wantStatus: 503,
			wantBody:   map[string]any{"error": "busy", "field": "f", "retry_after": float64(7), "details": map[string]any{"k": "v"}},
			wantRetry:  "7",
		},
		{
			name:       "zero retry after is not sent",
			err:        &webhook.Error{Status: 502, Message: "bad gateway", RetryAfter: 0},
			wantStatus: 502,
			wantBody:   map[string]any{"error": "bad gateway"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := webhook.Fail(tt.err)
			if r.Status != tt.wantStatus {
				t.Errorf("Status = %d, want %d", r.Status, tt.wantStatus)
			}
			if ct := r.Header["content-type"]; ct != "application/json" {
				t.Errorf("content-type = %q, want application/json", ct)
			}
			ra, has := r.Header["retry-after"]
			if tt.wantRetry == "" && has {
				t.Errorf("retry-after = %q, want none", ra)
			}
			if tt.wantRetry != "" && ra != tt.wantRetry {
				t.Errorf("retry-after = %q, want %q", ra, tt.wantRetry)
			}
			if got := decodeBody(t, r); !reflect.DeepEqual(got, tt.wantBody) {
				t.Errorf("body = %v, want %v", got, tt.wantBody)
			}
			if bytes.Contains(r.Body, []byte(`"Status"`)) || bytes.Contains(r.Body, []byte(`"status"`)) {
				t.Errorf("body %s carries the status field", r.Body)
			}
		})
	}
}

func TestErrorf(t *testing.T) {
	e := webhook.Errorf(http.StatusUnauthorized, "missing bearer token")
	if e.Status != 401 || e.Message != "missing bearer token" || e.Field != "" || e.RetryAfter != 0 || e.Details != nil {
		t.Fatalf("Errorf = %+v", e)
	}
	var err error = e
	if err.Error() != "missing bearer token" {
		t.Fatalf("Error() = %q", err.Error())
	}
	var we *webhook.Error
	if !errors.As(err, &we) || we != e {
		t.Fatal("errors.As *webhook.Error failed")
	}
}

func TestJSON(t *testing.T) {
	r := webhook.JSON(http.StatusCreated, map[string]any{"ticket_id": 42, "url": "https://acme.zendesk.com/agent/tickets/42"})
	if r.Status != 201 || r.Header["content-type"] != "application/json" {
		t.Fatalf("JSON = %d %v", r.Status, r.Header)
	}
	if string(r.Body) != `{"ticket_id":42,"url":"https://acme.zendesk.com/agent/tickets/42"}` {
		t.Fatalf("body = %s", r.Body)
	}

	// A value that cannot be encoded is a 500 with a JSON error.
	r = webhook.JSON(http.StatusOK, map[string]any{"c": make(chan int)})
	if r.Status != http.StatusInternalServerError || r.Header["content-type"] != "application/json" {
		t.Fatalf("unencodable: %d %v", r.Status, r.Header)
	}
	if m := decodeBody(t, r); m["error"] == nil || m["error"] == "" {
		t.Fatalf("unencodable: body %s has no error", r.Body)
	}

	// Each response has its own header map.
	a, b := webhook.JSON(200, 1), webhook.JSON(200, 2)
	a.Header["x"] = "y"
	if _, ok := b.Header["x"]; ok {
		t.Fatal("responses share a header map")
	}
}

func TestHandlerFunc(t *testing.T) {
	var got webhook.Request
	h := webhook.HandlerFunc(func(_ context.Context, req webhook.Request) webhook.Response {
		got = req
		return webhook.JSON(200, map[string]string{"ok": "yes"})
	})
	var _ webhook.Handler = h
	req := webhook.Request{Header: map[string]string{"a": "b"}, Body: []byte("x")}
	r := h.ServeWebhook(context.Background(), req)
	if r.Status != 200 || string(r.Body) != `{"ok":"yes"}` || !reflect.DeepEqual(got, req) {
		t.Fatalf("ServeWebhook = %+v, handler saw %+v", r, got)
	}
}

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

func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
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

func TestMisconfigFail(t *testing.T) {
	var buf syncBuffer
	m := &webhook.Misconfig{Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	ctx := context.Background()
	errA := errors.New("the secret has no braze_webhook_token")
	errB := errors.New("SECRET_ID is not set")

	check := func(r webhook.Response, err error) {
		t.Helper()
		if r.Status != http.StatusInternalServerError {
			t.Errorf("Status = %d, want 500", r.Status)
		}
		if r.Header["content-type"] != "application/json" {
			t.Errorf("content-type = %q", r.Header["content-type"])
		}
		msg, _ := decodeBody(t, r)["error"].(string)
		if !strings.Contains(msg, err.Error()) || !strings.Contains(msg, "misconfigured") {
			t.Errorf("error = %q, want it to say misconfigured and name %q", msg, err)
		}
	}

	check(m.Fail(ctx, errA), errA)
	if n := len(buf.lines(t)); n != 1 {
		t.Fatalf("after the first failure: %d log lines, want 1", n)
	}
	check(m.Fail(ctx, errA), errA)
	// An equal message from another error value is the same problem.
	check(m.Fail(ctx, errors.New(errA.Error())), errA)
	if n := len(buf.lines(t)); n != 1 {
		t.Fatalf("after repeating the same error: %d log lines, want 1", n)
	}
	check(m.Fail(ctx, errB), errB)
	check(m.Fail(ctx, errB), errB)
	lines := buf.lines(t)
	if len(lines) != 2 {
		t.Fatalf("after a second distinct error: %d log lines, want 2", len(lines))
	}
	for i, want := range []error{errA, errB} {
		l := lines[i]
		if l["level"] != "ERROR" || l["error"] != want.Error() || l["msg"] == "" {
			t.Errorf("log line %d = %v, want level ERROR and error %q", i, l, want)
		}
	}
}

func TestMisconfigFailConcurrent(t *testing.T) {
	var buf syncBuffer
	m := &webhook.Misconfig{Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := errors.New("missing A")
			if i%2 == 1 {
				err = errors.New("missing B")
			}
			m.Fail(context.Background(), err)
		}()
	}
	wg.Wait()
	if n := len(buf.lines(t)); n != 2 {
		t.Fatalf("%d log lines for 2 distinct errors under concurrency, want 2", n)
	}
}

func TestMisconfigFailConcurrentMixed(t *testing.T) {
	var buf syncBuffer
	now := clocktest.New()
	m := &webhook.Misconfig{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Now: now.Now}
	unavailable := &secrets.UnavailableError{Secret: "bridge/x", Fault: secrets.FaultTimeout, Err: errors.New("context deadline exceeded")}
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error = unavailable
			want := http.StatusServiceUnavailable
			if i%2 == 0 {
				err, want = fmt.Errorf("missing key_%d", i), http.StatusInternalServerError
			}
			if r := m.Fail(context.Background(), err); r.Status != want {
				t.Errorf("Fail(%v) = %d, want %d", err, r.Status, want)
			}
			_ = m.Remembered()
		}()
	}
	wg.Wait()
	var warn, errs int
	for _, l := range buf.lines(t) {
		switch l["level"] {
		case "WARN":
			warn++
		case "ERROR":
			errs++
		}
	}
	// 200 distinct misconfigurations: 64 remembered and one more, and one
	// passing fault for 200 of them, all within one instant.
	if warn != 1 || errs != 65 || m.Remembered() > 64 {
		t.Fatalf("%d WARN and %d ERROR lines, %d remembered; want 1, 65 and at most 64", warn, errs, m.Remembered())
	}
}

func TestMisconfigUnavailable(t *testing.T) {
	var buf syncBuffer
	now := clocktest.New()
	m := &webhook.Misconfig{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Now: now.Now}
	ctx := context.Background()
	sdk := errors.New("operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, " +
		"RequestID: 5c1d0e7a-1111-2222-3333-444455556666, api error ThrottlingException: Rate exceeded")
	ue := &secrets.UnavailableError{Secret: "bridge/x", Fault: secrets.FaultThrottled, Err: sdk}

	for _, err := range []error{ue, fmt.Errorf("reading the secret: %w", ue), &secrets.ConfigError{Err: ue}} {
		r := m.Fail(ctx, err)
		if r.Status != http.StatusServiceUnavailable || r.Header["retry-after"] != "5" {
			t.Errorf("Fail(%v) = %d, Retry-After %q; want 503 with Retry-After 5", err, r.Status, r.Header["retry-after"])
		}
		body := decodeBody(t, r)
		if body["error"] != ue.Error() || body["retry_after"] != float64(5) {
			t.Errorf("answer %s, want error %q and retry_after 5", r.Body, ue.Error())
		}
		for _, bad := range []string{"RequestID", "api error", "operation error", "Rate exceeded", "misconfigured", "reading the secret"} {
			if strings.Contains(string(r.Body), bad) {
				t.Errorf("answer %s carries %q", r.Body, bad)
			}
		}
	}

	lines := buf.lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d log lines for 3 passing faults at once, want 1", len(lines))
	}
	if l := lines[0]; l["level"] != "WARN" || l["error"] != ue.Error() || l["cause"] != sdk.Error() {
		t.Errorf("log line %v, want WARN with the message and the SDK's error as cause", l)
	}
	now.Add(9 * time.Second)
	m.Fail(ctx, ue)
	if n := len(buf.lines(t)); n != 1 {
		t.Fatalf("a passing fault 9 s later was logged: %d lines", n)
	}
	now.Add(time.Second)
	m.Fail(ctx, ue)
	m.Fail(ctx, ue)
	if n := len(buf.lines(t)); n != 2 {
		t.Fatalf("passing faults 10 s after the first logged: %d lines, want 2", n)
	}

	// A misconfiguration is still a 500, logged at ERROR with its cause,
	// which the answer never carries.
	cfg := &secrets.ConfigError{Err: fmt.Errorf("the function's role may not read secret bridge/x%w", causeOnly{sdk})}
	r := m.Fail(ctx, cfg)
	if r.Status != http.StatusInternalServerError || r.Header["retry-after"] != "" {
		t.Errorf("misconfiguration answered %d (Retry-After %q), want 500", r.Status, r.Header["retry-after"])
	}
	lines = buf.lines(t)
	if l := lines[len(lines)-1]; l["level"] != "ERROR" || l["cause"] != sdk.Error() {
		t.Errorf("log line %v, want ERROR with the cause", l)
	}
}

// causeOnly wraps an error without adding its text to the message.
type causeOnly struct{ err error }

func (c causeOnly) Error() string { return "" }
func (c causeOnly) Unwrap() error { return c.err }

func TestMisconfigBoundedMemory(t *testing.T) {
	var buf syncBuffer
	now := clocktest.New()
	m := &webhook.Misconfig{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Now: now.Now}
	ctx := context.Background()
	msg := func(i int) error { return fmt.Errorf("secret bridge/x: key %q must be a string", fmt.Sprint("k", i)) }

	for i := range 1000 {
		r := m.Fail(ctx, msg(i))
		if r.Status != http.StatusInternalServerError || decodeBody(t, r)["error"] != "the function is misconfigured: "+msg(i).Error() {
			t.Fatalf("Fail(%v) = %d %s, want a 500 naming it", msg(i), r.Status, r.Body)
		}
		if n := m.Remembered(); n > 64 {
			t.Fatalf("after %d distinct messages, %d remembered; want at most 64", i+1, n)
		}
	}
	lines := buf.lines(t)
	if len(lines) != 65 {
		t.Fatalf("1000 distinct messages at once: %d log lines, want 64 remembered and 1 more", len(lines))
	}
	for i, l := range lines[:64] {
		if l["error"] != msg(i).Error() {
			t.Fatalf("log line %d = %v, want %q", i, l, msg(i))
		}
	}

	// Remembered messages are never logged again; the others at most once
	// per 10 s between them.
	now.Add(time.Hour)
	for i := range 1000 {
		m.Fail(ctx, msg(i))
	}
	if n := len(buf.lines(t)) - 65; n != 1 {
		t.Fatalf("1000 messages an hour later: %d new log lines, want 1", n)
	}
	if l := buf.lines(t)[65]; l["error"] != msg(64).Error() {
		t.Fatalf("new log line %v, want the first message not remembered, %q", l, msg(64))
	}
	now.Add(10 * time.Second)
	m.Fail(ctx, msg(0))
	m.Fail(ctx, msg(999))
	m.Fail(ctx, msg(998))
	if n := len(buf.lines(t)) - 66; n != 1 || m.Remembered() != 64 {
		t.Fatalf("10 s later: %d new log lines, %d remembered; want 1 and 64", n, m.Remembered())
	}
}

func TestMisconfigNilLog(t *testing.T) {
	m := &webhook.Misconfig{}
	r := m.Fail(context.Background(), errors.New("x is missing"))
	if r.Status != 500 {
		t.Fatalf("Status = %d", r.Status)
	}
}

func TestMisconfigUnconfigured(t *testing.T) {
	var buf syncBuffer
	m := &webhook.Misconfig{Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	h := m.Unconfigured(errors.New("ZENDESK_SUBDOMAIN is not set"))
	for range 3 {
		r := h.ServeWebhook(context.Background(), webhook.Request{Header: map[string]string{"authorization": "Bearer hunter2"}, Body: []byte(`{"secret":"hunter2"}`)})
		if r.Status != 500 {
			t.Fatalf("Status = %d, want 500", r.Status)
		}
		msg, _ := decodeBody(t, r)["error"].(string)
		if !strings.Contains(msg, "ZENDESK_SUBDOMAIN is not set") {
			t.Fatalf("error = %q", msg)
		}
	}
	if n := len(buf.lines(t)); n != 1 {
		t.Fatalf("%d log lines, want 1", n)
	}
	if strings.Contains(buf.buf.String(), "hunter2") {
		t.Fatalf("log carries request data: %s", buf.buf.String())
	}
}

func TestMaxBody(t *testing.T) {
	if webhook.MaxBody != 256*1024 {
		t.Fatalf("MaxBody = %d, want 256 KiB", webhook.MaxBody)
	}
}
