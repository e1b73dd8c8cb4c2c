// Command braze-to-zendesk is the Lambda function behind POST /braze/tickets:
// a Braze webhook files a Zendesk ticket. It also consumes its retry queue.
package main

import (
	"context"
	"os"

	"github.com/brazezendesk/bridge/shared/durability"
	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/webhook"
)

func main() { lambdaio.Main(build) }

// build wires the function from the environment; what is missing becomes
// a 500 naming it rather than a crash, so the function keeps answering.
func build(ctx context.Context, mis *webhook.Misconfig) lambdaio.Function {
	// EMF lines on stdout become CloudWatch metrics.
	m := metrics.New(os.Stdout, metrics.BrazeToZendesk)
	src, err := secrets.FromEnv(ctx)
	if err != nil {
		return lambdaio.Function{API: tickets.Unconfigured(mis, m, err), Refused: m.Answered}
	}
	parts, err := durability.FromEnv(ctx)
	if err != nil {
		return lambdaio.Function{API: tickets.Unconfigured(mis, m, err), Refused: m.Answered}
	}
	cfg := tickets.Config{
		ZendeskSubdomain: os.Getenv("ZENDESK_SUBDOMAIN"),
		ZendeskBaseURL:   os.Getenv("ZENDESK_BASE_URL"),
		Secrets:          src,
		Filed:            parts.Tickets,
		Requesters:       parts.Requesters,
		Metrics:          m,
		// Deployments still on a Zendesk API token show on the dashboard.
		LegacyZendeskToken: m.LegacyZendeskTokenUsed,
	}
	f := lambdaio.Function{Refused: m.Answered}
	if parts.Queue != nil {
		cfg.Queue, f.Visibility = parts.Queue, parts.Queue
	}
	f.API = tickets.NewHandler(cfg, mis)
	f.Consumer, _ = f.API.(queue.Consumer)
	return f
}
