package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// queued is a retry queue message: the ticket to file and the key it is
// filed under, never a secret or token.
type queued struct {
	Key      string    `json:"idempotency_key"`
	Request  Request   `json:"request"`
	QueuedAt time.Time `json:"queued_at"`
}

// enqueue hands r's ticket to the retry queue.
func (s *Service) enqueue(ctx context.Context, r *Request, key string) error {
	body, err := json.Marshal(queued{Key: key, Request: *r, QueuedAt: s.now()})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	return s.Queue.Send(ctx, body)
}

// retryable reports whether a failed filing may succeed later, and the
// wait Zendesk asked for: a rate limit, a failure or no answer from
// Zendesk, a secret that could not be read just now. A refusal (another
// 4xx) or a misconfiguration will not.
func retryable(err error) (bool, time.Duration) {
	var oot *retry.OutOfTimeError
	if errors.As(err, &oot) {
		return true, oot.Wait
	}
	var ze *zendesk.Error
	var ue *secrets.UnavailableError
	var se *storeError
	switch {
	case errors.As(err, &ze):
		return ze.Retryable()
	case errors.As(err, &ue), errors.As(err, &se):
		return true, 0
	}
	return false, 0
}

// storeError is a table of filed tickets that could not be read: whether
// the ticket was filed is unknown, so the record waits for the table.
type storeError struct{ err error }

func (e *storeError) Error() string { return "filed tickets table: " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// rejected reports a failure an operator must fix and then redrive: the
// credentials, their permissions, or the secret.
func rejected(err error) bool {
	var ze *zendesk.Error
	var ce *secrets.ConfigError
	var cred *zendesk.CredentialError
	switch {
	case errors.As(err, &cred):
		return true
	case errors.As(err, &ze):
		return ze.Status == 401 || ze.Status == 403
	case errors.As(err, &ce):
		return true
	}
	return false
}
