// Package brazetest is an in-process Braze REST API for tests, as strict as
// the real POST /users/track on what the bridge sends: Bearer API key auth,
// JSON bodies, a user identifier on every object, ISO 8601 times on events
// and purchases, and minor errors for the objects it skips. It is stricter
// than Braze on one point: at most MaxObjects objects per request across
// all arrays together, because the client promises that. It records every
// request, and failures can be scripted per path.
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
	"time"

	"github.com/brazezendesk/bridge/shared/standin"
)

// TrackPath is the only path the server answers.
const TrackPath = "/users/track"

// MaxObjects is the most objects one request may carry, all arrays together.
const MaxObjects = 75

// Request is one recorded call.
type Request = standin.Request

// Reply is a scripted answer, sent after Delay.
type Reply = standin.Reply

// Server is the stand-in. Its zero value is not usable; call New.
type Server struct {
	*httptest.Server
	standin.Recorder // Script, Requests, RequestsTo, Observe

	mu         sync.Mutex
	auth       string
	attributes []map[string]any
	events     []map[string]any
	purchases  []map[string]any
}

// New starts a server accepting apiKey.
func New(apiKey string) *Server {
	s := &Server{}
	s.SetAPIKey(apiKey)
	s.Server = httptest.NewServer(s.Handler(s.serve))
	return s
}

// SetAPIKey changes the accepted API key, as rotating it does.
func (s *Server) SetAPIKey(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = "Bearer " + k
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
	auth := s.auth
	s.mu.Unlock()
	if r.Header.Get("Authorization") != auth {
		reply(w, http.StatusUnauthorized, map[string]any{"message": "Invalid API Key"})
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
	if total > MaxObjects {
		return http.StatusBadRequest, map[string]any{"message": "Max Input Length Exceeded",
			"errors": []string{fmt.Sprintf("too many objects in one request: %d > %d", total, MaxObjects)}}
	}

	resp := map[string]any{"message": "success"}
	var minor []map[string]any
	s.mu.Lock()
	defer s.mu.Unlock()
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
			switch name {
			case "attributes":
				s.attributes = append(s.attributes, o)
			case "events":
				s.events = append(s.events, o)
			case "purchases":
				s.purchases = append(s.purchases, o)
			}
			n++
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

// brazeTime is Braze's yyyy-MM-dd'T'HH:mm:ss:SSSZ: milliseconds after a
// colon, then Z or a numeric zone.
var brazeTime = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}):(\d{3})(Z|[+-]\d{2}:?\d{2})$`)

// parseTime reads a /users/track time: RFC 3339 (with or without fractional
// seconds) or Braze's yyyy-MM-dd'T'HH:mm:ss:SSSZ.
func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if m := brazeTime.FindStringSubmatch(v); m != nil {
		zone := strings.Replace(m[3], ":", "", 1)
		return time.Parse("2006-01-02T15:04:05.000Z0700", m[1]+"."+m[2]+zone)
	}
	return time.Time{}, fmt.Errorf("time %q is neither RFC 3339 nor yyyy-MM-dd'T'HH:mm:ss:SSSZ", v)
}

func checkTime(o map[string]any) string {
	v, ok := o["time"]
	if !ok || v == nil {
		return "'time' is required"
	}
	str, ok := v.(string)
	if !ok {
		return "'time' must be an ISO 8601 string"
	}
	if _, err := parseTime(str); err != nil {
		return fmt.Sprintf("'time' %q is not a valid ISO 8601 time", str)
	}
	return ""
}

func checkProperties(o map[string]any) string {
	if p, ok := o["properties"]; ok {
		if _, isObj := p.(map[string]any); !isObj {
			return "'properties' must be an object"
		}
	}
	return ""
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
