// Package zendesktest is an in-process Zendesk Support API for tests, as
// strict as the real one on what the bridge sends: Basic token auth, JSON
// bodies (and none on a GET), lower-case enums, integer ids, required
// fields, unique emails and external ids, and Idempotency-Key replays. It
// records every request, and failures can be scripted per path.
package zendesktest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brazezendesk/bridge/shared/standin"
)

// Paths the server answers. A user or ticket of its own is at UserPath or
// TicketPath, which is also the path to Script failures for.
const (
	TicketsPath     = "/api/v2/tickets.json"
	UsersPath       = "/api/v2/users/create_or_update.json"
	CreateUserPath  = "/api/v2/users.json"
	SearchUsersPath = "/api/v2/users/search.json"
)

// UserPath is the path of user id: GET reads it, PUT updates it.
func UserPath(id int64) string { return fmt.Sprintf("/api/v2/users/%d.json", id) }

// TicketPath is the path of ticket id: GET reads it.
func TicketPath(id int64) string { return fmt.Sprintf("/api/v2/tickets/%d.json", id) }

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

	mu         sync.Mutex
	auth       string
	agentEmail string
	users      []*User
	secondary  map[int64][]string // user id → other email identities than Email
	tickets    []*ticket
	idem       map[string]idemEntry
	nextID     int64
	rate       rateLimit // the plan's API limit (ratelimit.go)
	jobs       jobs      // bulk jobs and their statuses (jobs.go)

	clients      map[string]*oauthClient
	tokens       map[string]*accessToken
	apiTokensOff bool
	// exportCalls are the times of the incremental export's recent calls.
	exportCalls []time.Time
	exportPage  int // tickets an export page holds; 0 is ExportPageSize

	// TokenLifetime is the expires_in of a token whose request names none;
	// zero means MaxTokenLifetime. Set it before the first request.
	TokenLifetime time.Duration

	// Now is the clock Idempotency-Key records age by; nil means time.Now.
	// Set it before the first request.
	Now func() time.Time

	// ExternalIDTakenUnder is the details key a duplicate external id's
	// 422 is filed under; empty means "external_id". Zendesk has also been
	// seen to file it under "name" (the zendesk2 Ruby client's mocks answer
	// {"details": {"name": [{"description": "External has already been
	// taken"}]}}), so a client must go by the description. Set it before
	// the first request.
	ExternalIDTakenUnder string
}

// IdempotencyWindow is how long Zendesk remembers an Idempotency-Key.
const IdempotencyWindow = 2 * time.Hour

type idemEntry struct {
	body   []byte
	status int
	resp   []byte
	at     time.Time
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
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
	s.agentEmail = email
}

// Tickets returns the tickets created, each as it was sent plus its id
// (Zendesk's own view, with defaults, is what GET TicketPath answers), and
// those added with AddTicket.
func (s *Server) Tickets() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, len(s.tickets))
	for i, t := range s.tickets {
		out[i] = t.posted
	}
	return out
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

// AddUser stores a user as if created earlier, and returns its id: u.ID
// when it is set (sample data that names ids), else the next free one. It
// skips Zendesk's checks, so a test can set up what an API call could not.
func (s *Server) AddUser(u User) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUser(u)
}

// AddEmailIdentity gives user id another email identity, as an agent adds
// a secondary address. A user's email is the primary address only, the one
// a user record shows; Zendesk's uniqueness and its search span every
// email identity (User Identities API). It skips Zendesk's checks.
func (s *Server) AddEmailIdentity(id int64, addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.secondary == nil {
		s.secondary = map[int64][]string{}
	}
	s.secondary[id] = append(s.secondary[id], addr)
}

func (s *Server) addUser(u User) int64 {
	if u.ID > 0 {
		s.nextID = max(s.nextID, u.ID)
	} else {
		s.nextID++
		u.ID = s.nextID
	}
	s.users = append(s.users, &u)
	return u.ID
}

type handler func(w http.ResponseWriter, r *http.Request, body []byte)

// route finds the handler for method and path. With none, it says which
// methods the path takes (none: the path is unknown).
func (s *Server) route(method, path string) (handler, []string) {
	routes := s.bulkRoutes(path)
	switch path {
	case TicketsPath:
		routes[http.MethodPost] = s.createTicket
		routes[http.MethodGet] = s.listTickets
	case UsersPath:
		routes[http.MethodPost] = func(w http.ResponseWriter, _ *http.Request, body []byte) { s.createOrUpdateUser(w, body) }
	case CreateUserPath:
		routes[http.MethodPost] = s.createUser
	case SearchUsersPath:
		routes[http.MethodGet] = s.searchUsers
	default:
		if id, ok := idIn(path, "/api/v2/users/"); ok {
			routes[http.MethodGet] = func(w http.ResponseWriter, r *http.Request, _ []byte) { s.showUser(w, r, id) }
			routes[http.MethodPut] = func(w http.ResponseWriter, _ *http.Request, body []byte) { s.updateUser(w, id, body) }
		} else if id, ok := idIn(path, "/api/v2/tickets/"); ok {
			routes[http.MethodGet] = func(w http.ResponseWriter, r *http.Request, _ []byte) { s.showTicket(w, r, id) }
		}
	}
	s.supportRoutes(path, routes)
	if h, ok := routes[method]; ok {
		return h, nil
	}
	allowed := make([]string, 0, len(routes))
	for m := range routes {
		allowed = append(allowed, m)
	}
	slices.Sort(allowed)
	return nil, allowed
}

// idIn reads the id of prefix + "<digits>.json".
func idIn(path, prefix string) (int64, bool) {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, ".json")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limited(w) {
		return
	}
	if r.URL.Path == TokensPath {
		s.mint(w, r, body)
		return
	}
	client, scopes, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if r.URL.Path == MePath && r.Method == http.MethodGet {
		s.me(w, client)
		return
	}
	if need := requiredScope(r.Method, r.URL.Path); scopes != nil && !granted(scopes, need) {
		// Zendesk's answer to a token without the scope an endpoint needs.
		reply(w, http.StatusForbidden, map[string]any{"error": "Forbidden", "description": "You are missing the following required scopes: " + need})
		return
	}
	h, allowed := s.route(r.Method, r.URL.Path)
	if h == nil {
		if len(allowed) == 0 {
			reply(w, http.StatusNotFound, map[string]any{"error": "InvalidEndpoint", "description": "Not found"})
			return
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		reply(w, http.StatusMethodNotAllowed, map[string]any{"error": "MethodNotAllowed"})
		return
	}
	switch r.Method {
	case http.MethodGet:
		// A body on a GET is a client bug (a request built for a POST);
		// proxies and CDNs in front of Zendesk may drop or refuse it.
		if len(body) > 0 || r.ContentLength > 0 || len(r.TransferEncoding) > 0 {
			badRequest(w, "a GET request must not carry a body")
			return
		}
	default:
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			reply(w, http.StatusUnsupportedMediaType, map[string]any{"error": "UnsupportedMediaType", "description": "Content-Type must be application/json"})
			return
		}
	}
	h(w, r, body)
}

// params reads a GET's query string, refusing a malformed one, a name not
// in allowed, and a repeated name.
func params(w http.ResponseWriter, r *http.Request, allowed ...string) (url.Values, bool) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		badRequest(w, "the query string is malformed")
		return nil, false
	}
	for k, vs := range q {
		if !slices.Contains(allowed, k) {
			badRequest(w, "unsupported parameter "+k)
			return nil, false
		}
		if len(vs) > 1 {
			badRequest(w, "parameter "+k+" is repeated")
			return nil, false
		}
	}
	return q, true
}

type detail = map[string][]map[string]string

func invalid(d detail, field, desc string) {
	d[field] = append(d[field], map[string]string{"description": desc, "error": "InvalidValue"})
}

func recordInvalid(w http.ResponseWriter, d detail) {
	reply(w, http.StatusUnprocessableEntity, map[string]any{"error": "RecordInvalid", "description": "Record validation errors", "details": d})
}

func notFound(w http.ResponseWriter) {
	reply(w, http.StatusNotFound, map[string]any{"error": "RecordNotFound", "description": "Not found"})
}

func badRequest(w http.ResponseWriter, desc string) {
	reply(w, http.StatusBadRequest, map[string]any{"error": "InvalidParameter", "description": desc})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// orNull renders an unset string as Zendesk does: null.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}
