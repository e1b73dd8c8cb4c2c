// Package standin is the plumbing the in-process API stand-ins share
// (zendesktest, brazetest): every request recorded, replies scripted per
// path, and an observer that local runs print from.
package standin

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Request is one recorded call.
type Request struct {
	Method   string
	Path     string
	RawQuery string // a search's terms travel here
	Header   http.Header
	Body     []byte
}

// Query decodes the query string; it is empty when that does not parse.
func (r Request) Query() url.Values {
	q, _ := url.ParseQuery(r.RawQuery)
	return q
}

// Reply is a scripted answer, sent after Delay.
type Reply struct {
	Status int
	Header map[string]string
	Body   string
	Delay  time.Duration
	// Lost serves the request as the API would (Status, Header and Body
	// are ignored), then closes the connection instead of answering: the
	// work is done, but the caller never hears of it.
	Lost bool
}

// Recorder records requests and serves scripted replies before the API's
// own handling. Its zero value is ready to use.
type Recorder struct {
	// Observe, when set before the first request, sees each request and
	// the status it was answered with (0 when the caller gave up first).
	Observe func(r Request, status int)

	mu       sync.Mutex
	requests []Request
	script   map[string][]Reply
}

// Script queues replies for the next requests to path.
func (rec *Recorder) Script(path string, replies ...Reply) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.script == nil {
		rec.script = map[string][]Reply{}
	}
	rec.script[path] = append(rec.script[path], replies...)
}

// Requests returns copies of every request so far, scripted ones included.
func (rec *Recorder) Requests() []Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([]Request, len(rec.requests))
	for i, r := range rec.requests {
		out[i] = clone(r)
	}
	return out
}

// RequestsTo returns the recorded requests to path.
func (rec *Recorder) RequestsTo(path string) []Request {
	var out []Request
	for _, r := range rec.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func clone(r Request) Request {
	return Request{Method: r.Method, Path: r.Path, RawQuery: r.RawQuery, Header: r.Header.Clone(), Body: slices.Clone(r.Body)}
}

// Handler records each request and answers it with the next reply
// scripted for its path, or else with api, which gets the body already read.
func (rec *Recorder) Handler(api func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		req := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
		rec.mu.Lock()
		rec.requests = append(rec.requests, clone(req))
		var scripted *Reply
		if q := rec.script[r.URL.Path]; len(q) > 0 {
			scripted, rec.script[r.URL.Path] = &q[0], q[1:]
		}
		rec.mu.Unlock()

		sw := &statusWriter{ResponseWriter: w}
		switch {
		case scripted != nil && scripted.Lost:
			api(&statusWriter{ResponseWriter: discard{header: http.Header{}}}, r, body)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
		case scripted != nil:
			serveScripted(sw, r, scripted)
		default:
			api(sw, r, body)
		}
		if rec.Observe != nil {
			rec.Observe(req, sw.status)
		}
	})
}

func serveScripted(w http.ResponseWriter, r *http.Request, reply *Reply) {
	if reply.Delay > 0 {
		t := time.NewTimer(reply.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return // the caller gave up; nobody reads an answer
		}
	}
	w.Header().Set("Content-Type", "application/json")
	for k, v := range reply.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(reply.Status)
	io.WriteString(w, reply.Body)
}

// statusWriter remembers the status written, for Observe.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// discard is a ResponseWriter that keeps nothing, for a Lost answer.
type discard struct{ header http.Header }

func (d discard) Header() http.Header       { return d.header }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
