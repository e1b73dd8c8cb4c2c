package tracking

import (
	"context"
	"encoding/json"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/secrets"
)

// Secret keys this direction reads.
const (
	KeyAPIKey        = "braze_api_key"
	KeyWebhookSecret = "zendesk_webhook_secret"
	KeyZendeskEmail  = "zendesk_email"     // to read tickets and users
	KeyZendeskToken  = "zendesk_api_token" // to read tickets and users
)

// Braze is the part of the Braze API the service uses.
type Braze interface {
	Send(ctx context.Context, apiKey string, batch braze.Track) (braze.Result, error)
}

// Dedupe remembers how many batches of an invocation Braze accepted.
type Dedupe interface {
	Done(ctx context.Context, id string) (int, error)
	Mark(ctx context.Context, id string, batches int) error
}

// Delivery is what Braze made of one invocation.
type Delivery struct {
	braze.Result
	Duplicate bool // every batch had been accepted before: nothing was sent
}

// Service delivers /users/track bodies to Braze.
type Service struct {
	Braze   Braze
	Secrets secrets.Fetcher
	Dedupe  Dedupe
	Zendesk Zendesk // nil when the function has no Zendesk account to read

	identities identities
}

// Deliver sends t in batches of at most braze.MaxObjects. With an
// invocation id, batches Braze accepted for an earlier try of the same
// invocation are skipped, and each accepted batch is recorded at once.
func (s *Service) Deliver(ctx context.Context, invocation string, t braze.Track) (Delivery, error) {
	batches := braze.Batches(t)
	done := 0
	if invocation != "" {
		n, err := s.Dedupe.Done(ctx, invocation)
		if err != nil {
			return Delivery{}, err
		}
		done = n
	}
	if done >= len(batches) {
		return Delivery{Duplicate: true}, nil
	}
	var sum Delivery
	offsets := map[string]int{}
	for i, b := range batches {
		if i >= done {
			res, err := s.send(ctx, b)
			if err != nil {
				return sum, err
			}
			if invocation != "" {
				if err := s.Dedupe.Mark(ctx, invocation, i+1); err != nil {
					return sum, err
				}
			}
			add(&sum.Result, res, offsets)
		}
		offsets["attributes"] += len(b.Attributes)
		offsets["events"] += len(b.Events)
		offsets["purchases"] += len(b.Purchases)
	}
	return sum, nil
}

// send posts one batch with the secret's API key, and once more with a
// fresh secret if Braze rejects it.
func (s *Service) send(ctx context.Context, b braze.Track) (res braze.Result, err error) {
	err = secrets.WithRefetch(ctx, s.Secrets, []string{KeyAPIKey}, braze.ErrUnauthorized, func(v secrets.Values) error {
		res, err = s.Braze.Send(ctx, v.Get(KeyAPIKey), b)
		return err
	})
	return res, err
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
