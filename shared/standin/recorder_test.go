package standin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRecorder(t *testing.T) {
	var rec Recorder
	var mu sync.Mutex
	var seen []int
	rec.Observe = func(r Request, status int) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, status)
	}
	srv := httptest.NewServer(rec.Handler(func(w http.ResponseWriter, r *http.Request, body []byte) {
		if string(body) != "ping" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		io.WriteString(w, "pong") // an implicit 200
	}))
	defer srv.Close()
	rec.Script("/a", Reply{Status: 429, Header: map[string]string{"Retry-After": "2"}, Body: `{"n":1}`}, Reply{Status: 503})

	post := func(path, body string) *http.Response {
		resp, err := http.Post(srv.URL+path, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := post("/b", "ping"); r.StatusCode != 200 { // other paths are not scripted
		t.Fatalf("/b = %d", r.StatusCode)
	}
	if r := post("/a", "ping"); r.StatusCode != 429 || r.Header.Get("Retry-After") != "2" {
		t.Fatalf("first scripted = %d %v", r.StatusCode, r.Header)
	}
	if r := post("/a", "ping"); r.StatusCode != 503 {
		t.Fatalf("second scripted = %d", r.StatusCode)
	}
	if r := post("/a", "pong?"); r.StatusCode != 400 { // script used up: the API answers
		t.Fatalf("after the script = %d", r.StatusCode)
	}
	reqs := rec.Requests()
	if len(reqs) != 4 || len(rec.RequestsTo("/a")) != 3 || string(reqs[3].Body) != "pong?" {
		t.Fatalf("recorded %d requests: %+v", len(reqs), reqs)
	}
	reqs[0].Body[0] = 'X' // copies, not the record
	if string(rec.Requests()[0].Body) != "ping" {
		t.Error("Requests handed out the recorded bytes")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []int{200, 429, 503, 400}; len(seen) != 4 || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] || seen[3] != want[3] {
		t.Errorf("observed %v, want %v", seen, want)
	}
}

func TestDelayedReplyEndsWithCaller(t *testing.T) {
	var rec Recorder
	got := make(chan int, 1)
	rec.Observe = func(_ Request, status int) { got <- status }
	srv := httptest.NewServer(rec.Handler(func(http.ResponseWriter, *http.Request, []byte) {}))
	defer srv.Close()
	rec.Script("/slow", Reply{Status: 200, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/slow", nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the delayed reply came before the caller gave up")
	}
	select {
	case status := <-got:
		if status != 0 {
			t.Errorf("observed status %d for an abandoned request, want 0", status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler kept waiting after the caller gave up")
	}
}

// A Lost reply does the work and answers nothing: the caller sees a
// failed call, as when an answer is lost in flight.
func TestLostAnswer(t *testing.T) {
	var rec Recorder
	var served atomic.Int32
	srv := httptest.NewServer(rec.Handler(func(w http.ResponseWriter, r *http.Request, body []byte) {
		served.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	rec.Script("/x", Reply{Lost: true})
	if resp, err := http.Post(srv.URL+"/x", "application/json", strings.NewReader(`{}`)); err == nil {
		resp.Body.Close()
		t.Fatalf("a lost answer arrived: %d", resp.StatusCode)
	}
	if served.Load() != 1 {
		t.Fatalf("the API served %d requests, want 1", served.Load())
	}
	resp, err := http.Post(srv.URL+"/x", "application/json", strings.NewReader(`{}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("the next request: %v %v", resp, err)
	}
	resp.Body.Close()
}
