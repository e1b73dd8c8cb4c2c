// Package brazetest is an in-process Braze REST API for tests, as strict as
// the real POST /users/track on what the bridge sends: Bearer API key auth
// (401 for a missing key, 404 for an unknown one), JSON bodies, at most the
// contract's objects per request, a user identifier on every object, ISO
// 8601 times of at most millisecond precision on events and purchases,
// property strings of at most 255 characters, profiles created for unknown
// identifiers unless an object says _update_existing_only, and minor
// errors for the objects it skips. It records every request, and failures
// can be scripted per path.
package brazetest

import (
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"

	"github.com/brazezendesk/bridge/shared/standin"
)

// TrackPath is the only path the server answers.
const TrackPath = "/users/track"

// MaxObjects is the most objects one request may carry, all arrays
// together, by default: Braze's current limit ("up to 75 total objects
// combined across attributes, events, and purchases", /users/track rate
// limit). SetObjectsPerRequest models another contract.
const MaxObjects = 75

// MAUObjectsPerRequest is the limit of customers on Braze's Monthly Active
// Users contracts: "each request may batch up to 50 updates combined
// across attribute, event, or purchase objects" (the /users/track
// reference for Monthly Active Users CY 24-25; a later revision says 75).
const MAUObjectsPerRequest = 50

// Request is one recorded call.
type Request = standin.Request

// Reply is a scripted answer, sent after Delay.
type Reply = standin.Reply

// Server is the stand-in. Its zero value is not usable; call New.
type Server struct {
	*httptest.Server
	standin.Recorder // Script, Requests, RequestsTo, Observe

	mu         sync.Mutex
	key        string
	denied     bool // the key lacks the users.track permission
	limit      int  // objects per request
	profiles   profiles
	attributes []map[string]any
	events     []map[string]any
	purchases  []map[string]any
}

// New starts a server accepting apiKey.
func New(apiKey string) *Server {
	s := &Server{limit: MaxObjects}
	s.SetAPIKey(apiKey)
	s.Server = httptest.NewServer(s.Handler(s.serve))
	return s
}

// SetAPIKey changes the accepted API key, as rotating it does.
func (s *Server) SetAPIKey(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = k
}

// DenyTrack takes the users.track permission from the key (or gives it
// back). Braze answers such a key "403 Access Denied: The REST API Key you
// are using does not have sufficient permissions" (its fatal errors),
// before it reads the body.
func (s *Server) DenyTrack(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = deny
}

// SetObjectsPerRequest sets the contract's limit on objects per request,
// all arrays together (MaxObjects by default, MAUObjectsPerRequest for an
// MAU contract).
func (s *Server) SetObjectsPerRequest(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = n
}

// Attributes returns every attributes object Braze accepted, in arrival order.
func (s *Server) Attributes() []map[string]any { return s.stored(&s.attributes) }

// Events returns every events object Braze accepted, in arrival order.
func (s *Server) Events() []map[string]any { return s.stored(&s.events) }

// Purchases returns every purchases object Braze accepted, in arrival order.
func (s *Server) Purchases() []map[string]any { return s.stored(&s.purchases) }

func (s *Server) stored(list *[]map[string]any) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, len(*list))
	for i, o := range *list {
		out[i] = deepClone(o).(map[string]any)
	}
	return out
}

// deepClone copies what encoding/json decodes into any.
func deepClone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepClone(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = deepClone(e)
		}
		return a
	}
	return v
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	key, denied := s.key, s.denied
	s.mu.Unlock()
	if status, msg := authorize(r.Header.Get("Authorization"), key); status != 0 {
		reply(w, status, map[string]any{"message": msg})
		return
	}
	if denied {
		reply(w, http.StatusForbidden, map[string]any{"message": "Access Denied"})
		return
	}
	if r.URL.Path != TrackPath {
		reply(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, map[string]any{"message": "Method Not Allowed"})
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		reply(w, http.StatusUnsupportedMediaType, map[string]any{"message": "Content-Type must be application/json"})
		return
	}
	status, resp := s.track(body)
	reply(w, status, resp)
}

var arrays = []string{"attributes", "events", "purchases"}

const noData = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."

func (s *Server) track(body []byte) (int, map[string]any) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return http.StatusBadRequest, map[string]any{"message": "Invalid JSON"}
	}
	in := map[string][]map[string]any{}
	total := 0
	for _, name := range arrays {
		raw, ok := top[name]
		if !ok {
			continue
		}
		var objs []map[string]any
		// A non-array, null, or an array with a non-object (null included)
		// is not valid data.
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil || elems == nil {
			return http.StatusBadRequest, map[string]any{"message": noData}
		}
		for _, e := range elems {
			var o map[string]any
			if json.Unmarshal(e, &o) != nil || o == nil {
				return http.StatusBadRequest, map[string]any{"message": noData}
			}
			objs = append(objs, o)
		}
		in[name] = objs
		total += len(objs)
	}
	if total == 0 {
		return http.StatusBadRequest, map[string]any{"message": noData}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if total > s.limit {
		return http.StatusBadRequest, map[string]any{"message": "Max Input Length Exceeded",
			"errors": []string{fmt.Sprintf("too many objects in one request: %d > %d", total, s.limit)}}
	}

	resp := map[string]any{"message": "success"}
	var minor []map[string]any
	for _, name := range arrays {
		objs, ok := in[name]
		if !ok {
			continue
		}
		n := 0
		for i, o := range objs {
			if problem := validate(name, o); problem != "" {
				minor = append(minor, map[string]any{"type": problem, "input_array": name, "index": i})
				continue
			}
			// Braze queues what it accepts and applies it later: an
			// object for no profile it may create counts as processed,
			// and is dropped.
			n++
			if !s.profiles.resolve(o) {
				continue
			}
			if name == "attributes" {
				dropLongAttributes(o)
			}
			switch name {
			case "attributes":
				s.attributes = append(s.attributes, o)
			case "events":
				s.events = append(s.events, o)
			case "purchases":
				s.purchases = append(s.purchases, o)
			}
		}
		resp[name+"_processed"] = n
	}
	if len(minor) > 0 {
		resp["errors"] = minor
	}
	return http.StatusCreated, resp
}

// validate returns what is wrong with an object of array name, or "".
func validate(name string, o map[string]any) string {
	if p := identify(o); p != "" {
		return p
	}
	if p := checkUpdateOnly(o); p != "" {
		return p
	}
	switch name {
	case "events":
		if !nonEmpty(o["name"]) {
			return "'name' is required and must be a non-empty string"
		}
		if p := checkTime(o); p != "" {
			return p
		}
		return checkProperties(o)
	case "purchases":
		if !nonEmpty(o["product_id"]) {
			return "'product_id' is required and must be a non-empty string"
		}
		if c, ok := o["currency"].(string); !ok || !currency.MatchString(c) {
			return "'currency' is required and must be a 3-letter ISO 4217 currency code"
		}
		if _, ok := o["price"].(float64); !ok {
			return "'price' is required and must be a number"
		}
		if q, ok := o["quantity"]; ok {
			if f, isNum := q.(float64); !isNum || f != math.Trunc(f) || f < 1 || f > 100 {
				return "'quantity' must be an integer from 1 to 100"
			}
		}
		if p := checkTime(o); p != "" {
			return p
		}
		return checkProperties(o)
	}
	return ""
}

var identifiers = []string{"external_id", "braze_id", "email", "phone"}

// identify checks the user identifiers: at least one must be usable, and
// none may have the wrong type. An empty or unrendered-template value
// counts as absent.
func identify(o map[string]any) string {
	found := false
	for _, k := range identifiers {
		switch v := o[k].(type) {
		case nil:
		case string:
			found = found || usable(v)
		default:
			return fmt.Sprintf("'%s' must be a string", k)
		}
	}
	switch a := o["user_alias"].(type) {
	case nil:
	case map[string]any:
		name, _ := a["alias_name"].(string)
		label, _ := a["alias_label"].(string)
		if !usable(name) || !usable(label) {
			return "'user_alias' must have non-empty string 'alias_name' and 'alias_label'"
		}
		found = true
	default:
		return "'user_alias' must be an object"
	}
	if !found {
		return "'external_id' or 'braze_id' or 'user_alias' or 'email' or 'phone' is required"
	}
	return ""
}

func usable(v string) bool { return strings.TrimSpace(v) != "" && !strings.Contains(v, "{{") }

func nonEmpty(v any) bool {
	s, ok := v.(string)
	return ok && strings.TrimSpace(s) != ""
}

var currency = regexp.MustCompile(`^[A-Za-z]{3}$`)

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
