// Command braze-to-zendesk is the Lambda function behind POST /braze/tickets:
// a Braze webhook files a Zendesk ticket. It also consumes its retry queue.
package main

import (
	"context"
	"os"

	"github.com/brazezendesk/bridge/shared/durability"
	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/webhook"
)

func main() { lambdaio.Main(build) }

// build wires the function from the environment; what is missing becomes
// a 500 naming it rather than a crash, so the function keeps answering.
func build(ctx context.Context, mis *webhook.Misconfig) lambdaio.Function {
	src, err := secrets.FromEnv(ctx)
	if err != nil {
		return lambdaio.Function{API: mis.Unconfigured(err)}
	}
	parts, err := durability.FromEnv(ctx)
	if err != nil {
		return lambdaio.Function{API: mis.Unconfigured(err)}
	}
	cfg := tickets.Config{
		ZendeskSubdomain: os.Getenv("ZENDESK_SUBDOMAIN"),
		ZendeskBaseURL:   os.Getenv("ZENDESK_BASE_URL"),
		Secrets:          src,
		Filed:            parts.Tickets,
	}
	f := lambdaio.Function{}
	if parts.Queue != nil {
		cfg.Queue, f.Visibility = parts.Queue, parts.Queue
	}
	f.API = tickets.NewHandler(cfg, mis)
	f.Consumer, _ = f.API.(queue.Consumer)
	return f
}
