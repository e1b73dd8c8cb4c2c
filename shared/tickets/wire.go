package tickets

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Config is what the route needs from its environment.
type Config struct {
	ZendeskSubdomain string            // acme for https://acme.zendesk.com
	ZendeskBaseURL   string            // optional; wins over the subdomain
	Secrets          secrets.Source    // the function's secret
	Queue            queue.Sender      // the retry queue; nil: none
	Filed            dedupe.Tickets    // tickets filed from the queue; nil: none
	Requesters       dedupe.Requesters // who holds each Braze identity; nil: none
	ZendeskPace      zendesk.Pacer     // the budget of Zendesk calls; nil: unpaced
	Metrics          Metrics           // where deliveries are counted; nil: nowhere
	// LegacyZendeskToken is called once per container that calls Zendesk
	// with an API token rather than OAuth; nil: not counted.
	LegacyZendeskToken func()
	// Delivery is TICKET_DELIVERY: "direct" (or empty) files each ticket
	// as its webhook comes; "bulk" queues it, and the queue's consumer
	// files a hundred a call. Bulk needs Queue.
	Delivery    string
	Claims      dedupe.Store       // bulk: a ticket's key claimed as it is queued; nil: memory
	Submissions dedupe.Submissions // bulk: tickets handed to jobs; nil: memory
}

// Deliveries TICKET_DELIVERY takes.
const (
	DeliveryDirect = "direct"
	DeliveryBulk   = "bulk"
)

// NewHandler wires the route. A configuration problem becomes a handler
// that answers 500 naming it, so the process keeps serving.
func NewHandler(cfg Config, mis *webhook.Misconfig) webhook.Handler {
	base, err := zendesk.BaseURL(cfg.ZendeskSubdomain, cfg.ZendeskBaseURL)
	if err != nil {
		return Unconfigured(mis, cfg.Metrics, err)
	}
	cache := secrets.NewCache(cfg.Secrets, secrets.DefaultTTL)
	// One attempt may not take the whole budget, so a retry can follow.
	hc := &http.Client{Timeout: 12 * time.Second}
	auth := zendesk.NewSecretAuth(cache, base, hc, zendesk.ScopesFileTickets, mis.Log)
	auth.LegacyToken = cfg.LegacyZendeskToken
	client := zendesk.New(base, hc, auth)
	client.Pace = cfg.ZendeskPace
	svc := &Service{
		Zendesk:    client,
		Secrets:    cache,
		Queue:      cfg.Queue,
		Filed:      cfg.Filed,
		Requesters: cfg.Requesters,
	}
	h := &Handler{Service: svc, Log: mis.Log, Misconfig: mis, Metrics: cfg.Metrics}
	switch strings.TrimSpace(cfg.Delivery) {
	case "", DeliveryDirect:
	case DeliveryBulk:
		if cfg.Queue == nil {
			return Unconfigured(mis, cfg.Metrics, errors.New("TICKET_DELIVERY=bulk needs RETRY_QUEUE_URL: the queue its tickets wait on"))
		}
		mem := dedupe.NewMemory()
		mode := &BulkMode{Claims: cfg.Claims, Bulk: &Bulk{Service: svc, Zendesk: client, Submissions: cfg.Submissions, Log: mis.Log}}
		if mode.Claims == nil {
			mode.Claims = mem
		}
		if mode.Bulk.Submissions == nil {
			mode.Bulk.Submissions = mem
		}
		h.Bulk = mode
	default:
		return Unconfigured(mis, cfg.Metrics, errors.New("TICKET_DELIVERY must be direct or bulk"))
	}
	return h
}
