// Package httpjson sends one JSON request and reads the answer, for the
// small API clients of the bridge.
package httpjson

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"time"
)

// MaxAnswer bounds how much of an answer is read.
const MaxAnswer = 1 << 20

// Response is an answer with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports a 2xx status.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status <= 299 }

// Post sends body as JSON to url with the given headers added.
func Post(ctx context.Context, hc *http.Client, url string, header http.Header, body []byte) (*Response, error) {
	if body == nil {
		body = []byte{} // a POST always says it carries JSON, even an empty one
	}
	return Do(ctx, hc, http.MethodPost, url, header, body)
}

// Do sends one request with the given headers added. A non-nil body is sent
// as JSON; a nil body sends none and no Content-Type, as a GET must not
// carry one.
func Do(ctx context.Context, hc *http.Client, method, url string, header http.Header, body []byte) (*Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Del("Content-Type")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// MaxRetryAfter caps what a server may ask for; longer is read as this.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter reads a Retry-After header: delay-seconds or an HTTP date,
// at most MaxRetryAfter. 0 means not said.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return time.Duration(min(n, int64(MaxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), MaxRetryAfter)
	}
	return 0
}
