// Package webhook holds what both inbound webhooks share, whatever carries
// them: the request and response shapes, JSON error bodies and the body
// size limit.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

// MaxBody is the largest body either route accepts.
const MaxBody = 256 << 10

// Request is an inbound webhook call: header names lower-case, body decoded.
type Request struct {
	Header map[string]string
	Body   []byte
}

// Response is what goes back: a status, headers and a JSON body.
type Response struct {
	Status int
	Header map[string]string
	Body   []byte
}

// Handler serves one webhook route.
type Handler interface {
	ServeWebhook(ctx context.Context, req Request) Response
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req Request) Response

// ServeWebhook calls f.
func (f HandlerFunc) ServeWebhook(ctx context.Context, req Request) Response { return f(ctx, req) }

// Error is a failure with the status and words a caller can act on.
type Error struct {
	Status     int    `json:"-"`
	Message    string `json:"error"`
	Field      string `json:"field,omitempty"`
	Details    any    `json:"details,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty"` // seconds; also sent as Retry-After
}

func (e *Error) Error() string { return e.Message }

// Errorf is shorthand for an Error without extra fields.
func Errorf(status int, msg string) *Error { return &Error{Status: status, Message: msg} }

// JSON encodes v as the body of a response with the given status.
func JSON(status int, v any) Response {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // answers are read by people, not embedded in HTML
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"the response could not be encoded"}`)
	}
	return Response{Status: status, Header: map[string]string{"content-type": "application/json"},
		Body: bytes.TrimRight(buf.Bytes(), "\n")}
}

// Fail turns e into its JSON response, with Retry-After when it has one.
func Fail(e *Error) Response {
	r := JSON(e.Status, e)
	if e.RetryAfter > 0 {
		r.Header["retry-after"] = strconv.Itoa(e.RetryAfter)
	}
	return r
}
