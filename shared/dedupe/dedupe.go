// Package dedupe remembers deliveries so that none is made twice: the
// Zendesk webhook invocations Braze has accepted (and the signatures they
// came with), and the Zendesk tickets filed by idempotency key. Memory
// serves one container; DynamoDB serves all of a function's containers.
//
// A delivery is claimed before it is made, in the way of the idempotency
// utility of Powertools for AWS Lambda: a conditional write of an
// in-progress record that holds the claimant's deadline, then progress
// (how many batches Braze accepted), then completion; or a release when
// the delivery failed and will be tried again by its sender, or "queued"
// when the retry queue now holds it.
package dedupe

import (
	"context"
	"errors"
	"time"
)

// Retention is how long a delivered invocation is remembered: Zendesk's
// retries end long before.
const Retention = 24 * time.Hour

// QueuedRetention is how long a queued delivery is remembered: as long as
// its message can stay on the retry queue (SQS keeps a message 14 days at
// most), so that a redelivered message is still known.
const QueuedRetention = 14 * 24 * time.Hour

// TicketRetention is how long a filed ticket is remembered by its
// idempotency key, well past Zendesk's own 2 hours.
const TicketRetention = 14 * 24 * time.Hour

// Outcome is what a claim found.
type Outcome int

const (
	// Claimed: the caller holds the delivery and may make it. Claim.Batches
	// says how many of its batches earlier claimants had delivered.
	Claimed Outcome = iota
	// Busy: another claimant is making the delivery and its deadline has
	// not passed (answer 409, which Zendesk retries).
	Busy
	// Duplicate: the delivery was made, or queued, before; or its signature
	// came before with another invocation id (a replay). Nothing to do.
	Duplicate
)

func (o Outcome) String() string {
	switch o {
	case Claimed:
		return "claimed"
	case Busy:
		return "busy"
	default:
		return "duplicate"
	}
}

// ClaimRequest asks for one delivery.
type ClaimRequest struct {
	// ID names the delivery: a Zendesk invocation id.
	ID string
	// Deadline is when this claim counts as abandoned, so that another
	// claimant may take it over: the end of the invocation that claims.
	Deadline time.Time
	// Replay, when set, is a second key that only ID may claim until
	// ReplayUntil: the signature, unique per timestamp and body, so that a
	// captured request sent again under a fresh invocation id is a
	// Duplicate.
	Replay      string
	ReplayUntil time.Time
	// FromQueue is set by the retry queue's consumer, for which a queued
	// delivery is claimable; for anyone else it is a Duplicate.
	FromQueue bool
}

// Claim is the answer to a ClaimRequest.
type Claim struct {
	Outcome Outcome
	Batches int    // delivered by earlier claimants
	Token   string // this claim's, for Progress, Complete, Queue and Release
}

// ErrLost is a claim that is no longer the caller's: its deadline passed
// and another claimant took the delivery over.
var ErrLost = errors.New("the claim was taken over by another claimant after its deadline")

// Store is what every store provides. Its methods are safe for concurrent
// use; an error other than ErrLost means the store could not be reached
// or answered, and says nothing about the delivery.
type Store interface {
	Claim(ctx context.Context, r ClaimRequest) (Claim, error)
	// Progress records that the first batches of the delivery were made.
	Progress(ctx context.Context, id, token string, batches int) error
	// Complete records the delivery as made, for Retention.
	Complete(ctx context.Context, id, token string) error
	// Queue records the delivery as handed to the retry queue, for
	// QueuedRetention: its sender's retries are Duplicates, the queue's
	// consumer may claim it.
	Queue(ctx context.Context, id, token string) error
	// Release gives the delivery up, so that its sender's retry claims it
	// at once, keeping the batches made.
	Release(ctx context.Context, id, token string) error
}

// Tickets remembers the Zendesk ticket filed under an idempotency key.
type Tickets interface {
	FiledTicket(ctx context.Context, key string) (id int64, ok bool, err error)
	RememberTicket(ctx context.Context, key string, id int64) error
}
