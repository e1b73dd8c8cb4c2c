package liquidtest

import (
	"strings"

	"github.com/osteele/liquid"
)

// Zendesk's display names, which its placeholders render
// ({{ticket.status}} is "Solved", not "solved").
var (
	statusNames   = map[string]string{"new": "New", "open": "Open", "pending": "Pending", "hold": "On-hold", "solved": "Solved", "closed": "Closed"}
	priorityNames = map[string]string{"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}
	typeNames     = map[string]string{"question": "Question", "incident": "Incident", "problem": "Problem", "task": "Task"}
)

// StatusName is what {{ticket.status}} renders for a Zendesk status value.
func StatusName(status string) string { return display(statusNames, status) }

// PriorityName is what {{ticket.priority}} renders.
func PriorityName(priority string) string { return display(priorityNames, priority) }

// TypeName is what {{ticket.ticket_type}} renders.
func TypeName(typ string) string { return display(typeNames, typ) }

func display(names map[string]string, v string) string {
	if n, ok := names[v]; ok {
		return n
	}
	return v
}

// unrenderedExternalID is what Zendesk leaves in a body for a requester
// without an external id when the ticket is marked Unrendered.
const unrenderedExternalID = "{{ticket.requester.external_id}}"

// RenderZendesk renders tmpl as Zendesk renders a trigger's webhook body for
// ticket tk: placeholders are Liquid ({{ticket.id}}, {{ticket.title}},
// {{ticket.description}}, {{ticket.status}}, {{ticket.priority}},
// {{ticket.ticket_type}}, {{ticket.tags}}, {{ticket.requester.external_id}},
// {{ticket.requester.email}}, {{ticket.requester.name}}), the enums render
// their display names, and nothing is escaped: Zendesk pastes values into
// the body as they are. A missing value renders empty, or, for a requester
// without an external id on a ticket marked Unrendered, the placeholder is
// left as it was.
func RenderZendesk(tmpl string, tk Ticket) (string, error) {
	ext := attr(tk.Requester.ExternalID)
	if ext == nil && tk.Unrendered {
		ext = unrenderedExternalID
	}
	ticket := map[string]any{
		"id":          tk.ID,
		"title":       tk.Title,
		"description": tk.Description,
		"status":      StatusName(tk.Status),
		"priority":    PriorityName(tk.Priority),
		"ticket_type": TypeName(tk.Type),
		"tags":        strings.Join(tk.Tags, " "),
		"requester": map[string]any{
			"external_id": ext,
			"email":       attr(tk.Requester.Email),
			"name":        tk.Requester.Name,
		},
	}
	return render(liquid.NewEngine(), tmpl, map[string]any{"ticket": ticket})
}
