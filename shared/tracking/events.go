package tracking

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/webhook"
)

// Zendesk event webhooks name their type "zen:event-type:<domain>.<event>".
const (
	eventTypePrefix  = "zen:event-type:"
	ticketTypePrefix = eventTypePrefix + "ticket."
)

// isZendeskEvent reports a body Zendesk built for a webhook subscribed to
// events: {"type": "zen:event-type:…", "detail": {…}, "event": {…}}.
func isZendeskEvent(doc map[string]any) bool {
	t, _ := doc["type"].(string)
	_, detail := doc["detail"].(map[string]any)
	return strings.HasPrefix(t, eventTypePrefix) && detail
}

// detailIDs are the ticket's ids passed on as numeric event properties.
var detailIDs = []string{"group_id", "assignee_id", "organization_id", "brand_id", "form_id"}

// parseZendeskEvent turns a ticket event into one Braze event. Zendesk
// built and escaped the JSON itself, so its text can be trusted to be
// where it says; the profile is the ticket requester's, read from the
// Zendesk API by RequesterID.
func parseZendeskEvent(doc map[string]any, at string) (Message, error) {
	typ := doc["type"].(string)
	if !strings.HasPrefix(typ, ticketTypePrefix) {
		return Message{Ignored: typ + " is not a ticket event"}, nil
	}
	kind := strings.TrimPrefix(typ, ticketTypePrefix)
	detail := doc["detail"].(map[string]any)
	event, _ := doc["event"].(map[string]any)

	ticketID, ok := number(detail["id"])
	if !ok {
		return Message{}, webhook.Invalid("detail.id", "the event's detail.id must be the ticket's numeric id")
	}
	requester, ok := number(detail["requester_id"])
	if !ok || requester == 0 {
		return Message{}, webhook.Invalid("detail.requester_id", "the event's detail.requester_id must be the requester's numeric id")
	}

	name := "zendesk_ticket_" + kind
	props := map[string]any{"ticket_id": json.Number(strconv.FormatInt(ticketID, 10))}
	if kind == "status_changed" {
		current, _ := event["current"].(string)
		if current == "" {
			current, _ = detail["status"].(string)
		}
		if current == "" {
			return Message{}, webhook.Invalid("event.current", "a status_changed event needs event.current, the new status")
		}
		name = statusEvent(current)
		if prev, _ := event["previous"].(string); prev != "" {
			props["previous_status"] = strings.ToLower(prev)
		}
	}
	var private bool
	if kind == "comment_added" {
		private = commentProps(event, props)
		if private {
			name = PrivateCommentEvent
		}
	}
	if s, _ := detail["subject"].(string); s != "" {
		props["subject"] = s
	}
	for _, k := range []string{"status", "priority", "type"} {
		if s, _ := detail[k].(string); s != "" {
			props[k] = strings.ToLower(s)
		}
	}
	if tags, _ := detail["tags"].([]any); len(tags) > 0 {
		props["tags"] = tags
	}
	for _, k := range detailIDs {
		if n, ok := number(detail[k]); ok && n > 0 {
			props[k] = json.Number(strconv.FormatInt(n, 10))
		}
	}
	if via, _ := detail["via"].(map[string]any); via != nil {
		if c, _ := via["channel"].(string); c != "" {
			props["via_channel"] = c
		}
	}
	if id, _ := doc["id"].(string); id != "" {
		props["zendesk_event_id"] = id
	}
	if t, ok := brazeTimeOf(stringOf(doc["time"])); ok {
		at = t
	}
	ev := braze.Object{"name": name, "time": at, "properties": props}
	return Message{Track: braze.Track{Events: []braze.Object{ev}}, RequesterID: requester, StateRequester: requester, PrivateComment: private}, nil
}

// PrivateCommentEvent is the name a private comment (an agent's internal
// note) goes under when SEND_PRIVATE_COMMENTS asks for it: never the
// public comment's, so that a campaign keyed on a customer-facing reply
// does not fire on a note the customer never sees.
const PrivateCommentEvent = "zendesk_ticket_private_comment_added"

// commentProps adds what a ticket.comment_added event says of its comment,
// {"comment": {"id": "…", "body": "…", "is_public": true, "author": {"id":
// "…", "is_staff": false, "name": "…"}}} (Zendesk's webhook reference,
// "Ticket events"), and reports whether the comment is private. A comment
// that does not say it is public is taken as private: an internal note
// must never pass for a customer event.
func commentProps(event map[string]any, props map[string]any) (private bool) {
	comment, _ := event["comment"].(map[string]any)
	public, ok := boolOf(comment["is_public"])
	props["public"] = ok && public
	author, _ := comment["author"].(map[string]any)
	if staff, ok := boolOf(author["is_staff"]); ok {
		props["author_is_staff"] = staff
	}
	return !(ok && public)
}

// boolOf reads a JSON boolean, or one Zendesk wrote as "true" or "false".
func boolOf(v any) (value, ok bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		return t == "true", t == "true" || t == "false"
	}
	return false, false
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

// number reads an id Zendesk writes as a string of digits or a number.
func number(v any) (int64, bool) {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number:
		s = t.String()
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}
