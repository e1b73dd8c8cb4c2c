package braze

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/brazezendesk/bridge/shared/httpjson"
)

// ErrUnauthorized matches (with errors.Is) Braze refusing the API key: the
// key is wrong, rotated, or from another instance.
var ErrUnauthorized = errors.New("braze rejected the API key")

// Error is a failed Braze call; Status is 0 when no answer came.
type Error struct {
	Status     int
	Message    string            // Braze's "message"
	Errors     []json.RawMessage // Braze's "errors"
	RetryAfter time.Duration
	Err        error // the transport failure, when Status is 0
}

func (e *Error) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("braze /users/track: %v", e.Err)
	}
	if e.Message == "" {
		return fmt.Sprintf("braze /users/track: %d", e.Status)
	}
	return fmt.Sprintf("braze /users/track: %d: %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnauthorized) true when Braze refused the key.
func (e *Error) Is(target error) bool {
	return target == ErrUnauthorized && e.KeyRejected()
}

// KeyRejected reports Braze refusing the API key. Braze answers "401
// Unauthorized: Unknown or missing REST API Key" and also "404 Not Found:
// Unknown REST API Key (if provided)" (its fatal error codes); the client
// adds no path but /users/track to an endpoint it has checked, so a 404 is
// the key's, never a wrong URL's.
func (e *Error) KeyRejected() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusNotFound
}

// Retryable: rate limits, server failures and lost connections may pass.
func (e *Error) Retryable() (bool, time.Duration) {
	return httpjson.Transient(e.Status, e.Err), e.RetryAfter
}

// Timeout reports whether the call ran out of time.
func (e *Error) Timeout() bool { return httpjson.TimedOut(e.Status, e.Err) }

func apiError(resp *httpjson.Response, now time.Time) *Error {
	e := &Error{Status: resp.Status, RetryAfter: waitFor(resp.Header, now)}
	var shape struct {
		Message string            `json:"message"`
		Errors  []json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(resp.Body, &shape) == nil {
		e.Message, e.Errors = shape.Message, shape.Errors
	}
	return e
}

// waitFor reads Retry-After, else X-RateLimit-Reset (UTC epoch seconds when
// the rate limit window resets).
func waitFor(h http.Header, now time.Time) time.Duration {
	if d := httpjson.RetryAfter(h, now); d > 0 {
		return d
	}
	if n, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		if d := time.Unix(n, 0).Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
