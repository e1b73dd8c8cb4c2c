// Command braze-to-zendesk is the Lambda function behind POST /braze/tickets:
// a Braze webhook files a Zendesk ticket. It also consumes its retry queue.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/brazezendesk/bridge/shared/durability"
	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/pacing"
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
	rpm, err := pacing.PerMinuteFromEnv("ZENDESK_REQUESTS_PER_MINUTE", os.Getenv("ZENDESK_REQUESTS_PER_MINUTE"))
	if err != nil {
		return lambdaio.Function{API: tickets.Unconfigured(mis, m, err), Refused: m.Answered}
	}
	cfg := tickets.Config{
		ZendeskSubdomain: os.Getenv("ZENDESK_SUBDOMAIN"),
		ZendeskBaseURL:   os.Getenv("ZENDESK_BASE_URL"),
		Secrets:          src,
		Filed:            parts.Tickets,
		Requesters:       parts.Requesters,
		Delivery:         os.Getenv("TICKET_DELIVERY"),
		Claims:           parts.Store,
		Submissions:      parts.Submissions,
		Metrics:          m,
		// Deployments still on a Zendesk API token show on the dashboard.
		LegacyZendeskToken: m.LegacyZendeskTokenUsed,
	}
	if rpm > 0 {
		cfg.ZendeskPace = zendeskBudget(parts.ZendeskBudget, rpm, mis.Log)
	}
	f := lambdaio.Function{Refused: m.Answered}
	if parts.Queue != nil {
		cfg.Queue, f.Visibility = parts.Queue, parts.Queue
	}
	f.API = tickets.NewHandler(cfg, mis)
	f.Consumer, _ = f.API.(queue.Consumer)
	return f
}

// zendeskBudget paces this container's Zendesk calls within rpm a minute,
// drawn from the budget every container shares (the dedupe table), or
// this container's own without one (local runs).
func zendeskBudget(shared pacing.Counter, rpm int, log *slog.Logger) *pacing.Budget {
	if shared == nil {
		shared = pacing.NewMemory()
	}
	return &pacing.Budget{Counter: shared, PerMinute: rpm, Unpaced: func(err error) {
		log.Warn("the shared budget of Zendesk calls could not be read; this call goes unpaced", "error", err.Error())
	}}
}
