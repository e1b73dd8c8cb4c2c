package apigw_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
)

func TestEventShape(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)
	body := `{"ticket":{"id":42}}`
	r := httptest.NewRequest(http.MethodPost, "http://api.example.com/zendesk/events?b=2&a=1&a=3", strings.NewReader(body))
	r.RemoteAddr = "203.0.113.9:54321"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "curl/8.5.0")
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	r.Header["x-already-lower"] = []string{"v"}
	r.Header.Set("X-Zendesk-Webhook-Signature", "c2ln")
	r.Header.Add("Cookie", "session=abc; theme=dark")
	r.Header.Add("Cookie", "lang=en")

	ev := apigw.Event(r, "POST /zendesk/events", []byte(body), now)

	wantHeaders := map[string]string{
		"content-type":                "application/json",
		"user-agent":                  "curl/8.5.0",
		"x-multi":                     "one,two",
		"x-already-lower":             "v",
		"x-zendesk-webhook-signature": "c2ln",
		"host":                        "api.example.com",
	}
	if !reflect.DeepEqual(ev.Headers, wantHeaders) {
		t.Errorf("Headers = %#v\nwant %#v", ev.Headers, wantHeaders)
	}
	for k := range ev.Headers {
		if k != strings.ToLower(k) {
			t.Errorf("header name %q is not lower-case", k)
		}
	}
	if want := []string{"session=abc", "theme=dark", "lang=en"}; !reflect.DeepEqual(ev.Cookies, want) {
		t.Errorf("Cookies = %q, want %q", ev.Cookies, want)
	}
	if want := map[string]string{"a": "1,3", "b": "2"}; !reflect.DeepEqual(ev.QueryStringParameters, want) {
		t.Errorf("QueryStringParameters = %v, want %v", ev.QueryStringParameters, want)
	}
	checks := []struct {
		field string
		got   any
		want  any
	}{
		{"Version", ev.Version, "2.0"},
		{"RouteKey", ev.RouteKey, "POST /zendesk/events"},
		{"RawPath", ev.RawPath, "/zendesk/events"},
		{"RawQueryString", ev.RawQueryString, "b=2&a=1&a=3"},
		{"Body", ev.Body, body},
		{"IsBase64Encoded", ev.IsBase64Encoded, false},
		{"RequestContext.RouteKey", ev.RequestContext.RouteKey, "POST /zendesk/events"},
		{"RequestContext.Stage", ev.RequestContext.Stage, "$default"},
		{"RequestContext.DomainName", ev.RequestContext.DomainName, "api.example.com"},
		{"RequestContext.DomainPrefix", ev.RequestContext.DomainPrefix, "api"},
		{"RequestContext.TimeEpoch", ev.RequestContext.TimeEpoch, now.UnixMilli()},
		{"RequestContext.Time", ev.RequestContext.Time, "02/Jan/2026:03:04:05 +0000"},
		{"RequestContext.HTTP.Method", ev.RequestContext.HTTP.Method, http.MethodPost},
		{"RequestContext.HTTP.Path", ev.RequestContext.HTTP.Path, "/zendesk/events"},
		{"RequestContext.HTTP.Protocol", ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{"RequestContext.HTTP.SourceIP", ev.RequestContext.HTTP.SourceIP, "203.0.113.9"},
		{"RequestContext.HTTP.UserAgent", ev.RequestContext.HTTP.UserAgent, "curl/8.5.0"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(ev.RequestContext.RequestID) {
		t.Errorf("RequestID = %q, want 16 hex digits", ev.RequestContext.RequestID)
	}
	if other := apigw.Event(r, "POST /zendesk/events", []byte(body), now); other.RequestContext.RequestID == ev.RequestContext.RequestID {
		t.Errorf("two events share the RequestID %q", ev.RequestContext.RequestID)
	}
}

func TestEventNoQueryNoCookies(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "http://localhost:8080/braze/tickets", nil)
	r.RemoteAddr = "[2001:db8::1]:443"
	now := time.Unix(1_700_000_000, 0)
	ev := apigw.Event(r, "GET /braze/tickets", nil, now)
	if ev.QueryStringParameters != nil {
		t.Errorf("QueryStringParameters = %#v, want nil", ev.QueryStringParameters)
	}
	if ev.Cookies != nil {
		t.Errorf("Cookies = %#v, want nil", ev.Cookies)
	}
	if ev.RawQueryString != "" {
		t.Errorf("RawQueryString = %q", ev.RawQueryString)
	}
	if ev.Headers["host"] != "localhost:8080" {
		t.Errorf("host header = %q, want localhost:8080", ev.Headers["host"])
	}
	if _, ok := ev.Headers["cookie"]; ok {
		t.Error("a cookie header is present")
	}
	if ev.RequestContext.HTTP.SourceIP != "2001:db8::1" {
		t.Errorf("SourceIP = %q, want 2001:db8::1", ev.RequestContext.HTTP.SourceIP)
	}
	if ev.RequestContext.TimeEpoch != 1_700_000_000_000 {
		t.Errorf("TimeEpoch = %d", ev.RequestContext.TimeEpoch)
	}
	if ev.RequestContext.HTTP.Method != http.MethodGet || ev.RouteKey != "GET /braze/tickets" {
		t.Errorf("method %q route %q", ev.RequestContext.HTTP.Method, ev.RouteKey)
	}
}

func TestEventBodyEncoding(t *testing.T) {
	text := []byte(`{"name":"Zoë","n":1}`)
	binary := []byte{0x89, 'P', 'N', 'G', 0x00, 0xff, 0xfe, '\n'}
	tests := []struct {
		contentType string // "" leaves the header out
		body        []byte
		wantText    bool
	}{
		{"application/json", text, true},
		{"application/json; charset=utf-8", text, true},
		{"Application/JSON", text, true},
		{"text/plain", []byte("hello\nworld"), true},
		{"text/csv; charset=utf-8", []byte("a,b\n1,2"), true},
		{"application/x-www-form-urlencoded", []byte("a=1&b=two"), true},
		{"application/vnd.api+json", text, true},
		{"application/xml", []byte("<a/>"), true},
		{"application/octet-stream", binary, false},
		{"image/png", binary, false},
		{"multipart/form-data; boundary=x", []byte("--x--"), false},
		{"", text, false},
		{"not a media type;;", text, false},
	}
	for _, tt := range tests {
		name := tt.contentType
		if name == "" {
			name = "missing"
		}
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://h.example/p", bytes.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			ev := apigw.Event(r, "POST /p", tt.body, time.Now())
			if tt.wantText {
				if ev.IsBase64Encoded || ev.Body != string(tt.body) {
					t.Errorf("Body = %q base64=%v, want text %q", ev.Body, ev.IsBase64Encoded, tt.body)
				}
				return
			}
			if !ev.IsBase64Encoded {
				t.Fatalf("IsBase64Encoded = false (Body %q), want true", ev.Body)
			}
			got, err := base64.StdEncoding.DecodeString(ev.Body)
			if err != nil {
				t.Fatalf("Body %q is not standard base64: %v", ev.Body, err)
			}
			if !bytes.Equal(got, tt.body) {
				t.Errorf("decoded Body = %q, want %q", got, tt.body)
			}
		})
	}
}

// fakeRoute records the events it is given and answers with resp or err.
type fakeRoute struct {
	mu     sync.Mutex
	events []events.APIGatewayV2HTTPRequest
	resp   events.APIGatewayV2HTTPResponse
	err    error
}

func (f *fakeRoute) handle(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev)
	return f.resp, f.err
}

func (f *fakeRoute) calls() []events.APIGatewayV2HTTPRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]events.APIGatewayV2HTTPRequest(nil), f.events...)
}

func okRoute() *fakeRoute {
	return &fakeRoute{resp: events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK,
		Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"ok":true}`}}
}

func serveLocal(l *apigw.Local, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	l.ServeHTTP(w, r)
	return w
}

func wantJSON(t *testing.T, w *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status = %d, want %d", w.Code, status)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if got := w.Body.String(); got != body {
		t.Errorf("body = %q, want %q", got, body)
	}
}

func TestLocalRouting(t *testing.T) {
	zd, bz := okRoute(), okRoute()
	l := &apigw.Local{Routes: map[string]apigw.Handler{
		"POST /zendesk/events": zd.handle,
		"POST /braze/tickets":  bz.handle,
	}}
	for _, tt := range []struct {
		method, target string
	}{
		{http.MethodGet, "/nope"},
		{http.MethodPost, "/nope"},
		{http.MethodGet, "/zendesk/events"},
		{http.MethodPut, "/braze/tickets"},
		{http.MethodPost, "/zendesk/events/"},
		{http.MethodPost, "/Zendesk/events"},
		{http.MethodPost, "/"},
	} {
		w := serveLocal(l, httptest.NewRequest(tt.method, tt.target, strings.NewReader(`{}`)))
		t.Run(tt.method+" "+tt.target, func(t *testing.T) { wantJSON(t, w, http.StatusNotFound, `{"message":"Not Found"}`) })
	}
	if n := len(zd.calls()) + len(bz.calls()); n != 0 {
		t.Fatalf("a handler was called %d times for unknown routes", n)
	}

	w := serveLocal(l, httptest.NewRequest(http.MethodPost, "/braze/tickets?x=1", strings.NewReader(`{}`)))
	if w.Code != http.StatusOK {
		t.Fatalf("POST /braze/tickets?x=1: status %d", w.Code)
	}
	if len(bz.calls()) != 1 || len(zd.calls()) != 0 {
		t.Fatalf("calls: braze %d zendesk %d, want 1 and 0", len(bz.calls()), len(zd.calls()))
	}
	if rk := bz.calls()[0].RouteKey; rk != "POST /braze/tickets" {
		t.Errorf("RouteKey = %q", rk)
	}
}

func TestLocalPassesRequestAndResponse(t *testing.T) {
	f := &fakeRoute{resp: events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusAccepted,
		Headers:    map[string]string{"Content-Type": "application/json", "X-Request-Id": "req-1", "retry-after": "5"},
		Body:       `{"status":"queued"}`,
	}}
	l := &apigw.Local{Routes: map[string]apigw.Handler{"POST /zendesk/events": f.handle}}
	r := httptest.NewRequest(http.MethodPost, "http://api.local/zendesk/events?dry=1", strings.NewReader(`{"id":7}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Zendesk-Webhook-Signature", "abc")
	w := serveLocal(l, r)

	if w.Code != http.StatusAccepted {
		t.Errorf("status = %d, want 202", w.Code)
	}
	if got := w.Body.String(); got != `{"status":"queued"}` {
		t.Errorf("body = %q", got)
	}
	for k, want := range map[string]string{"Content-Type": "application/json", "X-Request-Id": "req-1", "Retry-After": "5"} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	calls := f.calls()
	if len(calls) != 1 {
		t.Fatalf("handler called %d times", len(calls))
	}
	ev := calls[0]
	if ev.Body != `{"id":7}` || ev.IsBase64Encoded {
		t.Errorf("event body = %q base64=%v", ev.Body, ev.IsBase64Encoded)
	}
	if ev.Headers["x-zendesk-webhook-signature"] != "abc" || ev.Headers["host"] != "api.local" {
		t.Errorf("event headers = %v", ev.Headers)
	}
	if ev.RawQueryString != "dry=1" || ev.RequestContext.HTTP.Method != http.MethodPost {
		t.Errorf("event query %q method %q", ev.RawQueryString, ev.RequestContext.HTTP.Method)
	}
	if ms := time.Now().UnixMilli() - ev.RequestContext.TimeEpoch; ms < 0 || ms > 60_000 {
		t.Errorf("event TimeEpoch %d is not about now", ev.RequestContext.TimeEpoch)
	}
}

func TestLocalResponseBodies(t *testing.T) {
	binary := []byte{0x00, 0x01, 0xfe, 0xff, 'o', 'k'}
	tests := []struct {
		name       string
		resp       events.APIGatewayV2HTTPResponse
		err        error
		wantStatus int
		wantBody   []byte
		wantJSON   bool
	}{
		{"plain", events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "hello"}, nil, 200, []byte("hello"), false},
		{"empty", events.APIGatewayV2HTTPResponse{StatusCode: 204}, nil, 204, nil, false},
		{"base64", events.APIGatewayV2HTTPResponse{StatusCode: 200, IsBase64Encoded: true,
			Headers: map[string]string{"Content-Type": "application/octet-stream"},
			Body:    base64.StdEncoding.EncodeToString(binary)}, nil, 200, binary, false},
		{"base64 text", events.APIGatewayV2HTTPResponse{StatusCode: 400, IsBase64Encoded: true,
			Body: base64.StdEncoding.EncodeToString([]byte(`{"error":"bad"}`))}, nil, 400, []byte(`{"error":"bad"}`), false},
		{"not base64 though marked so", events.APIGatewayV2HTTPResponse{StatusCode: 200, IsBase64Encoded: true, Body: "%%%not base64"},
			nil, 500, []byte(`{"message":"Internal Server Error"}`), true},
		{"handler error", events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "ignored"}, errors.New("boom: secret detail"),
			500, []byte(`{"message":"Internal Server Error"}`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeRoute{resp: tt.resp, err: tt.err}
			l := &apigw.Local{Routes: map[string]apigw.Handler{"POST /x": f.handle}}
			w := serveLocal(l, httptest.NewRequest(http.MethodPost, "/x", strings.NewReader("{}")))
			if tt.wantJSON {
				wantJSON(t, w, tt.wantStatus, string(tt.wantBody))
			} else {
				if w.Code != tt.wantStatus {
					t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
				}
				if !bytes.Equal(w.Body.Bytes(), tt.wantBody) {
					t.Errorf("body = %q, want %q", w.Body.Bytes(), tt.wantBody)
				}
			}
			if strings.Contains(w.Body.String(), "secret detail") {
				t.Error("the handler's error text reached the client")
			}
			if len(f.calls()) != 1 {
				t.Errorf("handler called %d times", len(f.calls()))
			}
		})
	}
}

func TestLocalPayloadLimit(t *testing.T) {
	f := okRoute()
	l := &apigw.Local{Routes: map[string]apigw.Handler{"POST /x": f.handle}}

	r := httptest.NewRequest(http.MethodPost, "/x", bytes.NewReader(bytes.Repeat([]byte("a"), apigw.MaxLocalPayload+1)))
	r.Header.Set("Content-Type", "text/plain")
	wantJSON(t, serveLocal(l, r), http.StatusRequestEntityTooLarge, `{"message":"Request Entity Too Large"}`)
	if n := len(f.calls()); n != 0 {
		t.Fatalf("handler called %d times for an oversized body", n)
	}

	// Exactly the limit is still taken.
	r = httptest.NewRequest(http.MethodPost, "/x", bytes.NewReader(bytes.Repeat([]byte("a"), apigw.MaxLocalPayload)))
	r.Header.Set("Content-Type", "text/plain")
	if w := serveLocal(l, r); w.Code != http.StatusOK {
		t.Fatalf("body of exactly MaxLocalPayload: status %d, want 200", w.Code)
	}
	calls := f.calls()
	if len(calls) != 1 || len(calls[0].Body) != apigw.MaxLocalPayload {
		t.Fatalf("handler calls %d; want one with the whole %d-byte body", len(calls), apigw.MaxLocalPayload)
	}
}

func TestLocalUnreadableBody(t *testing.T) {
	f := okRoute()
	l := &apigw.Local{Routes: map[string]apigw.Handler{"POST /x": f.handle}}
	r := httptest.NewRequest(http.MethodPost, "/x", iotest.ErrReader(errors.New("connection reset")))
	w := serveLocal(l, r)
	if w.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", w.Code)
	}
	if len(f.calls()) != 0 {
		t.Error("handler called with an unreadable body")
	}
}

func startServe(t *testing.T, l *apigw.Local) (base string, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch := make(chan error, 1)
	go func() { ch <- l.Serve(ctx, ln) }()
	return "http://" + ln.Addr().String(), cancel, ch
}

func waitDone(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after its context ended, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func TestServe(t *testing.T) {
	f := okRoute()
	base, cancel, done := startServe(t, &apigw.Local{Routes: map[string]apigw.Handler{"POST /zendesk/events": f.handle}})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	resp, err := hc.Post(base+"/zendesk/events", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != `{"ok":true}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("answer = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	calls := f.calls()
	if len(calls) != 1 || calls[0].Body != `{"a":1}` || calls[0].RequestContext.HTTP.SourceIP != "127.0.0.1" {
		t.Errorf("handler saw %d calls: %+v", len(calls), calls)
	}

	resp, err = hc.Get(base + "/unknown")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /unknown: %d, want 404", resp.StatusCode)
	}

	cancel()
	waitDone(t, done)

	if _, err := hc.Get(base + "/unknown"); err == nil {
		t.Error("the server still answers after Serve returned")
	}
}

// Serve promises a graceful shutdown: when ctx ends, a request already being
// handled finishes before Serve returns.
func TestServeWaitsForInFlightRequest(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	slow := func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		close(entered)
		<-release
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: "finished"}, nil
	}
	base, cancel, done := startServe(t, &apigw.Local{Routes: map[string]apigw.Handler{"POST /slow": slow}})

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Post(base+"/slow", "text/plain", strings.NewReader("x"))
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, string(b), err}
	}()
	select {
	case <-entered:
	case <-time.After(15 * time.Second):
		t.Fatal("the request never reached the handler")
	}

	cancel()
	// The handler is blocked until release is closed, so Serve returning now
	// means it stopped with a request still in flight.
	returnedEarly := false
	select {
	case err := <-done:
		returnedEarly = true
		t.Errorf("Serve returned (%v) while a request was still being handled; it should wait for it (graceful shutdown)", err)
	case <-time.After(500 * time.Millisecond):
	}

	unblock()
	select {
	case a := <-answered:
		if a.err != nil || a.status != http.StatusOK || a.body != "finished" {
			t.Errorf("in-flight request: %d %q %v, want 200 finished", a.status, a.body, a.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the in-flight request never got its answer")
	}
	if !returnedEarly {
		waitDone(t, done)
	}
}
