// Package zendesktest is an in-process Zendesk Support API for tests, as
// strict as the real one on what the bridge sends: Basic token auth, JSON
// bodies, lower-case enums, integer ids, required fields and
// Idempotency-Key replays. It records every request, and failures can be
// scripted per path.
package zendesktest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"

	"github.com/brazezendesk/bridge/shared/standin"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Paths the server answers.
const (
	TicketsPath = "/api/v2/tickets.json"
	UsersPath   = "/api/v2/users/create_or_update.json"
)

// Request is one recorded call.
type Request = standin.Request

// Reply is a scripted answer, sent after Delay.
type Reply = standin.Reply

// User is a stored Zendesk user.
type User struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
}

// Server is the stand-in. Its zero value is not usable; call New.
type Server struct {
	*httptest.Server
	standin.Recorder // Script, Requests, RequestsTo, Observe

	mu      sync.Mutex
	auth    string
	users   []*User
	tickets []map[string]any
	idem    map[string]idemEntry
	nextID  int64
}

type idemEntry struct {
	body   []byte
	status int
	resp   []byte
}

// New starts a server accepting the API token of email.
func New(email, token string) *Server {
	s := &Server{idem: map[string]idemEntry{}, nextID: 1000}
	s.SetCredentials(email, token)
	s.Server = httptest.NewServer(s.Handler(s.serve))
	return s
}

// SetCredentials changes the accepted credentials, as rotating a token does.
func (s *Server) SetCredentials(email, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(email+"/token:"+token))
}

// Tickets returns the tickets created, as Zendesk stored them.
func (s *Server) Tickets() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tickets)
}

// Users returns the users that exist.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, len(s.users))
	for i, u := range s.users {
		out[i] = *u
	}
	return out
}

// AddUser stores a user as if created earlier, and returns its id.
func (s *Server) AddUser(u User) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	u.ID = s.nextID
	s.users = append(s.users, &u)
	return u.ID
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get("Authorization") != s.auth {
		reply(w, http.StatusUnauthorized, map[string]any{"error": "Couldn't authenticate you"})
		return
	}
	if r.Method != http.MethodPost {
		reply(w, http.StatusMethodNotAllowed, map[string]any{"error": "MethodNotAllowed"})
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		reply(w, http.StatusUnsupportedMediaType, map[string]any{"error": "UnsupportedMediaType", "description": "Content-Type must be application/json"})
		return
	}
	switch r.URL.Path {
	case TicketsPath:
		s.createTicket(w, r, body)
	case UsersPath:
		s.createOrUpdateUser(w, body)
	default:
		reply(w, http.StatusNotFound, map[string]any{"error": "InvalidEndpoint", "description": "Not found"})
	}
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request, body []byte) {
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		if e, ok := s.idem[key]; ok {
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
		reply(w, http.StatusBadRequest, map[string]any{"error": "InvalidParameter", "description": "ticket is required"})
		return
	}
	if details := s.validateTicket(in.Ticket); len(details) > 0 {
		reply(w, http.StatusUnprocessableEntity, map[string]any{"error": "RecordInvalid",
			"description": "Record validation errors", "details": details})
		return
	}
	var stored map[string]any
	json.Unmarshal(body, &struct{ Ticket *map[string]any }{&stored})
	s.nextID++
	stored["id"] = float64(s.nextID) // as any JSON decoder sees it
	s.tickets = append(s.tickets, stored)
	resp, _ := json.Marshal(map[string]any{"ticket": stored})
	if key != "" {
		s.idem[key] = idemEntry{body: body, status: http.StatusCreated, resp: resp}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	w.Write(resp)
}

type detail = map[string][]map[string]string

func invalid(d detail, field, desc string) {
	d[field] = append(d[field], map[string]string{"description": desc, "error": "InvalidValue"})
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

func (s *Server) userByID(id int64) *User {
	for _, u := range s.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func (s *Server) createOrUpdateUser(w http.ResponseWriter, body []byte) {
	var in struct {
		User *User `json:"user"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.User == nil {
		reply(w, http.StatusBadRequest, map[string]any{"error": "InvalidParameter", "description": "user is required"})
		return
	}
	u := in.User
	var match *User
	for _, e := range s.users {
		if (u.ExternalID != "" && e.ExternalID == u.ExternalID) || (u.ExternalID == "" && u.Email != "" && e.Email == u.Email) {
			match = e
			break
		}
	}
	if match == nil && u.ExternalID != "" && u.Email != "" {
		for _, e := range s.users {
			if e.Email == u.Email {
				match = e
				break
			}
		}
	}
	if match != nil {
		if u.Name != "" {
			match.Name = u.Name
		}
		if u.Email != "" {
			match.Email = u.Email
		}
		if u.Phone != "" {
			match.Phone = u.Phone
		}
		if u.ExternalID != "" {
			match.ExternalID = u.ExternalID
		}
		reply(w, http.StatusOK, map[string]any{"user": match})
		return
	}
	if u.Name == "" {
		reply(w, http.StatusUnprocessableEntity, map[string]any{"error": "RecordInvalid", "description": "Record validation errors",
			"details": detail{"name": {{"description": "Name: cannot be blank", "error": "BlankValue"}}}})
		return
	}
	s.nextID++
	u.ID = s.nextID
	s.users = append(s.users, u)
	reply(w, http.StatusCreated, map[string]any{"user": u})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
