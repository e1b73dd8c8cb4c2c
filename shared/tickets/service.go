package tickets

import (
	"context"
	"maps"
	"time"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Secret keys this direction reads.
const (
	KeyWebhookToken = "braze_webhook_token"
)

// ConflictTag marks a ticket whose requester's email belongs to another
// Zendesk user with another external id: the ticket is filed under a user
// holding the Braze external id, without that email, and an agent can
// merge the two users if they are one person.
const ConflictTag = "braze_email_in_use"

// Zendesk is the part of the Zendesk API the service uses.
type Zendesk interface {
	FindUserByExternalID(ctx context.Context, externalID string) (*zendesk.User, error)
	FindUserByEmail(ctx context.Context, email string) (*zendesk.User, error)
	CreateUser(ctx context.Context, u zendesk.User) (zendesk.User, error)
	SetExternalID(ctx context.Context, id int64, externalID string) error
	CreateTicket(ctx context.Context, ticket map[string]any, key string) (zendesk.Ticket, error)
	FindTicketByExternalID(ctx context.Context, externalID string) (int64, error)
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
	Queue   queue.Sender   // the retry queue; nil: none
	Filed   dedupe.Tickets // tickets filed from the queue, by key; nil: none
	// Requesters remembers which Zendesk user holds each Braze identity;
	// nil: each ticket looks its requester up.
	Requesters dedupe.Requesters
	Now        func() time.Time
}

// Create files r's ticket under key, under the Zendesk user requester
// resolves: the one holding the Braze external id, so that Zendesk → Braze
// can address the same profile later, or, without one, the one holding
// the email.
func (s *Service) Create(ctx context.Context, r *Request, key string) (Created, error) {
	ticket := make(map[string]any, len(r.Ticket)+2)
	for k, v := range r.Ticket {
		ticket[k] = v
	}
	// The key on the ticket itself finds it again after Zendesk
	// forgets the Idempotency-Key (2 hours), for a queued retry.
	if _, set := ticket["external_id"]; !set {
		ticket["external_id"] = key
	}
	t, err := s.file(ctx, r, ticket, key)
	if err != nil {
		return Created{}, err
	}
	return Created{ID: t.ID, URL: s.Zendesk.AgentURL(t.ID), Replayed: t.Replayed}, nil
}

// file files ticket under r's requester. A remembered requester Zendesk
// refuses (the user is gone) is forgotten and looked up again, and the
// ticket filed under the same key: Zendesk keeps no idempotency record of
// a request it refused.
//
// Memory adds no way for a retry to build another body: it holds what
// Zendesk answered, and a lookup in its place answers the same unless
// Zendesk itself changed, as without memory.
func (s *Service) file(ctx context.Context, r *Request, base map[string]any, key string) (zendesk.Ticket, error) {
	for attempt := 0; ; attempt++ {
		id, conflict, remembered, err := s.requester(ctx, r, attempt > 0)
		if err != nil {
			return zendesk.Ticket{}, err
		}
		ticket := maps.Clone(base)
		ticket["requester_id"] = id
		if conflict {
			ticket["tags"] = append(tags(ticket["tags"]), ConflictTag)
		}
		t, err := s.Zendesk.CreateTicket(ctx, ticket, key)
		if remembered && requesterRefused(err) {
			s.forgetRequester(ctx, r)
			continue
		}
		return t, err
	}
}

func tags(v any) []any {
	switch t := v.(type) {
	case []any:
		return append([]any(nil), t...)
	case []string:
		out := make([]any, len(t))
		for i, s := range t {
			out[i] = s
		}
		return out
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
