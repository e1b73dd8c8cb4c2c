// Package tickets turns a Braze webhook body into a Zendesk ticket filed
// under the right requester: Braze → Zendesk.
package tickets

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/brazezendesk/bridge/shared/liquidjson"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Request is a parsed, normalised ticket request.
type Request struct {
	// Ticket holds every ticket field to send, minus the requester fields.
	Ticket map[string]any `json:"ticket"`
	// ExternalID is the Braze external id from requester_id, or "".
	ExternalID string `json:"external_id,omitempty"`
	// Requester is what the body says of the person: name, email, phone.
	Requester zendesk.User `json:"requester"`
}

// idFields are ticket fields Zendesk wants as integers; Liquid renders
// them as strings.
var idFields = []string{"assignee_id", "group_id", "organization_id", "brand_id",
	"ticket_form_id", "problem_id", "submitter_id", "custom_status_id", "via_followup_source_id"}

var digits = regexp.MustCompile(`^[0-9]{1,19}$`)

// Parse reads a body of the shape {"ticket": {...}} as Braze renders it.
func Parse(body []byte) (*Request, error) {
	doc, err := liquidjson.Decode(body)
	if err != nil {
		return nil, webhook.InvalidBody(err)
	}
	t, ok := doc["ticket"].(map[string]any)
	if !ok {
		return nil, webhook.Invalid("ticket", `the body must be {"ticket": {...}}, as on the Braze partner page for Zendesk`)
	}
	r := &Request{Ticket: t}
	steps := []func(*Request) error{parseRequester, parseEnums, parseComment, parseIDs, parseTags, parseCustomFields}
	for _, step := range steps {
		if err := step(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func parseRequester(r *Request) error {
	t := r.Ticket
	switch v := t["requester_id"].(type) {
	case nil:
	case string:
		r.ExternalID = v
	case json.Number:
		r.ExternalID = v.String()
	default:
		return webhook.Invalid("ticket.requester_id", "ticket.requester_id must be the Braze external id, a string such as {{${user_id}}}")
	}
	delete(t, "requester_id")
	if raw, present := t["requester"]; present {
		req, ok := raw.(map[string]any)
		if !ok {
			return webhook.Invalid("ticket.requester", "ticket.requester must be an object with name, email and phone")
		}
		for _, k := range []string{"name", "email", "phone"} {
			if v, present := req[k]; present {
				s, ok := scalar(v)
				if !ok {
					return webhook.Invalid("ticket.requester."+k, "ticket.requester.%s must be a string", k)
				}
				switch k {
				case "name":
					r.Requester.Name = s
				case "email":
					r.Requester.Email = s
				case "phone":
					r.Requester.Phone = s
				}
			}
		}
		delete(t, "requester")
	}
	if e := r.Requester.Email; e != "" && !plausibleEmail(e) {
		return webhook.Invalid("ticket.requester.email", "ticket.requester.email %q is not an email address", e)
	}
	if r.ExternalID == "" && r.Requester.Email == "" {
		return webhook.Invalid("ticket.requester_id", "give ticket.requester_id (the Braze external id, {{${user_id}}}) or ticket.requester.email, so the ticket has a requester")
	}
	if len(r.ExternalID) > 255 {
		return webhook.Invalid("ticket.requester_id", "ticket.requester_id is longer than Zendesk's 255 characters")
	}
	return nil
}

func plausibleEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n<>,;")
}

func parseEnums(r *Request) error {
	for _, e := range []struct {
		field   string
		allowed []string
	}{{"type", zendesk.TicketTypes}, {"priority", zendesk.TicketPriorities}, {"status", zendesk.TicketStatuses}} {
		field, allowed := e.field, e.allowed
		v, present := r.Ticket[field]
		if !present {
			continue
		}
		s, ok := v.(string)
		norm := strings.ToLower(strings.TrimSpace(s))
		if !ok || !slices.Contains(allowed, norm) {
			return webhook.Invalid("ticket."+field, "ticket.%s must be one of %s (got %s)", field, strings.Join(allowed, ", "), show(v))
		}
		r.Ticket[field] = norm
	}
	return nil
}

func parseComment(r *Request) error {
	switch c := r.Ticket["comment"].(type) {
	case string: // a bare string is what people mean by the comment's body
		r.Ticket["comment"] = map[string]any{"body": c}
		return nil
	case map[string]any:
		if _, ok := c["body"].(string); ok {
			return nil
		}
		if _, ok := c["html_body"].(string); ok {
			return nil
		}
	}
	return webhook.Invalid("ticket.comment.body", "ticket.comment.body is empty: Zendesk needs a first comment to create a ticket")
}

func parseIDs(r *Request) error {
	for _, f := range idFields {
		v, present := r.Ticket[f]
		if !present {
			continue
		}
		n, ok := asID(v)
		if !ok {
			return webhook.Invalid("ticket."+f, "ticket.%s must be a Zendesk numeric id (got %s)", f, show(v))
		}
		r.Ticket[f] = n
	}
	return nil
}

// asID accepts a JSON number or a string of digits.
func asID(v any) (json.Number, bool) {
	switch t := v.(type) {
	case json.Number:
		return t, digits.MatchString(t.String())
	case string:
		return json.Number(t), digits.MatchString(t)
	}
	return "", false
}

func parseTags(r *Request) error {
	switch v := r.Ticket["tags"].(type) {
	case nil:
	case string: // "a b, c" as a Liquid join renders it
		r.Ticket["tags"] = strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ' ' })
	case []any:
		for _, e := range v {
			if _, ok := e.(string); !ok {
				return webhook.Invalid("ticket.tags", "ticket.tags must be a list of strings")
			}
		}
	default:
		return webhook.Invalid("ticket.tags", "ticket.tags must be a list of strings")
	}
	return nil
}

func parseCustomFields(r *Request) error {
	v, present := r.Ticket["custom_fields"]
	if !present {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return webhook.Invalid("ticket.custom_fields", `ticket.custom_fields must be a list of {"id": N, "value": ...}`)
	}
	for i, e := range list {
		f, ok := e.(map[string]any)
		if !ok {
			return webhook.Invalid("ticket.custom_fields", `ticket.custom_fields[%d] must be {"id": N, "value": ...}`, i)
		}
		id, ok := asID(f["id"])
		if !ok {
			return webhook.Invalid("ticket.custom_fields", "ticket.custom_fields[%d].id must be the field's numeric id", i)
		}
		f["id"] = id
	}
	return nil
}

// scalar renders a string or number as a string.
func scalar(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	}
	return "", false
}

// show quotes a rejected value for an error message, shortened.
func show(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		b = append(b[:57], "..."...)
	}
	return string(b)
}
