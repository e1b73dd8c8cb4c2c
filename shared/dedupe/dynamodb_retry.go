package dedupe

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	bridgeretry "github.com/brazezendesk/bridge/shared/retry"
)

// The store's own retries of a write that records what already happened,
// on top of the SDK's: a few, short, and only while they fit in the
// caller's time.
const (
	heldAttempts = 4
	heldBackoff  = 50 * time.Millisecond // doubled after each attempt
)

// retryable classifies errors as the SDK's standard retryer does:
// throttling, 5xx, connection errors and timeouts pass; refusals do not.
var retryable = retry.IsErrorRetryables(retry.DefaultRetryables)

// passing reports an error that another attempt may not meet, while ctx
// still has time for one.
func passing(ctx context.Context, err error) bool {
	return ctx.Err() == nil && retryable.IsErrorRetryable(err) == aws.TrueTernary
}

// wait sleeps for d, or fails at once when ctx would end first: an
// attempt that cannot start in time is not worth waiting for.
func (d *DynamoDB) wait(ctx context.Context, delay time.Duration) error {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
		return context.DeadlineExceeded
	}
	if d.Sleep != nil {
		return d.Sleep(ctx, delay)
	}
	return bridgeretry.Sleep(ctx, delay)
}
