// Package queue is the retry queue of deliveries that could not be
// completed within the call that received them: a message holds what to
// deliver (never a secret, token or signature), and the function that
// queued it consumes it later. Memory serves local runs and tests; SQS is
// the deployed queue.
package queue

import (
	"context"
	"time"
)

// Sender puts a message on the queue.
type Sender interface {
	Send(ctx context.Context, body []byte) error
}

// Record is one message the queue delivered to its consumer.
type Record struct {
	ID           string // the message id, as the consumer reports failures by
	Body         []byte
	ReceiveCount int    // 1 on the first delivery
	Handle       string // the receipt handle, to change its visibility
	SentAt       time.Time
}

// Result is what became of one record.
type Result struct {
	// Failed keeps the record on the queue to be delivered again (and,
	// past the queue's maxReceiveCount, moved to the dead-letter queue).
	Failed bool
	// After, for a failed record, is how long it stays invisible before
	// its next delivery; 0 leaves the queue's visibility timeout.
	After time.Duration
}

// Consumer redelivers the records of one batch, answering a Result for
// each, in order.
type Consumer interface {
	Consume(ctx context.Context, records []Record) []Result
}

// Backoff is how long a record that failed without a wait asked for stays
// invisible: doubling per delivery from a minute, capped at an hour, so
// that an outage is ridden out without spending the queue's
// maxReceiveCount in minutes.
func Backoff(receiveCount int) time.Duration {
	d := time.Minute << min(max(receiveCount-1, 0), 10)
	return min(d, time.Hour)
}
