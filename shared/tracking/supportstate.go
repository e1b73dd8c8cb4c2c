package tracking

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// The profile attributes that carry a requester's support state.
const (
	AttrOpenTickets      = "zendesk_open_tickets"
	AttrLastTicketID     = "zendesk_last_ticket_id"
	AttrLastTicketStatus = "zendesk_last_ticket_status"
	AttrLastTicketAt     = "zendesk_last_ticket_updated_at"
	AttrLastSatisfaction = "zendesk_last_satisfaction"
	AttrSatisfactionAt   = "zendesk_last_satisfaction_at"
)

// SatisfactionEvent is the event_name a trigger body gives to say "the
// satisfaction rating of ticket_id changed": the bridge reads the rating
// and sends SatisfactionEvent + "_good" or "_bad". Zendesk has no webhook
// event type for a rating (the ticket event types are assignment, status,
// comment, field and similar changes:
// https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events),
// so a trigger on "Satisfaction … changed" announces it.
const SatisfactionEvent = "zendesk_satisfaction"

// Unsolved are the statuses of a ticket still being worked on.
var unsolved = []string{"new", "open", "pending", "hold"}

// SupportState reads SUPPORT_STATE: on (or empty) sends the support state
// attributes with each ticket delivery, off does not.
func SupportState(raw string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "", "on", "yes", "true":
		return true, nil
	case "off", "no", "false":
		return false, nil
	}
	return false, errors.New("SUPPORT_STATE must be on or off")
}

// StateAttributes is the support state of a requester whose tickets are
// ts, as absolute values: the count of unsolved tickets; the most
// recently updated ticket; the most recently rated one, when any is.
// Ties in time (Zendesk writes seconds) go to the higher ticket id.
func StateAttributes(ts []zendesk.TicketState) map[string]any {
	attrs := map[string]any{}
	open := 0
	var last, rated *zendesk.TicketState
	later := func(a, b *zendesk.TicketState) bool {
		return b == nil || a.UpdatedAt.After(b.UpdatedAt) || (a.UpdatedAt.Equal(b.UpdatedAt) && a.ID > b.ID)
	}
	for i := range ts {
		t := &ts[i]
		if slices.Contains(unsolved, strings.ToLower(t.Status)) {
			open++
		}
		if later(t, last) {
			last = t
		}
		if t.Satisfaction.Rated() && later(t, rated) {
			rated = t
		}
	}
	attrs[AttrOpenTickets] = open
	if last != nil {
		attrs[AttrLastTicketID] = last.ID
		attrs[AttrLastTicketStatus] = strings.ToLower(last.Status)
		attrs[AttrLastTicketAt] = isoTime(last.UpdatedAt)
	}
	if rated != nil {
		// The rating on a ticket carries no time of its own; the rating
		// updated the ticket, so its updated_at is when (until the ticket
		// changes again).
		attrs[AttrLastSatisfaction] = rated.Satisfaction.Score
		attrs[AttrSatisfactionAt] = isoTime(rated.UpdatedAt)
	}
	return attrs
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// withState is m as it is sent: with its requester's support state read
// from Zendesk now (an attributes object on the event's profile), and a
// satisfaction event named for the rating read. m itself is left as it
// was, so that a copy of it queued later reads the state again when it is
// sent; the copy returned needs no more reads.
//
// Without a Zendesk account or keys the state is left out (a WARN once
// per container); a read that fails for a passing reason fails the
// delivery, which is retried or queued whole.
func (s *Service) withState(ctx context.Context, m Message) (Message, error) {
	out := m
	out.StateRequester, out.StateTicket, out.Satisfaction = 0, 0, false
	if (!s.SupportState && !m.Satisfaction) || (m.StateRequester == 0 && m.StateTicket == 0) || len(m.Events) == 0 {
		return out, nil
	}
	ts, ok, err := s.requesterTickets(ctx, m)
	if err != nil {
		return Message{}, err
	}
	if !ok {
		if m.Satisfaction {
			return Message{}, webhook.Invalid("ticket_id", "ticket %d's satisfaction rating could not be read from Zendesk", m.StateTicket)
		}
		return out, nil
	}
	ev := m.Events[0]
	if m.Satisfaction {
		out.Events = slices.Clone(m.Events)
		sat, found := satisfactionEvent(ev, ts, m.StateTicket, s.SatisfactionComments)
		if found {
			out.Events[0] = sat
		} else {
			out.Events = out.Events[1:] // not rated (offered, or removed): no event
		}
	}
	if s.SupportState {
		attrs := braze.Object{}
		for _, k := range identifiers {
			if v, ok := ev[k]; ok {
				attrs[k] = v
			}
		}
		for k, v := range StateAttributes(ts) {
			attrs[k] = v
		}
		out.Attributes = append(slices.Clip(m.Attributes), attrs)
	}
	return out, nil
}

// requesterTickets reads the tickets of m's requester. ok is false when
// there is no state to read: no Zendesk account or keys (warned once), or
// a ticket or requester that no longer exists.
func (s *Service) requesterTickets(ctx context.Context, m Message) ([]zendesk.TicketState, bool, error) {
	if s.Zendesk == nil {
		if m.Satisfaction {
			return nil, false, &secrets.ConfigError{Err: ErrNoZendesk}
		}
		s.warnNoState(ctx)
		return nil, false, nil
	}
	requester := m.StateRequester
	if requester == 0 {
		t, err := s.Zendesk.GetTicket(ctx, m.StateTicket)
		if err != nil {
			return s.stateReadFailed(ctx, m, err)
		}
		requester = t.RequesterID
	}
	ts, err := s.Zendesk.RequestedTickets(ctx, requester)
	if err != nil {
		return s.stateReadFailed(ctx, m, err)
	}
	return ts, true, nil
}

func (s *Service) stateReadFailed(ctx context.Context, m Message, err error) ([]zendesk.TicketState, bool, error) {
	var ce *secrets.ConfigError
	switch {
	case errors.Is(err, zendesk.ErrNotFound):
		return nil, false, nil
	case errors.As(err, &ce) && !m.Satisfaction:
		s.warnNoState(ctx)
		return nil, false, nil
	}
	return nil, false, err
}

// warnNoState says once per container that the state is not sent.
func (s *Service) warnNoState(ctx context.Context) {
	s.noStateOnce.Do(func() {
		log := s.Log
		if log == nil {
			log = slog.Default()
		}
		log.WarnContext(ctx, "support state attributes are not sent: the function has no Zendesk account or credentials to read "+
			"tickets with (set ZENDESK_SUBDOMAIN and the Zendesk keys of the secret, or SUPPORT_STATE=off)")
	})
}

// satisfactionEvent is the event of ticket id's rating among ts, named
// for its score, with the trigger body's other properties.
func satisfactionEvent(ev braze.Object, ts []zendesk.TicketState, id int64, withComment bool) (braze.Object, bool) {
	i := slices.IndexFunc(ts, func(t zendesk.TicketState) bool { return t.ID == id })
	if i < 0 || !ts[i].Satisfaction.Rated() {
		return nil, false
	}
	r := ts[i].Satisfaction
	out := braze.Object{}
	for k, v := range ev {
		out[k] = v
	}
	props := map[string]any{}
	if p, ok := ev["properties"].(map[string]any); ok {
		for k, v := range p {
			props[k] = v
		}
	}
	props["ticket_id"] = json.Number(strconv.FormatInt(id, 10))
	props["score"] = r.Score
	delete(props, "reason")
	delete(props, "comment")
	if r.Reason != "" {
		props["reason"] = r.Reason
	}
	if withComment && r.Comment != "" {
		props["comment"] = r.Comment
	}
	out["name"] = SatisfactionEvent + "_" + r.Score
	out["properties"] = props
	return out, true
}
