// Command braze-to-zendesk is the Lambda function behind POST /braze/tickets:
// a Braze webhook files a Zendesk ticket.
package main

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

func main() { apigw.Main(handler) }

// handler wires the route from the environment; what is missing becomes a
// 500 naming it rather than a crash, so the function keeps answering.
func handler(ctx context.Context, mis *webhook.Misconfig) webhook.Handler {
	base, err := zendesk.BaseURL(os.Getenv("ZENDESK_SUBDOMAIN"), os.Getenv("ZENDESK_BASE_URL"))
	if err != nil {
		return mis.Unconfigured(err)
	}
	src, err := secrets.FromEnv(ctx)
	if err != nil {
		return mis.Unconfigured(err)
	}
	svc := &tickets.Service{
		Zendesk: zendesk.New(base, &http.Client{Timeout: 25 * time.Second}),
		Secrets: secrets.NewCache(src, secrets.DefaultTTL),
	}
	return &tickets.Handler{Service: svc, Log: mis.Log, Misconfig: mis}
}
