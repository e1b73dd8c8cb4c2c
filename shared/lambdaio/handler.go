// Package lambdaio is a function's one Lambda entry point: it tells apart
// the kinds of event the function is invoked with and turns each into a
// domain call. An API Gateway HTTP API (payload 2.0) request goes to the
// webhook route through apigw.Adapt; an SQS batch from the retry queue goes
// to the queue's consumer, and its failures go back as batchItemFailures;
// an EventBridge scheduled event runs the function's schedule.
package lambdaio

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/webhook"
)

// Visibility delays a failed record's next delivery; *queue.SQS has it.
type Visibility interface {
	ChangeVisibility(ctx context.Context, handle string, after time.Duration) error
}

// Handler returns the Lambda handler of a function that serves api and
// consumes its retry queue with consumer (nil when it has no queue), using
// vis (nil: the queue's visibility timeout only) to delay failed records.
//
// An API Gateway event is answered exactly as apigw.Adapt answers it. An SQS
// event is answered with an events.SQSEventResponse listing every record
// that is to be delivered again; that answer never leaves a record out
// unless the consumer answered it delivered. Any other event is an error,
// which the runtime logs and reports to the invoker.
func Handler(api webhook.Handler, consumer queue.Consumer, vis Visibility, log *slog.Logger) func(ctx context.Context, raw json.RawMessage) (any, error) {
	return handler(Function{API: api, Consumer: consumer, Visibility: vis}, log)
}

// reachedKey marks an invocation whose request reached the route.
type reachedKey struct{}

func handler(f Function, log *slog.Logger) func(ctx context.Context, raw json.RawMessage) (any, error) {
	api := f.API
	if f.Refused != nil {
		api = webhook.HandlerFunc(func(ctx context.Context, req webhook.Request) webhook.Response {
			if reached, ok := ctx.Value(reachedKey{}).(*bool); ok {
				*reached = true
			}
			return f.API.ServeWebhook(ctx, req)
		})
	}
	serveAPI := apigw.Adapt(api, log)
	b := &batch{consumer: f.Consumer, vis: f.Visibility, log: log}
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		ev, err := classify(raw)
		if err != nil {
			// What the event holds stays out of the log: it may be a request.
			log.ErrorContext(ctx, "unknown event", "error", err.Error(), "bytes", len(raw))
			return nil, err
		}
		switch {
		case ev.sqs != nil:
			return b.serve(ctx, ev.sqs), nil
		case ev.schedule:
			if f.Schedule == nil {
				err := unknown("this function has no schedule to run")
				log.ErrorContext(ctx, "unknown event", "error", err.Error(), "bytes", len(raw))
				return nil, err
			}
			return f.Schedule.Scheduled(ctx)
		default:
			var req events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &req); err != nil {
				// An error as lambda.Start(apigw.Adapt(...)) answered: the
				// runtime could not decode it either.
				err = unknown("its API Gateway fields do not decode: %v", err)
				log.ErrorContext(ctx, "unknown event", "error", err.Error(), "bytes", len(raw))
				return nil, err
			}
			if f.Refused == nil {
				return serveAPI(ctx, req)
			}
			var reached bool
			resp, err := serveAPI(context.WithValue(ctx, reachedKey{}, &reached), req)
			if !reached {
				f.Refused(resp.StatusCode)
			}
			return resp, err
		}
	}
}
