// Command zendesk-to-braze is the Lambda function behind POST /zendesk/events:
// a signed Zendesk webhook logs events on Braze user profiles.
package main

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/webhook"
)

func main() { apigw.Main(handler) }

// handler wires the route from the environment; what is missing becomes a
// 500 naming it rather than a crash, so the function keeps answering.
func handler(ctx context.Context, mis *webhook.Misconfig) webhook.Handler {
	base, err := braze.Endpoint(os.Getenv("BRAZE_REST_ENDPOINT"))
	if err != nil {
		return mis.Unconfigured(err)
	}
	src, err := secrets.FromEnv(ctx)
	if err != nil {
		return mis.Unconfigured(err)
	}
	svc := &tracking.Service{
		// One attempt may take 4 s, so that a retry still fits in the budget.
		Braze:   braze.New(base, &http.Client{Timeout: 4 * time.Second}),
		Secrets: secrets.NewCache(src, secrets.DefaultTTL),
		Dedupe:  dedupe.NewMemory(),
	}
	return &tracking.Handler{Service: svc, Log: mis.Log, Misconfig: mis}
}
