package tickets

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"time"

	"github.com/brazezendesk/bridge/shared/bearer"
	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Budget bounds one request when the platform sets no deadline, and is
// below API Gateway's 30-second integration limit.
const Budget = 28 * time.Second

// Handler is the POST /braze/tickets route.
type Handler struct {
	Service   *Service
	Log       *slog.Logger
	Misconfig *webhook.Misconfig
	Metrics   Metrics // nil: none recorded
	// Bulk, when set, takes tickets in bulk mode: queued by the webhook,
	// filed a hundred a call by the queue's consumer.
	Bulk *BulkMode
}

// Metrics is where the route counts what became of each delivery and each
// retry queue record: a *metrics.Recorder in Lambda.
type Metrics interface {
	Delivery(o metrics.Outcome, d metrics.Downstream)
	Redelivery(o metrics.Outcome, d metrics.Downstream)
}

// Answer is the 201 body.
type Answer struct {
	TicketID int64  `json:"ticket_id"`
	URL      string `json:"url"`
}

// Queued is the 202 body: the ticket is on the retry queue.
type Queued struct {
	Message string `json:"message"`
	Queued  bool   `json:"queued"`
}

// ServeWebhook authenticates Braze, parses the ticket and files it.
func (h *Handler) ServeWebhook(ctx context.Context, req webhook.Request) webhook.Response {
	ctx, cancel := context.WithTimeout(ctx, Budget)
	defer cancel()
	ctx, tally := h.tally(ctx)
	resp, o, cause := h.serve(ctx, req)
	h.recordDelivery(resp.Status, o, cause, tally)
	return resp
}

// serve answers req, and says what became of it for the metrics: the
// outcome when its status does not say it, and the Zendesk failure that
// failed or queued it.
func (h *Handler) serve(ctx context.Context, req webhook.Request) (webhook.Response, metrics.Outcome, error) {
	if fail := h.authenticate(ctx, req); fail != nil {
		return *fail, "", nil
	}
	r, err := Parse(req.Body)
	if err != nil {
		return webhook.BadRequest(err), "", nil
	}
	key := IdempotencyKey(req.Header["idempotency-key"], req.Body, r.Identity())
	if h.Bulk != nil {
		return h.queueBulk(ctx, r, key)
	}
	created, err := h.Service.Create(ctx, r, key)
	if err != nil {
		if again, _ := retryable(err); again && h.Service.Queue != nil {
			qerr := h.Service.enqueue(ctx, r, key)
			if qerr == nil {
				h.Log.WarnContext(ctx, "ticket queued for a retry", "error", err.Error())
				return webhook.JSON(http.StatusAccepted, Queued{Message: "queued: the ticket will be filed once Zendesk answers", Queued: true}),
					metrics.Queued, err
			}
			h.Log.ErrorContext(ctx, "the retry queue could not be written", "error", qerr.Error())
		}
		var ce *secrets.ConfigError
		var ue *secrets.UnavailableError
		if errors.As(err, &ce) || errors.As(err, &ue) {
			return h.Misconfig.Fail(ctx, err), "", err
		}
		h.Log.WarnContext(ctx, "zendesk call failed", "error", err.Error())
		return webhook.Fail(failure(err)), "", err
	}
	h.Log.InfoContext(ctx, "ticket filed", "ticket_id", created.ID, "replayed", created.Replayed)
	o := metrics.Created
	if created.Replayed {
		o = metrics.Replayed
	}
	return webhook.JSON(http.StatusCreated, Answer{TicketID: created.ID, URL: created.URL}), o, nil
}

// Unconfigured is the route of a function whose variables are wrong: it
// answers every request as mis does for err, and counts each as a failed
// delivery of a misconfigured function.
func Unconfigured(mis *webhook.Misconfig, m Metrics, err error) webhook.Handler {
	if m == nil {
		return mis.Unconfigured(err)
	}
	h := &Handler{Metrics: m}
	return webhook.HandlerFunc(func(ctx context.Context, _ webhook.Request) webhook.Response {
		resp := mis.Fail(ctx, err)
		h.recordDelivery(resp.Status, "", nil, nil)
		return resp
	})
}

// tally counts the Zendesk requests made under the returned context, when
// the handler records metrics.
func (h *Handler) tally(ctx context.Context) (context.Context, *metrics.Tally) {
	if h.Metrics == nil {
		return ctx, nil
	}
	t := &metrics.Tally{}
	return retry.WithObserver(ctx, func(a retry.Attempt) { t.Try(a.N, a.Took) }), t
}

// recordDelivery counts a webhook call answered with status: o, or the
// outcome its status says; what it met in Zendesk; and a credential
// failure when Zendesk refused the credentials (cause) or the function
// is misconfigured (500).
func (h *Handler) recordDelivery(status int, o metrics.Outcome, cause error, t *metrics.Tally) {
	if h.Metrics == nil {
		return
	}
	if o == "" {
		o = metrics.OutcomeOf(status)
	}
	h.Metrics.Delivery(o, downstream(t, cause, status == http.StatusInternalServerError))
}

// downstream is t's tally with the Status of the Zendesk failure cause,
// and whether the credentials failed.
func downstream(t *metrics.Tally, cause error, misconfigured bool) metrics.Downstream {
	d := t.Downstream()
	var ze *zendesk.Error
	if errors.As(cause, &ze) {
		d.Status = metrics.StatusOf(ze.Status, ze.Timeout() || errors.Is(cause, context.DeadlineExceeded))
	}
	d.CredentialFailure = misconfigured || rejected(cause)
	return d
}

// authenticate checks Braze's bearer token. A mismatch reads the secret
// again first (at most every few seconds per container), so a token
// rotated in the secret and in Braze works at once.
func (h *Handler) authenticate(ctx context.Context, req webhook.Request) *webhook.Response {
	vals, err := h.Service.Secrets.Require(ctx, KeyWebhookToken)
	if err != nil {
		r := h.Misconfig.Fail(ctx, err)
		return &r
	}
	auth := req.Header["authorization"]
	ok := bearer.Matches(auth, vals.Get(KeyWebhookToken))
	if !ok {
		if v, refetched, err := h.Service.Secrets.Recheck(ctx); err == nil && refetched {
			ok = bearer.Matches(auth, v.Get(KeyWebhookToken))
		}
	}
	if !ok {
		r := webhook.Fail(webhook.Errorf(http.StatusUnauthorized,
			"send the header Authorization: Bearer <braze_webhook_token from the function's secret>"))
		return &r
	}
	return nil
}

// failure maps a Zendesk failure to the answer Braze should get: 4xx for
// what a retry cannot fix, 429/5xx (which Braze retries) for what it can.
func failure(err error) *webhook.Error {
	var ce *zendesk.CredentialError
	if errors.As(err, &ce) {
		return webhook.Errorf(http.StatusBadGateway, ce.Reason)
	}
	var ze *zendesk.Error
	if !errors.As(err, &ze) {
		return webhook.Errorf(http.StatusBadGateway, "Zendesk could not be reached")
	}
	var oot *retry.OutOfTimeError
	outOfTime := errors.As(err, &oot)
	switch {
	case ze.Timeout() || errors.Is(err, context.DeadlineExceeded):
		return webhook.Errorf(http.StatusGatewayTimeout, "Zendesk did not answer in time")
	case ze.Status == 0:
		return webhook.Errorf(http.StatusBadGateway, "Zendesk could not be reached")
	case ze.Status == http.StatusUnauthorized:
		return webhook.Errorf(http.StatusBadGateway, "Zendesk rejected the credentials from the secret, also after renewing them: fix them in the secret")
	case ze.Status == http.StatusForbidden:
		return webhook.Errorf(http.StatusBadGateway, "Zendesk refused the request (403): the user the bridge acts as (the OAuth client's owner, or the API token's agent) may not create tickets or users")
	case ze.Status == http.StatusNotFound:
		return webhook.Errorf(http.StatusBadGateway, "Zendesk answered 404: check ZENDESK_SUBDOMAIN")
	case ze.Status == http.StatusTooManyRequests:
		return &webhook.Error{Status: http.StatusTooManyRequests, Message: "Zendesk is rate limiting; retry later",
			RetryAfter: seconds(waitOf(oot, outOfTime, ze))}
	case ze.Status == http.StatusServiceUnavailable || ze.Status == http.StatusConflict:
		return &webhook.Error{Status: http.StatusServiceUnavailable, Message: "Zendesk is unavailable; retry later",
			RetryAfter: seconds(waitOf(oot, outOfTime, ze))}
	case ze.Status >= 500:
		return webhook.Errorf(http.StatusBadGateway, "Zendesk failed with "+http.StatusText(ze.Status))
	default:
		msg := "Zendesk refused to " + ze.Op
		if ze.Code != "" {
			msg += ": " + ze.Code
		}
		if ze.Description != "" {
			msg += ": " + ze.Description
		}
		e := &webhook.Error{Status: http.StatusUnprocessableEntity, Message: msg}
		if len(ze.Details) > 0 {
			e.Details = ze.Details
		}
		return e
	}
}

func waitOf(oot *retry.OutOfTimeError, ok bool, ze *zendesk.Error) time.Duration {
	if ok && oot.Wait > 0 {
		return oot.Wait
	}
	return ze.RetryAfter
}

// seconds rounds a wait up to whole seconds; 0 means none was said.
func seconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}
