package zendesktest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// IncrementalTicketsPath is the cursor-based incremental ticket export.
const IncrementalTicketsPath = "/api/v2/incremental/tickets/cursor.json"

// RequestedTicketsPath lists the tickets user id requested.
func RequestedTicketsPath(id int64) string {
	return fmt.Sprintf("/api/v2/users/%d/tickets/requested.json", id)
}

// Export limits, as Zendesk documents them: 1,000 tickets a page, 10
// requests a minute, and nothing changed within the last minute.
const (
	ExportPageSize   = 1000
	ExportPerMinute  = 10
	exportSettleTime = time.Minute
)

// supportRoutes adds the support-state reads to routes when path is one.
func (s *Server) supportRoutes(path string, routes map[string]handler) {
	if path == IncrementalTicketsPath {
		routes[http.MethodGet] = s.exportTickets
		return
	}
	rest, ok := strings.CutPrefix(path, "/api/v2/users/")
	if !ok {
		return
	}
	digits, ok := strings.CutSuffix(rest, "/tickets/requested.json")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return
	}
	if id, err := strconv.ParseInt(digits, 10, 64); err == nil && id > 0 {
		routes[http.MethodGet] = func(w http.ResponseWriter, r *http.Request, _ []byte) { s.requestedTickets(w, r, id) }
	}
}

// SetTicketStatus changes a ticket's status as an agent would (solving it,
// say), at the server's clock, and reports whether the ticket exists.
func (s *Server) SetTicketStatus(id int64, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ticketByID(id)
	if t == nil {
		return false
	}
	t.view["status"] = status
	s.touch(t)
	return true
}

// RateTicket records the requester's satisfaction rating ("good" or
// "bad", or "offered" when the survey went out), as Zendesk shows it on
// the ticket, and reports whether the ticket exists. A rating updates the
// ticket.
func (s *Server) RateTicket(id int64, score, reason, comment string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ticketByID(id)
	if t == nil {
		return false
	}
	s.nextID++
	r := map[string]any{"id": float64(s.nextID), "score": score}
	if reason != "" {
		r["reason"] = reason
	}
	if comment != "" {
		r["comment"] = comment
	}
	t.view["satisfaction_rating"] = r
	s.touch(t)
	return true
}

// touch stamps a change at the server's clock. Zendesk writes times to
// the second.
func (s *Server) touch(t *ticket) {
	t.view["updated_at"] = s.now().UTC().Truncate(time.Second).Format(time.RFC3339)
}

// TicketUpdatedAt is ticket id's updated_at, or the zero time.
func (s *Server) TicketUpdatedAt(id int64) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.ticketByID(id)
	if t == nil {
		return time.Time{}
	}
	return updatedAt(t)
}

func updatedAt(t *ticket) time.Time {
	s, _ := t.view["updated_at"].(string)
	at, _ := time.Parse(time.RFC3339, s)
	return at
}

// requestedTickets answers GET /api/v2/users/{id}/tickets/requested.json,
// cursor-paginated (page[size] up to 100, page[after]) in id order. A
// sort_by is accepted and, as Zendesk's cursor pages have been seen to
// do, ignored: the client must not rely on order.
func (s *Server) requestedTickets(w http.ResponseWriter, r *http.Request, id int64) {
	q, ok := params(w, r, "page[size]", "page[after]", "sort_by", "sort_order")
	if !ok {
		return
	}
	if s.userByID(id) == nil {
		notFound(w)
		return
	}
	size := 100
	if v := q.Get("page[size]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			badRequest(w, "page[size] must be 1 to 100")
			return
		}
		size = n
	}
	after := int64(0)
	if c := q.Get("page[after]"); c != "" {
		n, ok := decodeCursor(c)
		if !ok {
			badRequest(w, "page[after] is not a cursor this endpoint gave")
			return
		}
		after = n[1]
	}
	var mine []*ticket
	for _, t := range s.tickets {
		rid, _ := idOf(t.view["requester_id"])
		tid, _ := idOf(t.view["id"])
		if rid == id && tid > after {
			mine = append(mine, t)
		}
	}
	slices.SortFunc(mine, func(a, b *ticket) int { x, _ := idOf(a.view["id"]); y, _ := idOf(b.view["id"]); return int(x - y) })
	more := len(mine) > size
	if more {
		mine = mine[:size]
	}
	out := make([]map[string]any, len(mine))
	for i, t := range mine {
		out[i] = t.view
	}
	meta := map[string]any{"has_more": more, "after_cursor": nil, "before_cursor": nil}
	if len(mine) > 0 {
		last, _ := idOf(mine[len(mine)-1].view["id"])
		meta["after_cursor"] = encodeCursor(0, last)
	}
	reply(w, http.StatusOK, map[string]any{"tickets": out, "meta": meta, "links": map[string]any{"next": nil, "prev": nil}})
}

// exportTickets answers the cursor-based incremental export: tickets in
// (updated_at, id) order from start_time (epoch seconds, at least a minute
// in the past) or from a cursor, up to ExportPageSize a page, leaving out
// changes of the last minute, at most ExportPerMinute requests a minute.
func (s *Server) exportTickets(w http.ResponseWriter, r *http.Request, _ []byte) {
	now := s.now()
	if !s.exportAllowed(w, now) {
		return
	}
	q, ok := params(w, r, "start_time", "cursor", "per_page", "include", "exclude_deleted")
	if !ok {
		return
	}
	var from [2]int64 // (updated_at, id) strictly after which to read
	switch c, st := q.Get("cursor"), q.Get("start_time"); {
	case c != "" && st != "":
		badRequest(w, "give start_time or cursor, not both")
		return
	case c != "":
		if from, ok = decodeCursor(c); !ok {
			badRequest(w, "cursor is not one this endpoint gave")
			return
		}
	case st != "":
		n, err := strconv.ParseInt(st, 10, 64)
		if err != nil || n < 0 {
			badRequest(w, "start_time must be epoch seconds")
			return
		}
		if now.Unix()-n < int64(exportSettleTime.Seconds()) {
			reply(w, http.StatusBadRequest, map[string]any{"error": "InvalidValue",
				"description": "Too recent start_time. Use a start_time older than one minute."})
			return
		}
		from = [2]int64{n - 1, 1<<62 - 1} // on or after start_time
	default:
		badRequest(w, "start_time or cursor is required")
		return
	}
	bound := now.Add(-exportSettleTime).Unix()
	var due []*ticket
	for _, t := range s.tickets {
		at := updatedAt(t).Unix()
		id, _ := idOf(t.view["id"])
		if at > bound || at < from[0] || (at == from[0] && id <= from[1]) {
			continue
		}
		due = append(due, t)
	}
	slices.SortFunc(due, func(a, b *ticket) int {
		x, y := updatedAt(a).Unix(), updatedAt(b).Unix()
		if x != y {
			return int(x - y)
		}
		i, _ := idOf(a.view["id"])
		j, _ := idOf(b.view["id"])
		return int(i - j)
	})
	size := ExportPageSize
	if s.exportPage > 0 {
		size = s.exportPage
	}
	end := len(due) <= size
	if !end {
		due = due[:size]
	}
	out := make([]map[string]any, len(due))
	for i, t := range due {
		out[i] = t.view
	}
	next := from
	if len(due) > 0 {
		last := due[len(due)-1]
		id, _ := idOf(last.view["id"])
		next = [2]int64{updatedAt(last).Unix(), id}
	} else if q.Get("start_time") != "" {
		next = [2]int64{min(from[0], bound), 1<<62 - 1}
	}
	cursor := encodeCursor(next[0], next[1])
	reply(w, http.StatusOK, map[string]any{"tickets": out, "after_cursor": cursor,
		"after_url": s.URL + IncrementalTicketsPath + "?cursor=" + cursor, "before_cursor": nil, "before_url": nil,
		"end_of_stream": end})
}

// exportAllowed counts a request against the export's own rate limit,
// answering 429 with Retry-After beyond it.
func (s *Server) exportAllowed(w http.ResponseWriter, now time.Time) bool {
	window := now.Add(-time.Minute)
	kept := s.exportCalls[:0]
	for _, at := range s.exportCalls {
		if at.After(window) {
			kept = append(kept, at)
		}
	}
	s.exportCalls = kept
	if len(kept) >= ExportPerMinute {
		wait := kept[0].Add(time.Minute).Sub(now)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Seconds()+0.999))))
		reply(w, http.StatusTooManyRequests, map[string]any{"error": "TooManyRequests",
			"description": "Number of allowed incremental export API requests per minute exceeded"})
		return false
	}
	s.exportCalls = append(s.exportCalls, now)
	return true
}

// SetExportPageSize makes export pages hold n tickets rather than
// Zendesk's 1,000, so that a test pages through a few.
func (s *Server) SetExportPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exportPage = n
}

// ExportCalls is how many export requests were answered (not refused) in
// the minute before now.
func (s *Server) ExportCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.exportCalls)
}

// A cursor is opaque to clients; here it is (updated_at, id) in base64.
func encodeCursor(at, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%d|%d", at, id)))
}

func decodeCursor(c string) ([2]int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return [2]int64{}, false
	}
	a, z, ok := strings.Cut(string(b), "|")
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(z, 10, 64)
	return [2]int64{x, y}, ok && err1 == nil && err2 == nil
}
