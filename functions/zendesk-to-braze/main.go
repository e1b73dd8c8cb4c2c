// Command zendesk-to-braze is the Lambda function behind POST /zendesk/events:
// a signed Zendesk webhook logs events on Braze user profiles.
package main

import (
	"context"
	"os"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/webhook"
)

func main() { apigw.Main(handler) }

// handler wires the route from the environment; what is missing becomes a
// 500 naming it rather than a crash, so the function keeps answering.
func handler(ctx context.Context, mis *webhook.Misconfig) webhook.Handler {
	src, err := secrets.FromEnv(ctx)
	if err != nil {
		return mis.Unconfigured(err)
	}
	return tracking.NewHandler(tracking.Config{
		BrazeRESTEndpoint: os.Getenv("BRAZE_REST_ENDPOINT"),
		ZendeskSubdomain:  os.Getenv("ZENDESK_SUBDOMAIN"),
		ZendeskBaseURL:    os.Getenv("ZENDESK_BASE_URL"),
		Secrets:           src,
	}, mis)
}
