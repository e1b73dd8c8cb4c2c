package tracking

import (
	"context"
	"errors"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Zendesk is the part of the Zendesk API the service reads.
type Zendesk interface {
	GetUser(ctx context.Context, id int64) (zendesk.User, error)
	GetTicket(ctx context.Context, id int64) (zendesk.TicketInfo, error)
	RequestedTickets(ctx context.Context, id int64) ([]zendesk.TicketState, error)
}

// ErrNoZendesk is a message that needs the Zendesk API in a function
// deployed without a Zendesk account to read.
var ErrNoZendesk = errors.New("ZENDESK_SUBDOMAIN is not set: it is needed to read the ticket's requester from Zendesk " +
	"(for Zendesk event webhooks, trigger bodies without external_id or email, and /users/track bodies whose objects name no one)")

// Complete reads from the Zendesk API what m's event still lacks: the
// requester of an event webhook; the subject, and the requester when the
// body named no one, of a trigger body; the requester of the objects of a
// /users/track body that name no one. A subject is optional: without
// the API keys, or when the ticket is gone, the event goes without it.
func (s *Service) Complete(ctx context.Context, m *Message) error {
	err := s.read(ctx, m)
	if err == nil {
		// Complete: a queued copy of m is not read again.
		m.RequesterID, m.TicketID, m.NeedsIdentity, m.Unaddressed = 0, 0, false, false
	}
	return err
}

func (s *Service) read(ctx context.Context, m *Message) error {
	switch {
	case m.RequesterID != 0:
		return s.withZendesk(ctx, true, func() error {
			id, err := s.identity(ctx, m.RequesterID)
			if err == nil {
				identify(m.Events[0], id)
			}
			return err
		})
	case m.TicketID != 0:
		return s.withZendesk(ctx, m.NeedsIdentity, func() error {
			t, err := s.Zendesk.GetTicket(ctx, m.TicketID)
			if errors.Is(err, zendesk.ErrNotFound) {
				if m.NeedsIdentity {
					return webhook.Invalid("ticket_id", "ticket %d does not exist in Zendesk, so its requester is unknown", m.TicketID)
				}
				return nil
			}
			if err != nil {
				return err
			}
			if m.StateTicket == t.ID && m.StateRequester == 0 {
				m.StateRequester = t.RequesterID // the support state read needs no second read of the ticket
			}
			if m.Unaddressed {
				id, ok := identityOf(t.Requester)
				if !ok {
					return webhook.Invalid("ticket_id", "ticket %d's requester has no external id or email in Zendesk to find the Braze profile by", m.TicketID)
				}
				s.identities.put(t.RequesterID, id)
				addressAll(m.Track, id)
				return nil
			}
			ev := m.Events[0]
			if t.Subject != "" {
				props, _ := ev["properties"].(map[string]any)
				if props == nil {
					props = map[string]any{}
					ev["properties"] = props
				}
				props["subject"] = t.Subject
			}
			if m.NeedsIdentity {
				id, ok := identityOf(t.Requester)
				if !ok {
					return webhook.Invalid("external_id", "ticket %d's requester has no external id or email in Zendesk to find the Braze profile by", m.TicketID)
				}
				s.identities.put(t.RequesterID, id)
				identify(ev, id)
			}
			return nil
		})
	}
	return nil
}

// needsZendesk reports whether m cannot be sent without a read from the
// Zendesk API (an optional subject does not count).
func (m *Message) needsZendesk() bool {
	return m.RequesterID != 0 || m.TicketID != 0 && (m.NeedsIdentity || m.Unaddressed)
}

// withZendesk runs call, which reads from Zendesk. When the function has
// no Zendesk account or credentials to read with, a required read is a
// misconfiguration and an optional one is skipped.
func (s *Service) withZendesk(ctx context.Context, required bool, call func() error) error {
	if s.Zendesk == nil {
		if required {
			return &secrets.ConfigError{Err: ErrNoZendesk}
		}
		return nil
	}
	err := call()
	var ce *secrets.ConfigError
	var ue *secrets.UnavailableError
	if !required && (errors.As(err, &ce) || errors.As(err, &ue)) {
		return nil
	}
	return err
}

// identity is the Braze identifier of Zendesk user id, cached.
func (s *Service) identity(ctx context.Context, id int64) (profile, error) {
	if p, ok := s.identities.get(id); ok {
		return p, nil
	}
	u, err := s.Zendesk.GetUser(ctx, id)
	if errors.Is(err, zendesk.ErrNotFound) {
		return profile{}, webhook.Invalid("detail.requester_id", "the ticket's requester (Zendesk user %d) does not exist", id)
	}
	if err != nil {
		return profile{}, err
	}
	p, ok := identityOf(&u)
	if !ok {
		return profile{}, webhook.Invalid("detail.requester_id", "the ticket's requester (Zendesk user %d) has no external id or email to find the Braze profile by", id)
	}
	s.identities.put(id, p)
	return p, nil
}

// profile is how a Braze profile is addressed: by external id, else email.
type profile struct{ key, value string }

func identityOf(u *zendesk.User) (profile, bool) {
	switch {
	case u == nil:
		return profile{}, false
	case u.ExternalID != "":
		return profile{"external_id", u.ExternalID}, true
	case u.Email != "":
		return profile{"email", u.Email}, true
	}
	return profile{}, false
}

func identify(ev braze.Object, p profile) { ev[p.key] = p.value }

// addressAll gives p to every object of t that names no one.
func addressAll(t braze.Track, p profile) {
	for _, arr := range [][]braze.Object{t.Attributes, t.Events, t.Purchases} {
		for _, o := range arr {
			if !namesSomeone(o) {
				identify(o, p)
			}
		}
	}
}
