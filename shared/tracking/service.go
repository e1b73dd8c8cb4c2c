package tracking

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/secrets"
)

// Secret keys this direction reads.
const (
	KeyAPIKey        = "braze_api_key"
	KeyWebhookSecret = "zendesk_webhook_secret"
)

// Braze is the part of the Braze API the service uses.
type Braze interface {
	Send(ctx context.Context, apiKey string, batch braze.Track) (braze.Result, error)
}

// Delivery is what became of one invocation.
type Delivery struct {
	braze.Result
	Duplicate bool // delivered or queued before, or a replay: nothing was sent
	Queued    bool // on the retry queue, to be delivered by its consumer

	cause error // why a delivery was queued rather than made, for the metrics
}

// Service delivers Zendesk webhooks to Braze, each once.
type Service struct {
	Braze   Braze
	Secrets secrets.Fetcher
	Dedupe  dedupe.Store
	Zendesk Zendesk      // nil when the function has no Zendesk account to read
	Queue   queue.Sender // nil when the function has no retry queue
	// Queued hands every delivery to the queue at once (DELIVERY_MODE=queued).
	Queued bool
	// ObjectsPerRequest is the Braze contract's limit on objects in one
	// /users/track request (BRAZE_OBJECTS_PER_REQUEST); 0 means
	// braze.MaxObjects.
	ObjectsPerRequest int
	// CreateProfiles lets Braze create a profile for a requester it does
	// not know (BRAZE_CREATE_PROFILES); otherwise every object is sent
	// update-only.
	CreateProfiles bool
	// SendPrivateComments sends private comments (internal notes) as
	// PrivateCommentEvent (SEND_PRIVATE_COMMENTS); otherwise they are
	// ignored.
	SendPrivateComments bool
	Now                 func() time.Time // nil means time.Now
	// SupportState sends each ticket delivery's requester's support state
	// as profile attributes (SUPPORT_STATE, on by default).
	SupportState bool
	// SatisfactionComments passes the requester's free-text comment on a
	// rating on as an event property (SATISFACTION_COMMENTS, off by
	// default: it is the customer's own words).
	SatisfactionComments bool
	Log                  *slog.Logger // nil means slog.Default()

	identities  identities
	noStateOnce sync.Once
}

// send posts one batch with the secret's API key, and once more with a
// fresh secret if Braze rejects it. Each object says whether Braze may
// create its profile.
func (s *Service) send(ctx context.Context, b braze.Track) (res braze.Result, err error) {
	braze.SetProfileCreation(b, s.CreateProfiles)
	err = secrets.WithRefetch(ctx, s.Secrets, []string{KeyAPIKey}, braze.ErrUnauthorized, func(v secrets.Values) error {
		res, err = s.Braze.Send(ctx, v.Get(KeyAPIKey), b)
		return err
	})
	return res, err
}

// deadline is when ctx ends, on the service's clock: a claim lapses then.
func (s *Service) deadline(ctx context.Context) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return s.now().Add(time.Until(dl))
	}
	return s.now().Add(Budget)
}

// limit is the most objects one /users/track request may carry.
func (s *Service) limit() int {
	if s.ObjectsPerRequest <= 0 || s.ObjectsPerRequest > braze.MaxObjects {
		return braze.MaxObjects
	}
	return s.ObjectsPerRequest
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// add sums r into sum, moving minor errors' indexes from the batch's
// arrays to the whole body's.
func add(sum *braze.Result, r braze.Result, offsets map[string]int) {
	sum.AttributesProcessed += r.AttributesProcessed
	sum.EventsProcessed += r.EventsProcessed
	sum.PurchasesProcessed += r.PurchasesProcessed
	for _, raw := range r.Errors {
		var e map[string]any
		if json.Unmarshal(raw, &e) == nil {
			arr, _ := e["input_array"].(string)
			if idx, ok := e["index"].(float64); ok && offsets[arr] > 0 {
				e["index"] = int(idx) + offsets[arr]
				if b, err := json.Marshal(e); err == nil {
					raw = b
				}
			}
		}
		sum.Errors = append(sum.Errors, raw)
	}
}
