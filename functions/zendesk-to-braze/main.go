// Command zendesk-to-braze is the Lambda function behind POST /zendesk/events:
// a signed Zendesk webhook logs events on Braze user profiles, with the
// requester's support state. It also consumes its retry queue, and runs
// reconciliation on its schedule.
package main

import (
	"context"
	"os"

	"github.com/brazezendesk/bridge/shared/durability"
	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/webhook"
)

func main() { lambdaio.Main(build) }

// build wires the function from the environment; what is missing becomes
// a 500 naming it rather than a crash, so the function keeps answering.
func build(ctx context.Context, mis *webhook.Misconfig) lambdaio.Function {
	// EMF lines on stdout become CloudWatch metrics.
	m := metrics.New(os.Stdout, metrics.ZendeskToBraze)
	src, err := secrets.FromEnv(ctx)
	if err != nil {
		return lambdaio.Function{API: tracking.Unconfigured(mis, m, err), Refused: m.Answered}
	}
	parts, err := durability.FromEnv(ctx)
	if err != nil {
		return lambdaio.Function{API: tracking.Unconfigured(mis, m, err), Refused: m.Answered}
	}
	cfg := tracking.Config{
		BrazeRESTEndpoint:    os.Getenv("BRAZE_REST_ENDPOINT"),
		ZendeskSubdomain:     os.Getenv("ZENDESK_SUBDOMAIN"),
		ZendeskBaseURL:       os.Getenv("ZENDESK_BASE_URL"),
		DeliveryMode:         os.Getenv("DELIVERY_MODE"),
		ObjectsPerRequest:    os.Getenv("BRAZE_OBJECTS_PER_REQUEST"),
		CreateProfiles:       os.Getenv("BRAZE_CREATE_PROFILES"),
		PrivateComments:      os.Getenv("SEND_PRIVATE_COMMENTS"),
		SupportState:         os.Getenv("SUPPORT_STATE"),
		SatisfactionComments: os.Getenv("SATISFACTION_COMMENTS"),
		RequestsPerMinute:    os.Getenv("ZENDESK_REQUESTS_PER_MINUTE"),
		BackfillHours:        os.Getenv("RECONCILE_BACKFILL_HOURS"),
		ReconcileMetrics:     m,
		Secrets:              src,
		Dedupe:               parts.Store,
		Metrics:              m,
		// Deployments still on a Zendesk API token show on the dashboard.
		LegacyZendeskToken: m.LegacyZendeskTokenUsed,
	}
	f := lambdaio.Function{Refused: m.Answered}
	if parts.Queue != nil {
		cfg.Queue, f.Visibility = parts.Queue, parts.Queue
	}
	f.API = tracking.NewHandler(cfg, mis)
	f.Consumer, _ = f.API.(queue.Consumer)
	// The reconciliation schedule's events run through the same entry point.
	f.Schedule, _ = f.API.(lambdaio.Scheduled)
	return f
}
