package tracking

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Inbound is one verified webhook call to deliver.
type Inbound struct {
	Invocation string    // X-Zendesk-Webhook-Invocation-Id, or the signature without one
	Signature  string    // a hash of the signature: a second dedupe key
	SignedAt   time.Time // when Zendesk signed it
	Message    Message
}

// ErrBusy is an invocation another request is delivering right now.
var ErrBusy = errors.New("this invocation is being delivered by another request; retry later")

// StoreError is a dedupe store that could not be reached: the delivery
// could not be made safely, and is worth retrying.
type StoreError struct{ Err error }

func (e *StoreError) Error() string { return "dedupe store: " + e.Err.Error() }
func (e *StoreError) Unwrap() error { return e.Err }

// Deliver makes the delivery of in once, whichever container takes it: it
// claims the invocation (and its signature) in the dedupe store first;
// completes the message from the Zendesk API; sends it to Braze in
// batches, recording each accepted one; and records it delivered. A
// failure that may pass goes to the retry queue when there is one (the
// invocation stays claimed, as queued); any other gives the claim up, so
// that Zendesk's retry is delivered.
func (s *Service) Deliver(ctx context.Context, in Inbound, log *slog.Logger) (Delivery, error) {
	// Refused before anything is claimed or queued: a queued copy would
	// only fail on the queue, where no sender sees why.
	if s.Zendesk == nil && in.Message.needsZendesk() {
		return Delivery{}, &secrets.ConfigError{Err: ErrNoZendesk}
	}
	deadline := s.deadline(ctx)
	claim, err := s.Dedupe.Claim(ctx, dedupe.ClaimRequest{ID: in.Invocation, Deadline: deadline,
		Replay: in.Signature, ReplayUntil: in.SignedAt.Add(zendesk.SignatureWindow + time.Minute)})
	switch {
	case err != nil:
		return Delivery{}, &StoreError{Err: err}
	case claim.Outcome == dedupe.Busy:
		return Delivery{}, ErrBusy
	case claim.Outcome == dedupe.Duplicate:
		return Delivery{Duplicate: true}, nil
	}
	if s.Queued && s.Queue != nil {
		return s.enqueue(ctx, in, claim, log, nil)
	}
	d, err := s.deliverClaimed(ctx, in.Invocation, claim, &in.Message)
	if err == nil {
		s.recordDone(ctx, in.Invocation, claim.Token, log)
		return d, nil
	}
	if again, _ := retryable(err); again && s.Queue != nil {
		q, qerr := s.enqueue(ctx, in, claim, log, err)
		if qerr == nil {
			q.cause = err
		}
		return q, qerr
	}
	s.release(ctx, in.Invocation, claim.Token, log)
	return d, err
}

// deliverClaimed completes m and sends what earlier claimants had not.
func (s *Service) deliverClaimed(ctx context.Context, invocation string, claim dedupe.Claim, m *Message) (Delivery, error) {
	if err := s.Complete(ctx, m); err != nil {
		return Delivery{}, err
	}
	sent, err := s.withState(ctx, *m)
	if err != nil {
		return Delivery{}, err
	}
	batches := braze.Batches(sent.Track, s.limit())
	var sum Delivery
	offsets := map[string]int{}
	for i, b := range batches {
		if i >= claim.Batches {
			res, err := s.send(ctx, b)
			if err != nil {
				return sum, err
			}
			add(&sum.Result, res, offsets)
			// The last batch's record is the completion itself.
			if i+1 < len(batches) {
				if err := s.Dedupe.Progress(ctx, invocation, claim.Token, i+1); err != nil {
					return sum, &StoreError{Err: err}
				}
			}
		}
		offsets["attributes"] += len(b.Attributes)
		offsets["events"] += len(b.Events)
		offsets["purchases"] += len(b.Purchases)
	}
	return sum, nil
}

// recordDone records a delivery made. Braze has it already: a failure to
// record it is logged, not answered (Zendesk's retry would double it).
func (s *Service) recordDone(ctx context.Context, invocation, token string, log *slog.Logger) {
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := s.Dedupe.Complete(ctx, invocation, token); err != nil {
		log.ErrorContext(ctx, "a delivery Braze accepted could not be recorded; a retry of it would be sent again",
			"invocation_id", invocation, "error", err.Error())
	}
}

// release gives a failed delivery's claim up, so that Zendesk's retry is
// delivered; were that to fail, the claim lapses at its deadline.
func (s *Service) release(ctx context.Context, invocation, token string, log *slog.Logger) {
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := s.Dedupe.Release(ctx, invocation, token); err != nil {
		log.WarnContext(ctx, "a failed delivery's claim could not be released; it lapses at its deadline",
			"invocation_id", invocation, "error", err.Error())
	}
}

// recordTime bounds a write that must be tried even when the request's
// own time ran out (what it records has happened already): the Budget and
// two such writes still answer within Zendesk's 10 seconds.
const recordTime = time.Second

func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTime)
}
