package tracking

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// queued is a retry queue message: what to deliver, never a secret, token
// or signature. Its dedupe record is the invocation's.
type queued struct {
	Invocation string    `json:"invocation_id"`
	Message    Message   `json:"message"`
	QueuedAt   time.Time `json:"queued_at"`
}

// enqueue hands in's delivery to the retry queue and keeps its claim as
// queued, so that Zendesk's retries of it are duplicates. When the queue
// can't be written the claim is given up and cause (the delivery's own
// failure, or the queue's when it was queued at once) is what to answer.
func (s *Service) enqueue(ctx context.Context, in Inbound, claim dedupe.Claim, log *slog.Logger, cause error) (Delivery, error) {
	body, err := json.Marshal(queued{Invocation: in.Invocation, Message: in.Message, QueuedAt: s.now()})
	if err == nil {
		qctx, cancel := detached(ctx)
		err = s.Queue.Send(qctx, body)
		cancel()
	}
	if err != nil {
		log.ErrorContext(ctx, "the retry queue could not be written", "invocation_id", in.Invocation, "error", err.Error())
		s.release(ctx, in.Invocation, claim.Token, log)
		if cause == nil {
			cause = &QueueError{Err: err}
		}
		return Delivery{}, cause
	}
	qctx, cancel := detached(ctx)
	defer cancel()
	if err := s.Dedupe.Queue(qctx, in.Invocation, claim.Token); err != nil {
		// The message is on the queue; the claim lapses at its deadline,
		// and whoever delivers first makes the other a duplicate.
		log.WarnContext(ctx, "a queued delivery's claim could not be marked queued", "invocation_id", in.Invocation, "error", err.Error())
	}
	if cause != nil {
		log.WarnContext(ctx, "delivery queued for a retry", "invocation_id", in.Invocation, "error", cause.Error())
	}
	return Delivery{Queued: true}, nil
}

// QueueError is a retry queue that could not be written.
type QueueError struct{ Err error }

func (e *QueueError) Error() string { return "retry queue: " + e.Err.Error() }
func (e *QueueError) Unwrap() error { return e.Err }

// retryable reports whether err may pass if the delivery is tried again
// later, and the wait asked for: a rate limit, a server failure or no
// answer from Braze or Zendesk, a secret or store that could not be read.
// A refusal (another 4xx) or a misconfiguration will not.
func retryable(err error) (bool, time.Duration) {
	var oot *retry.OutOfTimeError
	if errors.As(err, &oot) {
		return true, oot.Wait
	}
	var be *braze.Error
	var ze *zendesk.Error
	var ue *secrets.UnavailableError
	var se *StoreError
	switch {
	case errors.As(err, &be):
		return be.Retryable()
	case errors.As(err, &ze):
		return ze.Retryable()
	case errors.As(err, &ue), errors.As(err, &se):
		return true, 0
	}
	return false, 0
}

// rejected reports a failure an operator must fix and then redrive:
// Braze or Zendesk refused the credentials or their permissions.
func rejected(err error) bool {
	var be *braze.Error
	var ze *zendesk.Error
	var ce *secrets.ConfigError
	var cred *zendesk.CredentialError
	switch {
	case errors.As(err, &cred):
		return true
	case errors.As(err, &be):
		return be.KeyRejected() || be.Status == 403
	case errors.As(err, &ze):
		return ze.Status == 401 || ze.Status == 403
	case errors.As(err, &ce):
		return true
	}
	return false
}
