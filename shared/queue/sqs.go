package queue

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// MaxSQSBody is the largest body SQS sends. SQS itself now takes up to
// 1 MiB, but a queue's MaximumMessageSize may be lower and 256 KiB is the
// limit every queue honours, so a body past it is refused here, with words,
// rather than by SQS with an opaque 400 or, worse, on some queues only.
const MaxSQSBody = 256 << 10

// MaxVisibility is the longest SQS keeps a received message hidden.
const MaxVisibility = 12 * time.Hour

// ErrTooLargeForSQS is (wrapped in) the error of a body over MaxSQSBody.
var ErrTooLargeForSQS = errors.New("the message is larger than SQS's 256 KiB limit")

// SQSAPI is the part of the SQS client the queue uses; *sqs.Client has it,
// and tests may stand in for it.
type SQSAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// SQS is the deployed retry queue. The composition root builds the client
// (so that the SDK's standard configuration, endpoint variables included,
// applies) and names the queue by its URL.
type SQS struct {
	Client SQSAPI
	URL    string
}

// Send implements Sender: the body goes on the queue as it is.
func (q *SQS) Send(ctx context.Context, body []byte) error {
	if len(body) > MaxSQSBody {
		return fmt.Errorf("queue: sending %d bytes: %w", len(body), ErrTooLargeForSQS)
	}
	if err := checkChars(body); err != nil {
		return fmt.Errorf("queue: sending %d bytes: %w", len(body), err)
	}
	if _, err := q.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(q.URL),
		MessageBody: aws.String(string(body)),
	}); err != nil {
		return fmt.Errorf("queue: sending a message to SQS: %w", err)
	}
	return nil
}

// ChangeVisibility hides the received message whose receipt handle is
// handle for after (rounded up to whole seconds, at most 12 hours) from
// now; 0 or less makes it visible at once.
func (q *SQS) ChangeVisibility(ctx context.Context, handle string, after time.Duration) error {
	secs := visibilitySeconds(after)
	if _, err := q.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(q.URL),
		ReceiptHandle:     aws.String(handle),
		VisibilityTimeout: secs,
	}); err != nil {
		return fmt.Errorf("queue: changing a message's visibility to %d s: %w", secs, err)
	}
	return nil
}

// visibilitySeconds rounds after up, so that a record asked to wait 1.2 s
// is never redelivered before that, and caps it at what SQS accepts, so a
// long Retry-After still delays the record as long as SQS can.
func visibilitySeconds(after time.Duration) int32 {
	if after <= 0 {
		return 0
	}
	if after >= MaxVisibility {
		return int32(MaxVisibility / time.Second)
	}
	return int32((after + time.Second - 1) / time.Second)
}

// checkChars refuses what SQS refuses in a body: invalid UTF-8 and the
// characters outside #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD |
// #x10000-#x10FFFF. SQS's own answer names neither the byte nor why.
func checkChars(body []byte) error {
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && n <= 1 {
			return fmt.Errorf("the message is not valid UTF-8 at byte %d; SQS takes text only", i)
		}
		if !sqsChar(r) {
			return fmt.Errorf("the message holds the character %U at byte %d, which SQS does not accept", r, i)
		}
		i += n
	}
	return nil
}

func sqsChar(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	default:
		return r >= 0x10000 && r <= 0x10FFFF
	}
}
