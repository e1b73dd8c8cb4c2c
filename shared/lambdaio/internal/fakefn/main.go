// Command fakefn is a function built on lambdaio.Main for the tests that
// run it under the Lambda runtime emulator: its route echoes the request,
// and its consumer answers each record as the record's body says. With
// RETRY_QUEUE_URL it changes visibilities on that SQS queue, reached
// through the SDK's standard configuration.
package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/webhook"
)

func main() { lambdaio.Main(build) }

func build(ctx context.Context, mis *webhook.Misconfig) lambdaio.Function {
	f := lambdaio.Function{API: webhook.HandlerFunc(echo), Consumer: consumer{}}
	if url := os.Getenv("RETRY_QUEUE_URL"); url != "" {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return lambdaio.Function{API: mis.Unconfigured(err)}
		}
		f.Visibility = &queue.SQS{Client: sqs.NewFromConfig(cfg), URL: url}
	}
	return f
}

func echo(_ context.Context, req webhook.Request) webhook.Response {
	return webhook.JSON(http.StatusOK, map[string]any{"body": string(req.Body), "authorization": req.Header["authorization"]})
}

// order is a record's body: what the consumer answers for it.
type order struct {
	Fail    bool `json:"fail"`
	AfterMS int  `json:"after_ms"`
	Panic   bool `json:"panic"`
}

type consumer struct{}

func (consumer) Consume(_ context.Context, records []queue.Record) []queue.Result {
	out := make([]queue.Result, len(records))
	for i, r := range records {
		var o order
		_ = json.Unmarshal(r.Body, &o) // anything else is delivered
		if o.Panic {
			panic("fakefn: asked to panic")
		}
		out[i] = queue.Result{Failed: o.Fail, After: time.Duration(o.AfterMS) * time.Millisecond}
	}
	return out
}
