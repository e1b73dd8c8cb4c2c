package tracking

import (
	"net/http"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Config is what the route needs from its environment.
type Config struct {
	BrazeRESTEndpoint string         // https://rest.iad-01.braze.com
	ZendeskSubdomain  string         // acme, to read tickets and users; optional
	ZendeskBaseURL    string         // optional; wins over the subdomain
	Secrets           secrets.Source // the function's secret
}

// NewHandler wires the route. A configuration problem becomes a handler
// that answers 500 naming it, so the process keeps serving.
func NewHandler(cfg Config, mis *webhook.Misconfig) webhook.Handler {
	base, err := braze.Endpoint(cfg.BrazeRESTEndpoint)
	if err != nil {
		return mis.Unconfigured(err)
	}
	svc := &Service{
		// One attempt may take 4 s, so that a retry still fits in the budget.
		Braze:   braze.New(base, &http.Client{Timeout: 4 * time.Second}),
		Secrets: secrets.NewCache(cfg.Secrets, secrets.DefaultTTL),
		Dedupe:  dedupe.NewMemory(),
	}
	if strings.TrimSpace(cfg.ZendeskSubdomain+cfg.ZendeskBaseURL) != "" {
		zd, err := zendesk.BaseURL(cfg.ZendeskSubdomain, cfg.ZendeskBaseURL)
		if err != nil {
			return mis.Unconfigured(err)
		}
		// A read gets 3 s, so that a retry and the Braze call still fit.
		svc.Zendesk = zendesk.New(zd, &http.Client{Timeout: 3 * time.Second})
	}
	return &Handler{Service: svc, Log: mis.Log, Misconfig: mis}
}
