package zendesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/httpjson"
)

// ErrUnauthorized matches (with errors.Is) a 401 from Zendesk: the email or
// API token is wrong, or has been rotated.
var ErrUnauthorized = errors.New("zendesk rejected the credentials")

// ErrNotFound matches a 404 from Zendesk: no record has that id.
var ErrNotFound = errors.New("zendesk has no such record")

// ErrEmailTaken matches a 422 saying the email address is already another
// user's: creating a user never takes over an existing one.
var ErrEmailTaken = errors.New("the email address is already used by another zendesk user")

// ErrExternalIDTaken matches a 422 saying the external id is already
// another user's.
var ErrExternalIDTaken = errors.New("the external id is already used by another zendesk user")

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

// Is makes errors.Is true for ErrUnauthorized on a 401, ErrNotFound on a
// 404, and ErrEmailTaken or ErrExternalIDTaken on a 422 whose details say so.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrEmailTaken:
		return e.Status == http.StatusUnprocessableEntity && e.taken("email")
	case ErrExternalIDTaken:
		return e.Status == http.StatusUnprocessableEntity && e.taken("external_id")
	}
	return false
}

// taken reports whether Details say field's value belongs to another
// record: {"email": [{"error": "DuplicateValue", "description": "Email: a@b
// is already being used by another user"}]}. The code is what Zendesk
// documents; the words are checked too, as older answers lack the code.
// Zendesk does not always file the entry under the field itself (a taken
// external id has come back as {"name": [{"description": "External has
// already been taken"}]}), so an entry under any key whose description
// names the field and says it is taken counts as well.
func (e *Error) taken(field string) bool {
	var details map[string]json.RawMessage
	if json.Unmarshal(e.Details, &details) != nil {
		return false
	}
	for key, raw := range details {
		var entries []struct {
			Error       string `json:"error"`
			Description string `json:"description"`
		}
		if json.Unmarshal(raw, &entries) != nil {
			continue
		}
		for _, d := range entries {
			desc := strings.ToLower(strings.TrimSpace(d.Description))
			says := strings.Contains(desc, "already being used") ||
				strings.Contains(desc, "already been taken") || strings.Contains(desc, "already in use")
			switch {
			case key == field && (d.Error == "DuplicateValue" || says):
				return true
			case key != field && says && strings.HasPrefix(desc, takenLabels[field]):
				return true
			}
		}
	}
	return false
}

// takenLabels are the words Zendesk starts a field's description with.
var takenLabels = map[string]string{"email": "email", "external_id": "external"}

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
