package lambdaio

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/queue"
)

// batch serves the SQS events of the retry queue.
type batch struct {
	consumer queue.Consumer
	vis      Visibility
	log      *slog.Logger
}

// serve hands the batch to the consumer and reports every record it did
// not answer delivered, after delaying those that asked to wait.
func (b *batch) serve(ctx context.Context, msgs []events.SQSMessage) events.SQSEventResponse {
	start := time.Now()
	results := b.consume(ctx, Records(msgs))
	// Never nil: Lambda takes null as "all delivered" too, but an empty
	// list says so to a person reading the answer.
	failures := []events.SQSBatchItemFailure{}
	var delays []delay
	for i, m := range msgs {
		// Identified by the event's messages, not the records the consumer
		// was handed (and might have changed).
		if !results[i].Failed {
			continue
		}
		failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		if results[i].After > 0 {
			delays = append(delays, delay{id: m.MessageId, handle: m.ReceiptHandle, after: results[i].After})
		}
	}
	b.postpone(ctx, delays)
	b.log.InfoContext(ctx, "batch",
		"records", len(msgs),
		"failed", len(failures),
		"delayed", len(delays),
		"duration_ms", time.Since(start).Milliseconds())
	return events.SQSEventResponse{BatchItemFailures: failures}
}

// consume answers exactly one Result per record, whatever the consumer
// does: a record it did not answer, because it panicked, answered short or
// does not exist, is failed so that SQS delivers it again. A record is
// lost only when the consumer says it was delivered.
func (b *batch) consume(ctx context.Context, records []queue.Record) (out []queue.Result) {
	out = make([]queue.Result, len(records))
	failAll := func() {
		for i := range out {
			out[i] = queue.Result{Failed: true}
		}
	}
	if b.consumer == nil {
		b.log.ErrorContext(ctx, "an SQS event reached a function without a retry queue consumer; every record is failed and stays on the queue",
			"records", len(records))
		failAll()
		return out
	}
	// The consumer must finish a little before Lambda's deadline, so that
	// the failures still go back: a timed-out invocation retries the whole
	// batch, the delivered records too.
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-apigw.AnswerMargin))
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			// The panic's type and stack only: its value may hold a body.
			b.log.ErrorContext(ctx, "consumer panicked; every record of the batch is failed",
				"panic_type", fmt.Sprintf("%T", p), "stack", string(debug.Stack()), "records", len(records))
			failAll()
		}
	}()
	got := b.consumer.Consume(ctx, records)
	n := copy(out, got)
	if n < len(out) {
		b.log.ErrorContext(ctx, "consumer answered fewer results than records; the unanswered ones are failed",
			"records", len(records), "results", len(got))
		for i := n; i < len(out); i++ {
			out[i] = queue.Result{Failed: true}
		}
	}
	if len(got) > len(out) {
		b.log.WarnContext(ctx, "consumer answered more results than records; the extra ones are ignored",
			"records", len(records), "results", len(got))
	}
	return out
}
