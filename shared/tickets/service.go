package tickets

import (
	"context"

	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Secret keys this direction reads.
const (
	KeyWebhookToken = "braze_webhook_token"
	KeyEmail        = "zendesk_email"
	KeyToken        = "zendesk_api_token"
)

// Zendesk is the part of the Zendesk API the service uses.
type Zendesk interface {
	CreateOrUpdateUser(ctx context.Context, cred zendesk.Credentials, u zendesk.User) (int64, error)
	CreateTicket(ctx context.Context, cred zendesk.Credentials, ticket map[string]any, key string) (zendesk.Ticket, error)
	AgentURL(id int64) string
}

// Created is a filed ticket.
type Created struct {
	ID       int64
	URL      string
	Replayed bool
}

// Service files tickets in Zendesk.
type Service struct {
	Zendesk Zendesk
	Secrets secrets.Fetcher
}

// Create files r's ticket under key. The requester is resolved first: a
// Braze external id becomes (or updates) the Zendesk user with that
// external_id, so Zendesk → Braze can address the same profile later.
func (s *Service) Create(ctx context.Context, r *Request, key string) (Created, error) {
	ticket := r.Ticket
	if r.ExternalID != "" {
		u := r.Requester
		u.ExternalID = r.ExternalID
		u.Name = firstNonEmpty(u.Name, u.Email, u.ExternalID)
		var id int64
		err := s.withCredentials(ctx, func(cred zendesk.Credentials) (err error) {
			id, err = s.Zendesk.CreateOrUpdateUser(ctx, cred, u)
			return err
		})
		if err != nil {
			return Created{}, err
		}
		ticket["requester_id"] = id
	} else {
		// Zendesk finds the user by email, or creates one; the email never
		// becomes an external id.
		req := map[string]any{"email": r.Requester.Email, "name": firstNonEmpty(r.Requester.Name, r.Requester.Email)}
		if r.Locale != nil {
			req["locale_id"] = r.Locale
		}
		ticket["requester"] = req
	}
	var t zendesk.Ticket
	err := s.withCredentials(ctx, func(cred zendesk.Credentials) (err error) {
		t, err = s.Zendesk.CreateTicket(ctx, cred, ticket, key)
		return err
	})
	if err != nil {
		return Created{}, err
	}
	return Created{ID: t.ID, URL: s.Zendesk.AgentURL(t.ID), Replayed: t.Replayed}, nil
}

// withCredentials runs call with the secret's Zendesk credentials, and
// once more with a fresh secret if Zendesk rejects them.
func (s *Service) withCredentials(ctx context.Context, call func(zendesk.Credentials) error) error {
	return secrets.WithRefetch(ctx, s.Secrets, []string{KeyEmail, KeyToken}, zendesk.ErrUnauthorized, func(v secrets.Values) error {
		return call(zendesk.Credentials{Email: v.Get(KeyEmail), Token: v.Get(KeyToken)})
	})
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
