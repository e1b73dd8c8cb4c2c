package httpjson_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/httpjson"
)

type seen struct {
	method string
	path   string
	header http.Header
	body   []byte
}

func TestPost(t *testing.T) {
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.Header.Clone(), b}
		w.Header().Set("Retry-After", "7")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error":"slow down"}`)
	}))
	defer srv.Close()

	h := http.Header{}
	h.Set("Authorization", "Bearer tok-123")
	h.Add("X-Custom", "one")
	h.Add("X-Custom", "two")
	h.Set("Content-Type", "text/plain") // Post sends JSON whatever the caller says
	body := []byte(`{"hello":"world"}`)

	resp, err := httpjson.Post(context.Background(), srv.Client(), srv.URL+"/api/v2/x", h, body)
	if err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.method != http.MethodPost || s.path != "/api/v2/x" {
		t.Errorf("request = %s %s, want POST /api/v2/x", s.method, s.path)
	}
	if !bytes.Equal(s.body, body) {
		t.Errorf("request body = %q, want %q", s.body, body)
	}
	for k, want := range map[string][]string{
		"Content-Type":  {"application/json"},
		"Accept":        {"application/json"},
		"Authorization": {"Bearer tok-123"},
		"X-Custom":      {"one", "two"},
	} {
		if v := s.header.Values(k); !reflect.DeepEqual(v, want) {
			t.Errorf("request header %s = %q, want %q", k, v, want)
		}
	}
	if h.Get("Content-Type") != "text/plain" {
		t.Errorf("Post changed the caller's header map: Content-Type = %q", h.Get("Content-Type"))
	}

	if resp.Status != http.StatusTooManyRequests {
		t.Errorf("Status = %d, want 429", resp.Status)
	}
	if resp.OK() {
		t.Error("OK() = true for 429")
	}
	if v := resp.Header.Get("Retry-After"); v != "7" {
		t.Errorf("Retry-After = %q, want 7", v)
	}
	if v := resp.Header.Values("X-Multi"); !reflect.DeepEqual(v, []string{"a", "b"}) {
		t.Errorf("X-Multi = %q", v)
	}
	if string(resp.Body) != `{"error":"slow down"}` {
		t.Errorf("Body = %q", resp.Body)
	}
}

func TestPostEmptyBodyAndOK(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	resp, err := httpjson.Post(context.Background(), srv.Client(), srv.URL, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusNoContent || !resp.OK() || len(resp.Body) != 0 {
		t.Errorf("resp = %d ok=%v body %q, want 204 ok=true empty", resp.Status, resp.OK(), resp.Body)
	}
}

func TestPostTruncatesLargeAnswer(t *testing.T) {
	for _, size := range []int{httpjson.MaxAnswer - 1, httpjson.MaxAnswer, httpjson.MaxAnswer + 1, httpjson.MaxAnswer + 4096} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(bytes.Repeat([]byte("x"), size))
		}))
		resp, err := httpjson.Post(context.Background(), srv.Client(), srv.URL, nil, []byte(`{}`))
		srv.Close()
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		want := min(size, httpjson.MaxAnswer)
		if len(resp.Body) != want {
			t.Errorf("answer of %d bytes: read %d, want %d", size, len(resp.Body), want)
		}
		if resp.Status != http.StatusOK {
			t.Errorf("size %d: status %d", size, resp.Status)
		}
	}
}

func TestPostContextCancel(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // so the server notices the client going away
		close(entered)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := httpjson.Post(ctx, srv.Client(), srv.URL, nil, []byte(`{}`))
		done <- err
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the server")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Post after cancel: err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Post did not return after its context was cancelled")
	}
}

func TestPostAlreadyCancelled(t *testing.T) {
	var called atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called.Store(true) }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp, err := httpjson.Post(ctx, srv.Client(), srv.URL, nil, []byte(`{}`))
	if err == nil || resp != nil {
		t.Fatalf("Post with a cancelled context = %v, %v; want nil, error", resp, err)
	}
	if called.Load() {
		t.Error("the server was called with a cancelled context")
	}
}

func TestPostBadURL(t *testing.T) {
	if _, err := httpjson.Post(context.Background(), http.DefaultClient, "://nope", nil, nil); err == nil {
		t.Error("Post to an invalid URL: no error")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	date := func(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"absent", http.Header{}, 0},
		{"nil header", nil, 0},
		{"empty", http.Header{"Retry-After": {""}}, 0},
		{"seconds", http.Header{"Retry-After": {"120"}}, 120 * time.Second},
		{"one second", http.Header{"Retry-After": {"1"}}, time.Second},
		{"zero", http.Header{"Retry-After": {"0"}}, 0},
		{"negative", http.Header{"Retry-After": {"-5"}}, 0},
		{"fraction", http.Header{"Retry-After": {"1.5"}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"date in the future", http.Header{"Retry-After": {date(now.Add(90 * time.Second))}}, 90 * time.Second},
		{"RFC 850 date", http.Header{"Retry-After": {now.Add(30 * time.Second).Format(time.RFC850)}}, 30 * time.Second},
		{"ANSI C date", http.Header{"Retry-After": {now.Add(45 * time.Second).Format(time.ANSIC)}}, 45 * time.Second},
		{"date now", http.Header{"Retry-After": {date(now)}}, 0},
		{"date in the past", http.Header{"Retry-After": {date(now.Add(-time.Hour))}}, 0},
		{"lower-case key set via Set", func() http.Header { h := http.Header{}; h.Set("retry-after", "3"); return h }(), 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpjson.RetryAfter(tt.header, now); got != tt.want {
				t.Errorf("RetryAfter(%q) = %v, want %v", tt.header.Get("Retry-After"), got, tt.want)
			}
		})
	}
}

// A date with sub-second "now" still comes out close to the expected wait.
func TestRetryAfterDateClose(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 400_000_000, time.UTC)
	at := time.Date(2026, 3, 14, 15, 11, 0, 0, time.UTC)
	h := http.Header{"Retry-After": {at.Format(http.TimeFormat)}}
	got := httpjson.RetryAfter(h, now)
	want := at.Sub(now)
	if d := got - want; got <= 0 || d > time.Second || d < -time.Second {
		t.Errorf("RetryAfter = %v, want about %v", got, want)
	}
}

// "0 means not said": a delay-seconds value too large for a time.Duration
// must not wrap around into a negative (or arbitrary) duration.
func TestRetryAfterHugeSecondsDoNotWrap(t *testing.T) {
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	for _, v := range []string{"10000000000", "9223372036854775807"} {
		got := httpjson.RetryAfter(http.Header{"Retry-After": {v}}, now)
		if got < 0 {
			t.Errorf("RetryAfter(%q) = %v, a negative duration (int64 overflow of seconds*1e9)", v, got)
		}
	}
}

func TestOK(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   bool
	}{
		{0, false}, {100, false}, {199, false}, {200, true}, {201, true}, {204, true},
		{299, true}, {300, false}, {304, false}, {404, false}, {500, false},
	} {
		r := &httpjson.Response{Status: tt.status}
		if got := r.OK(); got != tt.want {
			t.Errorf("Response{Status: %d}.OK() = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestPostNonJSONAnswerIsReturnedAsIs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html>bad gateway</html>")
	}))
	defer srv.Close()
	resp, err := httpjson.Post(context.Background(), srv.Client(), srv.URL, nil, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusBadGateway || !strings.Contains(string(resp.Body), "bad gateway") ||
		resp.Header.Get("Content-Type") != "text/html" {
		t.Errorf("resp = %d %q %q", resp.Status, resp.Header.Get("Content-Type"), resp.Body)
	}
}
