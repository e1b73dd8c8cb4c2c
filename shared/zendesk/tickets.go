package zendesk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

const ticketsPath = "/api/v2/tickets.json"

func ticketPath(id int64) string { return fmt.Sprintf("/api/v2/tickets/%d.json", id) }

// Ticket is what the bridge needs of a created ticket.
type Ticket struct {
	ID       int64
	Replayed bool // Zendesk answered from its idempotency record
}

// CreateTicket files ticket (the object inside {"ticket": …}) under the
// idempotency key, so that a retry with the same key returns the same ticket.
func (c *Client) CreateTicket(ctx context.Context, ticket map[string]any, key string) (Ticket, error) {
	const op = "create ticket"
	body, err := json.Marshal(map[string]any{"ticket": ticket})
	if err != nil {
		return Ticket{}, fmt.Errorf("encoding ticket: %w", err)
	}
	var out struct {
		Ticket struct {
			ID int64 `json:"id"`
		} `json:"ticket"`
	}
	h, err := c.post(ctx, op, ticketsPath, body, key, &out)
	if err != nil {
		return Ticket{}, err
	}
	if out.Ticket.ID == 0 {
		return Ticket{}, shapeError(op, "ticket id")
	}
	return Ticket{ID: out.Ticket.ID, Replayed: strings.EqualFold(h.Get("X-Idempotency-Lookup"), "hit")}, nil
}

// TicketInfo is what the bridge reads of an existing ticket. Zendesk's null
// (no priority, no assignee, …) reads as the zero value.
type TicketInfo struct {
	ID                                               int64
	Subject, Description, Status, Priority, Type     string
	Tags                                             []string
	RequesterID, AssigneeID, GroupID, OrganizationID int64
	ExternalID                                       string
	Requester                                        *User // side-loaded; nil when Zendesk did not include it
}

// GetTicket reads ticket id with its users side-loaded, so that the
// requester comes in the same call. An unknown id matches ErrNotFound.
func (c *Client) GetTicket(ctx context.Context, id int64) (TicketInfo, error) {
	const op = "get ticket"
	if id <= 0 {
		return TicketInfo{}, fmt.Errorf("zendesk %s: %d is not a ticket id", op, id)
	}
	var out struct {
		Ticket *struct {
			ID             int64    `json:"id"`
			Subject        string   `json:"subject"`
			Description    string   `json:"description"`
			Status         string   `json:"status"`
			Priority       string   `json:"priority"`
			Type           string   `json:"type"`
			Tags           []string `json:"tags"`
			RequesterID    int64    `json:"requester_id"`
			AssigneeID     int64    `json:"assignee_id"`
			GroupID        int64    `json:"group_id"`
			OrganizationID int64    `json:"organization_id"`
			ExternalID     string   `json:"external_id"`
		} `json:"ticket"`
		Users []User `json:"users"`
	}
	if err := c.get(ctx, op, ticketPath(id), url.Values{"include": {"users"}}, &out); err != nil {
		return TicketInfo{}, err
	}
	t := out.Ticket
	if t == nil || t.ID != id {
		return TicketInfo{}, shapeError(op, "ticket")
	}
	info := TicketInfo{
		ID: t.ID, Subject: t.Subject, Description: t.Description, Status: t.Status, Priority: t.Priority, Type: t.Type,
		Tags: t.Tags, RequesterID: t.RequesterID, AssigneeID: t.AssigneeID, GroupID: t.GroupID,
		OrganizationID: t.OrganizationID, ExternalID: t.ExternalID,
	}
	for _, u := range out.Users {
		if t.RequesterID != 0 && u.ID == t.RequesterID {
			info.Requester = &u
			break
		}
	}
	return info, nil
}

// FindTicketByExternalID returns the id of a ticket whose external_id is
// externalID, or 0: a direct lookup (GET /api/v2/tickets.json?external_id=),
// not a search, so a ticket made a moment ago is found too.
func (c *Client) FindTicketByExternalID(ctx context.Context, externalID string) (int64, error) {
	const op = "find ticket"
	if externalID == "" {
		return 0, fmt.Errorf("zendesk %s: no external id to find by", op)
	}
	var out struct {
		Tickets *[]struct {
			ID         int64  `json:"id"`
			ExternalID string `json:"external_id"`
		} `json:"tickets"`
	}
	if err := c.get(ctx, op, ticketsPath, url.Values{"external_id": {externalID}}, &out); err != nil {
		return 0, err
	}
	if out.Tickets == nil {
		return 0, shapeError(op, "tickets")
	}
	for _, t := range *out.Tickets {
		if t.ExternalID == externalID && t.ID > 0 {
			return t.ID, nil
		}
	}
	return 0, nil
}
