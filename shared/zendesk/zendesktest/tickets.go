package zendesktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/zendesk"
)

// ticket is a stored ticket twice over: as it was sent (what Tickets
// returns, so tests see exactly what the bridge filed) and as Zendesk shows
// it (what a GET answers).
type ticket struct {
	posted map[string]any
	view   map[string]any
}

// AddTicket stores t (the object inside {"ticket": …}) as if created in
// Zendesk, and returns its id: t["id"] when that is a positive integer, else
// a new one. It skips Zendesk's checks but fills in its defaults, as a
// created ticket gets them. It panics on an id already taken, a test's bug.
func (s *Server) AddTicket(t map[string]any) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, err := roundTrip(t)
	if err != nil {
		panic(fmt.Sprintf("zendesktest.AddTicket: %v", err))
	}
	id, _ := idOf(stored["id"])
	switch {
	case id > 0 && s.ticketByID(id) != nil:
		panic(fmt.Sprintf("zendesktest.AddTicket: ticket %d exists", id))
	case id > 0:
		s.nextID = max(s.nextID, id)
	default:
		s.nextID++
		id = s.nextID
	}
	stored["id"] = float64(id) // as any JSON decoder sees it
	s.tickets = append(s.tickets, &ticket{posted: stored, view: s.ticketView(stored, id)})
	return id
}

func (s *Server) ticketByID(id int64) *ticket {
	for _, t := range s.tickets {
		if n, _ := idOf(t.view["id"]); n == id {
			return t
		}
	}
	return nil
}

// idOf reads a JSON number that is a whole id.
func idOf(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// roundTrip copies v through JSON, so that numbers are float64 as a decoder
// makes them and nothing is shared with the caller.
func roundTrip(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil || out == nil {
		return nil, fmt.Errorf("not a JSON object: %s", b)
	}
	return out, nil
}

// ticketView is the ticket as Zendesk shows it: every field present (null
// when unset), the first comment as the description, and requester_id set.
func (s *Server) ticketView(posted map[string]any, id int64) map[string]any {
	v, _ := roundTrip(posted)
	comment, _ := v["comment"].(map[string]any)
	requester, _ := v["requester"].(map[string]any)
	delete(v, "comment")
	delete(v, "requester")
	now := s.now().UTC().Truncate(time.Second).Format(time.RFC3339)
	for k, def := range map[string]any{
		"subject": "", "status": "new", "tags": []any{}, "custom_fields": []any{},
		"collaborator_ids": []any{}, "follower_ids": []any{}, "email_cc_ids": []any{},
		"type": nil, "priority": nil, "external_id": nil, "assignee_id": nil, "group_id": nil,
		"organization_id": nil, "due_at": nil, "problem_id": nil, "is_public": true,
		"created_at": now, "updated_at": now,
	} {
		if x, ok := v[k]; !ok || x == nil {
			v[k] = def
		}
	}
	v["id"] = float64(id)
	v["url"] = s.URL + TicketPath(id)
	v["raw_subject"] = v["subject"]
	if _, ok := v["description"]; !ok {
		body, _ := comment["body"].(string)
		if body == "" {
			body, _ = comment["html_body"].(string)
		}
		v["description"] = body
	}
	if _, ok := idOf(v["requester_id"]); !ok {
		v["requester_id"] = float64(s.requesterFor(requester))
	}
	// The stand-in keeps no agents, so the submitter (the agent who filed
	// it, in Zendesk) is the requester unless the ticket says otherwise.
	if _, ok := idOf(v["submitter_id"]); !ok {
		v["submitter_id"] = v["requester_id"]
	}
	return v
}

// requesterFor finds or creates the user of a ticket's requester object by
// email, as Zendesk does; with none, the agent filing it is the requester.
func (s *Server) requesterFor(requester map[string]any) int64 {
	email, _ := requester["email"].(string)
	name, _ := requester["name"].(string)
	if email == "" {
		email, name = s.agentEmail, s.agentEmail
	}
	if u := s.userByEmail(email, 0); u != nil {
		return u.ID
	}
	if name == "" {
		name = email
	}
	return s.addUser(User{Name: name, Email: email})
}

// showTicket answers GET /api/v2/tickets/{id}.json, side-loading the
// requester, submitter and assignee with include=users.
func (s *Server) showTicket(w http.ResponseWriter, r *http.Request, id int64) {
	q, ok := params(w, r, "include")
	if !ok {
		return
	}
	sideload := false
	if inc, ok := q["include"]; ok {
		for _, name := range strings.Split(inc[0], ",") {
			if name != "users" {
				badRequest(w, "the stand-in side-loads only users, not "+name)
				return
			}
			sideload = true
		}
	}
	t := s.ticketByID(id)
	if t == nil {
		notFound(w)
		return
	}
	out := map[string]any{"ticket": t.view}
	if sideload {
		users := []map[string]any{}
		var seen []int64
		for _, f := range []string{"requester_id", "submitter_id", "assignee_id"} {
			uid, ok := idOf(t.view[f])
			if u := s.userByID(uid); ok && u != nil && !slices.Contains(seen, uid) {
				seen = append(seen, uid)
				users = append(users, s.userView(u))
			}
		}
		out["users"] = users
	}
	reply(w, http.StatusOK, out)
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, body []byte) {
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		if e, ok := s.idem[key]; ok && s.now().Sub(e.at) < IdempotencyWindow {
			if !bytes.Equal(e.body, body) {
				reply(w, http.StatusBadRequest, map[string]any{"error": "IdempotentRequestError",
					"description": "The request parameters do not match the original request for this idempotency key"})
				return
			}
			w.Header().Set("X-Idempotency-Lookup", "hit")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(e.status)
			w.Write(e.resp)
			return
		}
		w.Header().Set("X-Idempotency-Lookup", "miss")
	}
	var in struct {
		Ticket map[string]json.RawMessage `json:"ticket"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Ticket == nil {
		badRequest(w, "ticket is required")
		return
	}
	if details := s.validateTicket(in.Ticket); len(details) > 0 {
		recordInvalid(w, details)
		return
	}
	var stored map[string]any
	json.Unmarshal(body, &struct{ Ticket *map[string]any }{&stored})
	s.nextID++
	id := s.nextID
	stored["id"] = float64(id) // as any JSON decoder sees it
	t := &ticket{posted: stored, view: s.ticketView(stored, id)}
	s.tickets = append(s.tickets, t)
	resp, _ := json.Marshal(map[string]any{"ticket": t.view})
	if key != "" {
		s.idem[key] = idemEntry{body: body, status: http.StatusCreated, resp: resp, at: s.now()}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	w.Write(resp)
}

func (s *Server) validateTicket(t map[string]json.RawMessage) detail {
	d := detail{}
	for field, allowed := range map[string][]string{"type": zendesk.TicketTypes, "priority": zendesk.TicketPriorities, "status": zendesk.TicketStatuses} {
		if raw, ok := t[field]; ok {
			var v string
			if json.Unmarshal(raw, &v) != nil || !slices.Contains(allowed, v) {
				invalid(d, field, fmt.Sprintf("%s: %s is not a valid value", field, raw))
			}
		}
	}
	var comment struct {
		Body     string `json:"body"`
		HTMLBody string `json:"html_body"`
	}
	if json.Unmarshal(t["comment"], &comment) != nil || (comment.Body == "" && comment.HTMLBody == "") {
		invalid(d, "description", "Description: cannot be blank")
	}
	if raw, ok := t["requester_id"]; ok {
		var id int64
		if json.Unmarshal(raw, &id) != nil {
			invalid(d, "requester_id", "Requester: is invalid (must be an integer id)")
		} else if s.userByID(id) == nil {
			invalid(d, "requester", "Requester: does not exist")
		}
	}
	if raw, ok := t["requester"]; ok {
		var req map[string]json.RawMessage
		if json.Unmarshal(raw, &req) != nil {
			invalid(d, "requester", "Requester: is invalid")
		} else {
			for k := range req {
				if !slices.Contains([]string{"name", "email", "locale_id"}, k) {
					invalid(d, "requester", "Requester: unknown attribute "+k)
				}
			}
			var name, email string
			if json.Unmarshal(req["name"], &name) != nil || name == "" {
				invalid(d, "requester", "Requester: name is required to create a user")
			}
			if json.Unmarshal(req["email"], &email) != nil || email == "" {
				invalid(d, "requester", "Requester: email is required")
			}
		}
	}
	for _, f := range []string{"assignee_id", "group_id", "organization_id", "brand_id", "ticket_form_id"} {
		if raw, ok := t[f]; ok {
			var n int64
			if json.Unmarshal(raw, &n) != nil {
				invalid(d, f, f+": must be an integer")
			}
		}
	}
	if raw, ok := t["tags"]; ok {
		var tags []string
		if json.Unmarshal(raw, &tags) != nil {
			invalid(d, "tags", "Tags: must be a list of strings")
		}
	}
	return d
}

// listTickets answers GET /api/v2/tickets.json?external_id=X, the tickets
// with that external id; the stand-in lists by nothing else.
func (s *Server) listTickets(w http.ResponseWriter, r *http.Request, _ []byte) {
	q, ok := params(w, r, "external_id")
	if !ok {
		return
	}
	ext := q.Get("external_id")
	if ext == "" {
		badRequest(w, "the stand-in lists tickets only by external_id")
		return
	}
	found := []map[string]any{}
	for _, t := range s.tickets {
		if t.view["external_id"] == ext {
			found = append(found, t.view)
		}
	}
	reply(w, http.StatusOK, map[string]any{"tickets": found, "count": len(found), "next_page": nil, "previous_page": nil})
}
