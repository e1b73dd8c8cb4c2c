package zendesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/brazezendesk/bridge/shared/httpjson"
)

// ErrUnauthorized matches (with errors.Is) a 401 from Zendesk: the email or
// API token is wrong, or has been rotated.
var ErrUnauthorized = errors.New("zendesk rejected the credentials")

// Error is a failed Zendesk call. Status is 0 when no answer came.
type Error struct {
	Op          string // what was being done, e.g. "create ticket"
	Status      int
	Code        string          // Zendesk's "error" value, e.g. RecordInvalid
	Description string          // Zendesk's "description" or message
	Details     json.RawMessage // Zendesk's "details", passed on to the caller
	RetryAfter  time.Duration
	Err         error // the transport failure, when Status is 0
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("zendesk %s: %v", e.Op, e.Err)
	}
	msg := fmt.Sprintf("zendesk %s: %d", e.Op, e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnauthorized) true for a 401.
func (e *Error) Is(target error) bool {
	return target == ErrUnauthorized && e.Status == http.StatusUnauthorized
}

// Retryable says a rate limit, a server failure or a lost connection may pass;
// the caller's own deadline or cancellation will not.
// A 409 is a concurrent request under the same idempotency key.
func (e *Error) Retryable() (bool, time.Duration) {
	return e.Status == http.StatusConflict || httpjson.Transient(e.Status, e.Err), e.RetryAfter
}

// Timeout reports whether the call ran out of time.
func (e *Error) Timeout() bool { return httpjson.TimedOut(e.Status, e.Err) }

func apiError(op string, resp *httpjson.Response) *Error {
	e := &Error{Op: op, Status: resp.Status, RetryAfter: httpjson.RetryAfter(resp.Header, time.Now())}
	var shape struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"description"`
		Details     json.RawMessage `json:"details"`
	}
	if json.Unmarshal(resp.Body, &shape) != nil {
		return e
	}
	e.Description, e.Details = shape.Description, shape.Details
	// "error" is a code string for most failures, and an object
	// {"title", "message"} for some (such as 403s).
	var code string
	var obj struct{ Title, Message string }
	switch {
	case json.Unmarshal(shape.Error, &code) == nil:
		e.Code = code
	case json.Unmarshal(shape.Error, &obj) == nil:
		e.Code = obj.Title
		if e.Description == "" {
			e.Description = obj.Message
		}
	}
	if bytes.Equal(e.Details, []byte("null")) {
		e.Details = nil
	}
	return e
}
