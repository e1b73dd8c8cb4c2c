package zendesk

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// TicketState is what the support state of a requester is made of: one
// ticket's status, last change and satisfaction rating.
type TicketState struct {
	ID           int64
	RequesterID  int64
	Status       string // lower-case: new, open, pending, hold, solved, closed (deleted in the export)
	UpdatedAt    time.Time
	Satisfaction Satisfaction
}

// Satisfaction is a ticket's satisfaction_rating. Zendesk writes
// {"score": "offered"} or "unoffered" until the requester rates, and null
// on plans without CSAT; a rating is "good" or "bad", with the reason a
// bad one was given and the requester's own comment.
// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/ (satisfaction_rating)
type Satisfaction struct {
	ID      int64  `json:"id"`
	Score   string `json:"score"`
	Reason  string `json:"reason"`
	Comment string `json:"comment"`
}

// Rated reports a rating the requester gave.
func (s Satisfaction) Rated() bool { return s.Score == "good" || s.Score == "bad" }

// ticketWire is a ticket as the list and export answers carry it.
type ticketWire struct {
	ID           int64         `json:"id"`
	RequesterID  int64         `json:"requester_id"`
	Status       string        `json:"status"`
	UpdatedAt    string        `json:"updated_at"`
	Satisfaction *Satisfaction `json:"satisfaction_rating"`
}

func (w ticketWire) state(op string) (TicketState, error) {
	at, err := time.Parse(time.RFC3339, w.UpdatedAt)
	if w.ID <= 0 || err != nil {
		return TicketState{}, shapeError(op, "ticket id and updated_at")
	}
	t := TicketState{ID: w.ID, RequesterID: w.RequesterID, Status: w.Status, UpdatedAt: at.UTC()}
	if w.Satisfaction != nil {
		t.Satisfaction = *w.Satisfaction
	}
	return t, nil
}

// RequestedTicketsPath lists the tickets user id requested.
func RequestedTicketsPath(id int64) string {
	return fmt.Sprintf("/api/v2/users/%d/tickets/requested.json", id)
}

// maxRequestedPages bounds one requester's read: 1,000 tickets is far past
// any customer's, and a loop of cursors must end.
const maxRequestedPages = 10

// RequestedTickets reads every ticket user id requested. This list is read
// from the database, unlike the search API, whose index lags changes by
// minutes, so a ticket solved a moment ago reads as solved; its tickets
// carry satisfaction_rating. It is cursor-paginated (page[size] up to 100,
// meta.has_more, meta.after_cursor); a sort is not relied on, since cursor
// pages of these lists have been seen to ignore it
// (support.zendesk.com community post 8403358233882).
// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets
func (c *Client) RequestedTickets(ctx context.Context, id int64) ([]TicketState, error) {
	const op = "list requested tickets"
	if id <= 0 {
		return nil, fmt.Errorf("zendesk %s: %d is not a user id", op, id)
	}
	var all []TicketState
	q := url.Values{"page[size]": {"100"}}
	for range maxRequestedPages {
		var out struct {
			Tickets *[]ticketWire `json:"tickets"`
			Meta    struct {
				HasMore     bool   `json:"has_more"`
				AfterCursor string `json:"after_cursor"`
			} `json:"meta"`
		}
		if err := c.get(ctx, op, RequestedTicketsPath(id), q, &out); err != nil {
			return nil, err
		}
		if out.Tickets == nil {
			return nil, shapeError(op, "tickets")
		}
		for _, w := range *out.Tickets {
			t, err := w.state(op)
			if err != nil {
				return nil, err
			}
			all = append(all, t)
		}
		if !out.Meta.HasMore || out.Meta.AfterCursor == "" {
			return all, nil
		}
		q.Set("page[after]", out.Meta.AfterCursor)
	}
	return nil, shapeError(op, fmt.Sprintf("last page after %d pages", maxRequestedPages))
}

// IncrementalTicketsPath is the cursor-based incremental ticket export.
const IncrementalTicketsPath = "/api/v2/incremental/tickets/cursor.json"

// ExportPage is one page of the incremental ticket export.
type ExportPage struct {
	Tickets     []TicketState
	AfterCursor string // where the next page, or the next run, starts
	EndOfStream bool   // every change up to about a minute ago was read
}

// ExportTickets reads one page of the tickets changed since cursor, or,
// with no cursor yet, since start. Zendesk answers up to 1,000 tickets a
// page, includes deleted ones (status "deleted"), excludes changes of the
// last minute, refuses a start_time less than a minute in the past, and
// allows 10 requests a minute to this endpoint, with 429 and Retry-After
// beyond.
// https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
// https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api
func (c *Client) ExportTickets(ctx context.Context, cursor string, start time.Time) (ExportPage, error) {
	const op = "export tickets"
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	} else {
		q.Set("start_time", strconv.FormatInt(start.Unix(), 10))
	}
	var out struct {
		Tickets     *[]ticketWire `json:"tickets"`
		AfterCursor string        `json:"after_cursor"`
		EndOfStream bool          `json:"end_of_stream"`
	}
	if err := c.get(ctx, op, IncrementalTicketsPath, q, &out); err != nil {
		return ExportPage{}, err
	}
	if out.Tickets == nil {
		return ExportPage{}, shapeError(op, "tickets")
	}
	if out.AfterCursor == "" && !out.EndOfStream {
		return ExportPage{}, shapeError(op, "after_cursor")
	}
	p := ExportPage{AfterCursor: out.AfterCursor, EndOfStream: out.EndOfStream}
	for _, w := range *out.Tickets {
		t, err := w.state(op)
		if err != nil {
			return ExportPage{}, err
		}
		p.Tickets = append(p.Tickets, t)
	}
	return p, nil
}
