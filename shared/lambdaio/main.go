package lambdaio

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/brazezendesk/bridge/shared/logging"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/webhook"
)

// Function is what a function's composition root wires for the Lambda loop.
type Function struct {
	// API serves the function's webhook route.
	API webhook.Handler
	// Consumer redelivers the records of the retry queue; nil when the
	// function has no queue (RETRY_QUEUE_URL unset), and then an SQS
	// event fails every record.
	Consumer queue.Consumer
	// Visibility delays failed records that ask to wait; nil leaves them
	// to the queue's visibility timeout.
	Visibility Visibility
	// Schedule runs when an EventBridge schedule invokes the function;
	// nil: a scheduled event is an error.
	Schedule Scheduled
	// Refused, when set, is told the status of every request answered
	// before API reached it: a body over webhook.MaxBody (413), or one
	// marked base64 that is not (400).
	Refused func(status int)
}

// Handler is f's Lambda handler, as Main starts it.
func (f Function) Handler(log *slog.Logger) func(ctx context.Context, raw json.RawMessage) (any, error) {
	return handler(f, log)
}

// Main is a function's whole main: a JSON logger at Lambda's log level
// (AWS_LAMBDA_LOG_LEVEL), the Function that build wires from the
// environment, and the Lambda runtime loop with Handler.
func Main(build func(ctx context.Context, mis *webhook.Misconfig) Function) {
	log := logging.New(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	f := build(context.Background(), &webhook.Misconfig{Log: log})
	lambda.Start(handler(f, log))
}
