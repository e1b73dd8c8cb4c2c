package tracking

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/pacing"
	"github.com/brazezendesk/bridge/shared/queue"
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
	Dedupe            dedupe.Store   // shared by all containers; nil: this container's memory
	Queue             queue.Sender   // the retry queue; nil: none
	DeliveryMode      string         // "direct" (or "") or "queued"
	ObjectsPerRequest string         // BRAZE_OBJECTS_PER_REQUEST: the Braze contract's limit; "" is 75
	CreateProfiles    string         // BRAZE_CREATE_PROFILES: yes or no (""): may Braze create unknown requesters' profiles
	PrivateComments   string         // SEND_PRIVATE_COMMENTS: yes or no (""): send internal notes, under their own event name
	Metrics           Metrics        // where deliveries are counted; nil: nowhere
	SupportState      string         // SUPPORT_STATE: on ("") or off
	// RequestsPerMinute (ZENDESK_REQUESTS_PER_MINUTE) is the Zendesk rate
	// the bridge may use; reconciliation takes half of it at most. "" is 400.
	RequestsPerMinute string
	// BackfillHours (RECONCILE_BACKFILL_HOURS) is how far back a first
	// reconciliation run starts; "" is 24.
	BackfillHours string
	// ReconcileMetrics counts reconciliation runs; nil: nowhere.
	ReconcileMetrics ReconcileMetrics
	// SatisfactionComments (SATISFACTION_COMMENTS: yes, or no ("")) passes
	// a rating's free-text comment on as an event property.
	SatisfactionComments string
	// LegacyZendeskToken is called once per container that calls Zendesk
	// with an API token rather than OAuth; nil: not counted.
	LegacyZendeskToken func()
}

// NewHandler wires the route. A configuration problem becomes a handler
// that answers 500 naming it, so the process keeps serving.
func NewHandler(cfg Config, mis *webhook.Misconfig) webhook.Handler {
	base, err := braze.Endpoint(cfg.BrazeRESTEndpoint)
	if err != nil {
		return Unconfigured(mis, cfg.Metrics, err)
	}
	cache := secrets.NewCache(cfg.Secrets, secrets.DefaultTTL)
	svc := &Service{
		// One attempt may take 4 s, so that a retry still fits in the budget.
		Braze:   braze.New(base, &http.Client{Timeout: 4 * time.Second}),
		Secrets: cache,
		Dedupe:  cfg.Dedupe,
		Queue:   cfg.Queue,
	}
	if svc.Dedupe == nil {
		svc.Dedupe = dedupe.NewMemory()
	}
	if svc.ObjectsPerRequest, err = braze.ObjectsPerRequest(cfg.ObjectsPerRequest); err != nil {
		return Unconfigured(mis, cfg.Metrics, err)
	}
	if svc.CreateProfiles, err = braze.CreateProfiles(cfg.CreateProfiles); err != nil {
		return Unconfigured(mis, cfg.Metrics, err)
	}
	if svc.SendPrivateComments, err = yesNo("SEND_PRIVATE_COMMENTS", cfg.PrivateComments); err != nil {
		return Unconfigured(mis, cfg.Metrics, err)
	}
	svc.Log = mis.Log
	if svc.SupportState, err = SupportState(cfg.SupportState); err != nil {
		return Unconfigured(mis, cfg.Metrics, err)
	}
	if svc.SatisfactionComments, err = yesNo("SATISFACTION_COMMENTS", cfg.SatisfactionComments); err != nil {
		return Unconfigured(mis, cfg.Metrics, err)
	}
	switch strings.ToLower(strings.TrimSpace(cfg.DeliveryMode)) {
	case "", "direct":
	case "queued":
		if cfg.Queue == nil {
			return Unconfigured(mis, cfg.Metrics, errors.New("DELIVERY_MODE is queued, but RETRY_QUEUE_URL is not set"))
		}
		svc.Queued = true
	default:
		return Unconfigured(mis, cfg.Metrics, errors.New("DELIVERY_MODE must be direct or queued"))
	}
	if strings.TrimSpace(cfg.ZendeskSubdomain+cfg.ZendeskBaseURL) != "" {
		zd, err := zendesk.BaseURL(cfg.ZendeskSubdomain, cfg.ZendeskBaseURL)
		if err != nil {
			return Unconfigured(mis, cfg.Metrics, err)
		}
		// A read gets 3 s, so that a retry and the Braze call still fit.
		hc := &http.Client{Timeout: 3 * time.Second}
		auth := zendesk.NewSecretAuth(cache, zd, hc, zendesk.ScopesReadTickets, mis.Log)
		auth.LegacyToken = cfg.LegacyZendeskToken
		svc.Zendesk = zendesk.New(zd, hc, auth)
	}
	h := &Handler{Service: svc, Log: mis.Log, Misconfig: mis, Metrics: cfg.Metrics}
	if h.Reconciler, err = newReconciler(cfg, svc); err != nil {
		return Unconfigured(mis, cfg.Metrics, err)
	}
	return h
}

// newReconciler wires reconciliation, when there is support state to
// reconcile and a Zendesk account to read it from.
func newReconciler(cfg Config, svc *Service) (*Reconciler, error) {
	rpm, err := pacing.PerMinuteFromEnv("ZENDESK_REQUESTS_PER_MINUTE", cfg.RequestsPerMinute)
	if err != nil {
		return nil, err
	}
	if rpm == 0 {
		rpm = 400 // the template's default
	}
	hours, err := positive(cfg.BackfillHours, 24, "RECONCILE_BACKFILL_HOURS")
	if err != nil {
		return nil, err
	}
	export, ok := svc.Zendesk.(Exporter)
	cursors, cok := svc.Dedupe.(dedupe.Cursors)
	if !svc.SupportState || !ok || !cok {
		return nil, nil
	}
	return &Reconciler{
		Service: svc, Export: export, Cursors: cursors,
		// Half the account's rate, so that live webhooks and the queue's
		// consumers keep the rest; the export has its own 10 a minute.
		Pacer:       &pacing.Interval{PerMinute: max(rpm/2, 1)},
		ExportPacer: &pacing.Interval{PerMinute: 10},
		Backfill:    time.Duration(hours) * time.Hour,
		Reserve:     2 * time.Second,
		Metrics:     cfg.ReconcileMetrics,
		Log:         svc.Log,
	}, nil
}

// positive reads a whole number variable, def when empty.
func positive(raw string, def int, name string) (int, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a whole number above 0", name)
	}
	return n, nil
}

// yesNo reads a yes/no setting: yes or true, no, false or empty.
func yesNo(name, raw string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "", "no", "false":
		return false, nil
	case "yes", "true":
		return true, nil
	}
	return false, fmt.Errorf("%s must be yes or no", name)
}
