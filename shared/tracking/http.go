package tracking

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Budget is the time one request may take. Zendesk gives up at 12 seconds;
// the answer, retries included, must come within 10, and a cold start
// spends some of that before the handler runs.
const Budget = 8 * time.Second

// Retry-After bounds: Zendesk retries a 503 only when it asks for less than
// a minute.
const (
	minRetryAfter     = 1
	maxRetryAfter     = 59
	defaultRetryAfter = 10 * time.Second
)

// Handler is the POST /zendesk/events route.
type Handler struct {
	Service   *Service
	Log       *slog.Logger
	Misconfig *webhook.Misconfig
	Now       func() time.Time // nil means time.Now
	Metrics   Metrics          // nil: none recorded
	// Reconciler runs for the schedule's event; nil when the function has
	// no support state to reconcile.
	Reconciler *Reconciler
}

// Metrics is where the route counts what became of each delivery and each
// retry queue record: a *metrics.Recorder in Lambda.
type Metrics interface {
	Delivery(o metrics.Outcome, d metrics.Downstream)
	Redelivery(o metrics.Outcome, d metrics.Downstream)
}

// Answer is the 200 (or 202) body.
type Answer struct {
	Message string `json:"message"`
	braze.Result
	Duplicate bool `json:"duplicate,omitempty"`
	Queued    bool `json:"queued,omitempty"`
}

// MaxInvocationID bounds X-Zendesk-Webhook-Invocation-Id, which is not
// signed: Zendesk's own are far shorter, and an unbounded one would be
// stored and logged whole.
const MaxInvocationID = 128

// InvocationProperty is the event property that carries the Zendesk
// invocation id, so that analytics can tell the rare event Braze stored
// twice (its answer lost in flight, /users/track has no idempotency).
const InvocationProperty = "zendesk_invocation_id"

// ServeWebhook verifies Zendesk's signature, reads the body, completes it
// from the Zendesk API when it must, and delivers it once.
func (h *Handler) ServeWebhook(ctx context.Context, req webhook.Request) webhook.Response {
	ctx, cancel := context.WithTimeout(ctx, Budget)
	defer cancel()
	ctx, tally := h.tally(ctx)
	resp, o, cause := h.serve(ctx, req)
	h.recordDelivery(resp.Status, o, cause, tally)
	return resp
}

// serve answers req, and says what became of it for the metrics: the
// outcome when its status does not say it, and the failure that failed or
// queued it.
func (h *Handler) serve(ctx context.Context, req webhook.Request) (webhook.Response, metrics.Outcome, error) {
	invocation := strings.TrimSpace(req.Header[zendesk.InvocationIDHeader])
	if len(invocation) > MaxInvocationID {
		return webhook.BadRequest(webhook.Invalid(zendesk.InvocationIDHeader,
			"X-Zendesk-Webhook-Invocation-Id is longer than %d bytes: it is not one Zendesk sent", MaxInvocationID)), "", nil
	}
	signedAt, fail := h.verify(ctx, req)
	if fail != nil {
		return *fail, "", nil
	}
	msg, err := Parse(req.Body, signedAt)
	if err != nil {
		return webhook.BadRequest(err), "", nil
	}
	if msg.PrivateComment && !h.Service.SendPrivateComments {
		msg.Ignored = "a private comment (an internal note) is not a customer event; SEND_PRIVATE_COMMENTS=yes sends it as " + PrivateCommentEvent
	}
	if msg.Ignored != "" {
		h.Log.InfoContext(ctx, "nothing to deliver", "reason", msg.Ignored)
		return webhook.JSON(http.StatusOK, Answer{Message: "ignored: " + msg.Ignored}), metrics.Ignored, nil
	}
	sig := signatureKey(req.Header[zendesk.SignatureHeader])
	if invocation == "" {
		invocation = "signature:" + sig // a retry without the header is a replay
	}
	msg.Stamp(invocation)
	d, err := h.Service.Deliver(ctx, Inbound{Invocation: invocation, Signature: sig, SignedAt: signedAt, Message: msg}, h.Log)
	switch {
	case err != nil:
		return h.fail(ctx, invocation, "delivery failed", err), "", err
	case d.Duplicate:
		h.Log.InfoContext(ctx, "duplicate invocation skipped", "invocation_id", invocation)
		return webhook.JSON(http.StatusOK, Answer{Message: "already delivered", Duplicate: true}), metrics.Duplicate, nil
	case d.Queued:
		h.Log.InfoContext(ctx, "delivery queued", "invocation_id", invocation)
		return webhook.JSON(http.StatusAccepted, Answer{Message: "queued for delivery", Queued: true}), metrics.Queued, d.cause
	}
	h.Log.InfoContext(ctx, "delivered to braze", "invocation_id", invocation,
		"events", d.EventsProcessed, "attributes", d.AttributesProcessed, "purchases", d.PurchasesProcessed, "minor_errors", len(d.Errors))
	return webhook.JSON(http.StatusOK, Answer{Message: "success", Result: d.Result}), metrics.Created, nil
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

// tally counts the Zendesk and Braze requests made under the returned
// context, when the handler records metrics.
func (h *Handler) tally(ctx context.Context) (context.Context, *metrics.Tally) {
	if h.Metrics == nil {
		return ctx, nil
	}
	t := &metrics.Tally{}
	return counting(ctx, t), t
}

// counting is ctx under which the requests sent are added to t (nil: none).
func counting(ctx context.Context, t *metrics.Tally) context.Context {
	if t == nil {
		return ctx
	}
	return retry.WithObserver(ctx, func(a retry.Attempt) { t.Try(a.N, a.Took) })
}

// recordDelivery counts a webhook call answered with status: o, or the
// outcome its status says; what it met in Zendesk and Braze; and a
// credential failure when either refused the credentials (cause) or the
// function is misconfigured (500).
func (h *Handler) recordDelivery(status int, o metrics.Outcome, cause error, t *metrics.Tally) {
	if h.Metrics == nil {
		return
	}
	if o == "" {
		o = metrics.OutcomeOf(status)
	}
	h.Metrics.Delivery(o, downstream(t, cause, status == http.StatusInternalServerError))
}

// downstream is t's tally with the Status of the Braze or Zendesk failure
// cause, and whether the credentials failed.
func downstream(t *metrics.Tally, cause error, misconfigured bool) metrics.Downstream {
	d := t.Downstream()
	var be *braze.Error
	var ze *zendesk.Error
	switch {
	case errors.As(cause, &be):
		d.Status = metrics.StatusOf(be.Status, be.Timeout())
	case errors.As(cause, &ze):
		d.Status = metrics.StatusOf(ze.Status, ze.Timeout())
	}
	d.CredentialFailure = misconfigured || rejected(cause)
	return d
}

// signatureKey is a digest of the signature header: unique per timestamp
// and body, and not itself a credential to store.
func signatureKey(sig string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(sig)))
	return hex.EncodeToString(sum[:16])
}

// verify checks the signature with the secret's signing secret. A
// mismatch reads the secret again first (at most every few seconds per
// container), so a signing secret rotated in Zendesk and then in the
// secret works at once.
func (h *Handler) verify(ctx context.Context, req webhook.Request) (time.Time, *webhook.Response) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	vals, err := h.Service.Secrets.Require(ctx, KeyWebhookSecret)
	if err != nil {
		r := h.Misconfig.Fail(ctx, err)
		return time.Time{}, &r
	}
	at, err := zendesk.VerifyZendesk(vals.Get(KeyWebhookSecret), req.Header, req.Body, now())
	if errors.Is(err, zendesk.ErrBadSignature) {
		if v, refetched, rerr := h.Service.Secrets.Recheck(ctx); rerr == nil && refetched && v.Get(KeyWebhookSecret) != "" {
			at, err = zendesk.VerifyZendesk(v.Get(KeyWebhookSecret), req.Header, req.Body, now())
		}
	}
	if err != nil {
		r := webhook.Fail(webhook.Errorf(http.StatusUnauthorized, err.Error()))
		return time.Time{}, &r
	}
	return at, nil
}

// fail answers err: the caller's mistake, the operator's, a passing fault
// of the secret, or a failure of Zendesk or Braze.
func (h *Handler) fail(ctx context.Context, invocation, what string, err error) webhook.Response {
	var inv *webhook.InvalidError
	var ce *secrets.ConfigError
	var ue *secrets.UnavailableError
	var ze *zendesk.Error
	var zc *zendesk.CredentialError
	var se *StoreError
	var qe *QueueError
	switch {
	case errors.As(err, &inv):
		return webhook.BadRequest(inv)
	case errors.Is(err, ErrBusy):
		return webhook.Fail(webhook.Errorf(http.StatusConflict, ErrBusy.Error()))
	case errors.As(err, &se):
		h.Log.ErrorContext(ctx, "the dedupe table could not be reached", "invocation_id", invocation, "error", err.Error())
		return webhook.Fail(unavailable("the delivery could not be checked against earlier ones just now; retry later", 0))
	case errors.As(err, &qe):
		h.Log.ErrorContext(ctx, what, "invocation_id", invocation, "error", err.Error())
		return webhook.Fail(unavailable("the delivery could not be queued just now; retry later", 0))
	case errors.As(err, &ce), errors.As(err, &ue):
		return h.Misconfig.Fail(ctx, err)
	case errors.As(err, &zc):
		h.Log.ErrorContext(ctx, what, "invocation_id", invocation, "error", err.Error())
		return webhook.Fail(webhook.Errorf(http.StatusBadGateway, zc.Reason))
	case errors.As(err, &ze):
		h.Log.WarnContext(ctx, what, "invocation_id", invocation, "error", err.Error())
		return webhook.Fail(zendeskFailure(ze))
	default:
		h.Log.WarnContext(ctx, what, "invocation_id", invocation, "error", err.Error())
		return webhook.Fail(failure(err))
	}
}

// zendeskFailure maps a failed read of a ticket or user. Zendesk retries
// only 409, 429, 503 with a short Retry-After, and timeouts.
func zendeskFailure(ze *zendesk.Error) *webhook.Error {
	switch ze.Status {
	case http.StatusUnauthorized:
		return webhook.Errorf(http.StatusBadGateway, "Zendesk rejected the credentials from the secret, also after renewing them: fix them in the secret")
	case http.StatusForbidden:
		return webhook.Errorf(http.StatusBadGateway, "Zendesk refused the request (403): the user the bridge acts as (the OAuth client's owner, or the API token's agent) may not read tickets or users")
	case http.StatusTooManyRequests:
		return unavailable("Zendesk is rate limiting the ticket read; retry later", ze.RetryAfter)
	}
	if again, _ := ze.Retryable(); again || ze.Timeout() || ze.Status == 0 {
		return unavailable("Zendesk could not be read; retry later", ze.RetryAfter)
	}
	return webhook.Errorf(http.StatusBadGateway, "Zendesk answered "+http.StatusText(ze.Status)+" to "+ze.Op+": check ZENDESK_SUBDOMAIN")
}

// failure maps a Braze failure to the answer Zendesk should get. Zendesk
// retries only 409, 429, 503 with a short Retry-After, and timeouts, so
// everything passing is a 503 with one.
func failure(err error) *webhook.Error {
	var be *braze.Error
	if !errors.As(err, &be) {
		return unavailable("the delivery could not be completed; retry later", 0)
	}
	switch {
	case be.KeyRejected():
		return webhook.Errorf(http.StatusBadGateway, fmt.Sprintf(
			"Braze does not know braze_api_key from the secret (it answered %d), also after reading it again: fix it in the secret "+
				"(a key works only on the instance that made it: BRAZE_REST_ENDPOINT must be that instance)", be.Status))
	case be.Status == http.StatusForbidden:
		return webhook.Errorf(http.StatusBadGateway, "Braze refused the request (403): the API key needs the users.track permission")
	case be.Status == http.StatusBadRequest || be.Status == http.StatusRequestEntityTooLarge || be.Status == http.StatusUnprocessableEntity:
		e := &webhook.Error{Status: http.StatusBadRequest, Message: "Braze refused the body: " + be.Message}
		if len(be.Errors) > 0 {
			e.Details = be.Errors
		}
		return e
	case be.Status == http.StatusTooManyRequests:
		return unavailable("Braze is rate limiting; retry later", be.RetryAfter)
	case be.Timeout():
		return unavailable("Braze did not answer in time; retry later", be.RetryAfter)
	default:
		return unavailable("Braze is failing; retry later", be.RetryAfter)
	}
}

func unavailable(msg string, wait time.Duration) *webhook.Error {
	if wait <= 0 {
		wait = defaultRetryAfter
	}
	s := min(max(int(math.Ceil(wait.Seconds())), minRetryAfter), maxRetryAfter)
	return &webhook.Error{Status: http.StatusServiceUnavailable, Message: msg, RetryAfter: s}
}
