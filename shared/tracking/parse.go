// Package tracking turns a signed Zendesk webhook into events on Braze user
// profiles, through /users/track: Zendesk → Braze.
package tracking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/liquidjson"
	"github.com/brazezendesk/bridge/shared/webhook"
)

// identifiers Braze accepts on a /users/track object, in the order the
// flat body prefers them.
var identifiers = []string{"external_id", "email", "braze_id", "phone", "user_alias"}

var (
	placeholder = regexp.MustCompile(`^\{\{.*\}\}$`)
	// Digits that read back as the same JSON number: no leading zero (a
	// zip code such as 02134 stays text) and within float64's exact range.
	digitsOnly = regexp.MustCompile(`^(0|[1-9][0-9]{0,14})$`)
	// A decimal as JSON writes it: no leading zeros.
	decimal = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)
)

// Message is a parsed webhook body: the /users/track body to send, and
// what must first be read from the Zendesk API to complete its one event.
type Message struct {
	braze.Track
	// Ignored says why nothing is sent (an event that is not a ticket's).
	Ignored string `json:"ignored,omitempty"`
	// PrivateComment: the event is a private comment (an internal note),
	// sent only when the service is set to send them.
	PrivateComment bool `json:"private_comment,omitempty"`
	// RequesterID is the Zendesk user whose external id, else email,
	// identifies the event's profile (a Zendesk event webhook).
	RequesterID int64 `json:"requester_id,omitempty"`
	// TicketID is the ticket whose subject the event lacks; with
	// NeedsIdentity, also whose requester identifies the profile (a
	// trigger body that names neither).
	TicketID      int64 `json:"ticket_id,omitempty"`
	NeedsIdentity bool  `json:"needs_identity,omitempty"`
	// Unaddressed: the objects of a /users/track body that name no one
	// take the requester of ticket TicketID (the body's top-level
	// "ticket_id"), and nothing else is read.
	Unaddressed bool `json:"unaddressed,omitempty"`
	// StateRequester is the requester whose support state is sent with
	// the event; StateTicket, the ticket whose requester's it is, when the
	// body named the ticket only. Satisfaction: the event is the rating of
	// StateTicket, read from Zendesk. Kept on a queued copy, so that the
	// state is read when the delivery is finally sent.
	StateRequester int64 `json:"state_requester,omitempty"`
	StateTicket    int64 `json:"state_ticket,omitempty"`
	Satisfaction   bool  `json:"satisfaction,omitempty"`
}

// Parse reads a Zendesk webhook body of any shape the bridge accepts.
// signedAt is the signature's time, given to events and purchases that
// carry none.
func Parse(body []byte, signedAt time.Time) (Message, error) {
	doc, err := liquidjson.Decode(body)
	if err != nil {
		return Message{}, webhook.InvalidBody(err)
	}
	at := signedAt.UTC().Format(time.RFC3339)
	if isZendeskEvent(doc) {
		return parseZendeskEvent(exact(body, doc), at)
	}
	dropPlaceholders(doc)
	_, a := doc["attributes"]
	_, e := doc["events"]
	_, p := doc["purchases"]
	if a || e || p {
		ticket := ticketID(doc)
		t, unaddressed, err := parseTrack(doc, at, ticket != 0)
		m := Message{Track: t}
		if unaddressed {
			m.TicketID, m.NeedsIdentity, m.Unaddressed = ticket, true, true
		}
		return m, err
	}
	return parseFlat(doc, at)
}

// exact decodes body again without the cleaning Liquid output needs, for a
// body Zendesk built itself: a subject keeps its surrounding spaces. Were
// it not plain JSON after all, doc, as cleaned, stands.
func exact(body []byte, doc map[string]any) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw map[string]any
	if dec.Decode(&raw) != nil || !isZendeskEvent(raw) {
		return doc
	}
	return raw
}

// dropPlaceholders removes values Zendesk left unrendered ("{{ticket.x}}"
// when the ticket has no x): they mean "absent", like an empty value.
func dropPlaceholders(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if s, ok := e.(string); ok && placeholder.MatchString(s) {
				delete(t, k)
				continue
			}
			dropPlaceholders(e)
		}
		liquidjson.Clean(t)
	case []any:
		for _, e := range t {
			dropPlaceholders(e)
		}
	}
}

// parseFlat turns the README's recommended trigger body into one event.
// What the body lacks (the subject, or the requester when it names no
// one) is read from the ticket when the body gives its id.
func parseFlat(doc map[string]any, at string) (Message, error) {
	name, err := eventName(doc)
	if err != nil {
		return Message{}, err
	}
	ev := braze.Object{"name": name, "time": at}
	id := ""
	for _, k := range identifiers[:2] {
		if v, ok := doc[k].(string); ok {
			ev[k], id = v, k
			break
		}
	}
	var m Message
	if _, has := doc["subject"]; !has || id == "" {
		m.TicketID = ticketID(doc)
	}
	if id == "" {
		if m.TicketID == 0 {
			return Message{}, webhook.Invalid("external_id", "the body has no external_id or email to find the Braze profile by, "+
				"and no ticket_id to read the requester from (empty or unrendered placeholders count as absent)")
		}
		m.NeedsIdentity = true
	}
	props := map[string]any{}
	for k, v := range doc {
		if k == id || k == "event_name" {
			continue
		}
		if s, ok := v.(string); ok && digitsOnly.MatchString(s) {
			v = json.Number(s)
		}
		props[k] = v
	}
	if len(props) > 0 {
		ev["properties"] = props
	}
	m.Events = []braze.Object{ev}
	m.StateTicket = ticketID(doc)
	if name == SatisfactionEvent {
		if m.StateTicket == 0 {
			return Message{}, webhook.Invalid("ticket_id", "a %s body needs ticket_id, the rated ticket's id", SatisfactionEvent)
		}
		m.Satisfaction = true
	}
	return m, nil
}

// ticketID is the body's "ticket_id" when it is a ticket's id, else 0.
func ticketID(doc map[string]any) int64 {
	s, ok := doc["ticket_id"].(string)
	if !ok || !digitsOnly.MatchString(s) {
		return 0
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func eventName(doc map[string]any) (string, error) {
	if v, ok := doc["event_name"]; ok {
		s, ok := v.(string)
		if !ok {
			return "", webhook.Invalid("event_name", "event_name must be a string")
		}
		return s, nil
	}
	s, ok := doc["status"].(string)
	if !ok {
		return "", webhook.Invalid("status", `the body needs "status": "{{ticket.status}}" (the event is zendesk_ticket_<status>) or an "event_name"`)
	}
	return statusEvent(s), nil
}

// statusEvent names the event of a ticket reaching status: the status
// lower-cased, spaces as "_".
func statusEvent(status string) string {
	return "zendesk_ticket_" + strings.Join(strings.Fields(strings.ToLower(status)), "_")
}

// parseTrack validates a /users/track body written with Zendesk
// placeholders. With byTicket (the body gives a ticket_id), an object that
// names no one is let through for the ticket's requester, and unaddressed
// says there is one.
func parseTrack(doc map[string]any, at string, byTicket bool) (t braze.Track, unaddressed bool, err error) {
	for _, arr := range []struct {
		key  string
		dst  *[]braze.Object
		each func(field string, o braze.Object) error
	}{
		{"attributes", &t.Attributes, nil},
		{"events", &t.Events, func(f string, o braze.Object) error { return checkEvent(f, o, at) }},
		{"purchases", &t.Purchases, func(f string, o braze.Object) error { return checkPurchase(f, o, at) }},
	} {
		raw, present := doc[arr.key]
		if !present {
			continue
		}
		list, ok := raw.([]any)
		if !ok {
			return t, false, webhook.Invalid(arr.key, "%s must be a list of objects", arr.key)
		}
		for i, e := range list {
			field := fmt.Sprintf("%s[%d]", arr.key, i)
			o, ok := e.(map[string]any)
			if !ok {
				return t, false, webhook.Invalid(field, "%s must be an object", field)
			}
			switch err := checkIdentifier(field, o); {
			case err != nil && byTicket:
				unaddressed = true
			case err != nil:
				return t, false, err
			}
			if arr.each != nil {
				if err := arr.each(field, o); err != nil {
					return t, false, err
				}
			}
			*arr.dst = append(*arr.dst, o)
		}
	}
	if t.Len() == 0 {
		return t, false, webhook.Invalid("events", "the body has no attributes, events or purchases to send")
	}
	return t, unaddressed, nil
}

// namesSomeone reports whether o carries an identifier Braze accepts.
func namesSomeone(o braze.Object) bool { return checkIdentifier("", o) == nil }

func checkIdentifier(field string, o braze.Object) error {
	for _, k := range identifiers {
		switch v := o[k].(type) {
		case string:
			return nil
		case map[string]any:
			if k == "user_alias" {
				if n, _ := v["alias_name"].(string); n != "" {
					if l, _ := v["alias_label"].(string); l != "" {
						return nil
					}
				}
			}
		}
	}
	return webhook.Invalid(field, "%s has no identifier Braze accepts: external_id, email, braze_id, phone or user_alias "+
		"(empty or unrendered placeholders count as absent); give the body \"ticket_id\": \"{{ticket.id}}\" to send it to the ticket's requester", field)
}

func checkEvent(field string, o braze.Object, at string) error {
	if s, _ := o["name"].(string); s == "" {
		return webhook.Invalid(field+".name", "%s.name is missing", field)
	}
	return checkTime(field, o, at)
}

func checkPurchase(field string, o braze.Object, at string) error {
	if s, _ := o["product_id"].(string); s == "" {
		return webhook.Invalid(field+".product_id", "%s.product_id is missing", field)
	}
	if s, _ := o["currency"].(string); len(s) != 3 {
		return webhook.Invalid(field+".currency", "%s.currency must be a three-letter ISO 4217 code", field)
	}
	switch p := o["price"].(type) {
	case json.Number:
	case string: // Zendesk placeholders render numbers as text
		if !decimal.MatchString(p) {
			return webhook.Invalid(field+".price", "%s.price must be a number", field)
		}
		o["price"] = json.Number(p)
	default:
		return webhook.Invalid(field+".price", "%s.price must be a number", field)
	}
	return checkTime(field, o, at)
}

func checkTime(field string, o braze.Object, at string) error {
	v, present := o["time"]
	if !present {
		o["time"] = at
		return nil
	}
	if s, ok := v.(string); ok {
		if sent, ok := brazeTimeOf(s); ok {
			o["time"] = sent
			return nil
		}
	}
	return webhook.Invalid(field+".time", "%s.time must be an ISO 8601 time such as 2026-11-24T12:00:00Z, or Braze's 2026-11-24T12:00:00:000Z (or leave it out: the signature's time is used)", field)
}

// Stamp puts the invocation id on every event as a property (leaving
// alone properties that are not an object, which Braze will refuse).
func (m *Message) Stamp(invocation string) {
	for _, ev := range m.Events {
		switch props := ev["properties"].(type) {
		case nil:
			ev["properties"] = map[string]any{InvocationProperty: invocation}
		case map[string]any:
			props[InvocationProperty] = invocation
		}
	}
}
