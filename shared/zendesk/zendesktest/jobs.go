package zendesktest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Paths of the bulk calls and their job statuses.
const (
	ShowManyUsersPath     = "/api/v2/users/show_many.json"
	CreateManyUsersPath   = "/api/v2/users/create_many.json"
	CreateManyTicketsPath = "/api/v2/tickets/create_many.json"
	JobStatusesPath       = "/api/v2/job_statuses/show_many.json"
)

// JobStatusPath is the path of job id's status.
func JobStatusPath(id string) string { return "/api/v2/job_statuses/" + id + ".json" }

// BulkLimit is how many records one bulk call takes: show_many's ids or
// external_ids, create_many's users or tickets.
const BulkLimit = 100

// Job timings on the server's clock. Zendesk queues a bulk job and works
// it in the background; its status is kept "for an hour after a
// particular job is created, after which the data is no longer available"
// (developer.zendesk.com, Job Statuses; older text said a day, and its
// community reports jobs gone within the hour: an hour is the safe
// reading).
var (
	JobQueuedFor = 2 * time.Second  // then working
	JobWorksFor  = 3 * time.Second  // then completed (or killed)
	JobRetention = 60 * time.Minute // then 404
)

// job is one bulk job. Its work is done when it is submitted (tickets and
// users exist at once); its status moves on by the clock.
type job struct {
	id      string
	kind    string // create_many_users, create_many_tickets
	created time.Time
	total   int
	results []map[string]any
	killed  bool
}

type jobs struct {
	byID     map[string]*job
	killNext []int // scripted: the next jobs do only this many items, then die
}

// KillNextJob makes the next bulk job do only its first done items, then
// end "killed", as Zendesk's workers sometimes do.
func (s *Server) KillNextJob(done int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs.killNext = append(s.jobs.killNext, done)
}

// bulkRoutes are the bulk calls' handlers at path, if it is one of theirs.
func (s *Server) bulkRoutes(path string) map[string]handler {
	routes := map[string]handler{}
	switch path {
	case ShowManyUsersPath:
		routes[http.MethodGet] = func(w http.ResponseWriter, r *http.Request, _ []byte) { s.showManyUsers(w, r) }
	case CreateManyUsersPath:
		routes[http.MethodPost] = func(w http.ResponseWriter, _ *http.Request, body []byte) { s.createManyUsers(w, body) }
	case CreateManyTicketsPath:
		routes[http.MethodPost] = func(w http.ResponseWriter, _ *http.Request, body []byte) { s.createManyTickets(w, body) }
	case JobStatusesPath:
		routes[http.MethodGet] = func(w http.ResponseWriter, r *http.Request, _ []byte) { s.showJobStatuses(w, r) }
	default:
		if id, ok := strings.CutPrefix(path, "/api/v2/job_statuses/"); ok {
			if id, ok := strings.CutSuffix(id, ".json"); ok && id != "" && !strings.Contains(id, "/") {
				routes[http.MethodGet] = func(w http.ResponseWriter, _ *http.Request, _ []byte) { s.showJobStatus(w, id) }
			}
		}
	}
	return routes
}

// list reads a comma-separated parameter of at most BulkLimit entries.
func list(w http.ResponseWriter, v, name string) ([]string, bool) {
	items := strings.Split(v, ",")
	if v == "" || len(items) > BulkLimit {
		badRequest(w, fmt.Sprintf("%s takes 1 to %d comma-separated values", name, BulkLimit))
		return nil, false
	}
	return items, true
}

// showManyUsers answers GET show_many.json?external_ids=a,b (or ids=):
// the users that exist, in no promised order, the missing ones left out.
// External ids match ignoring case, as Zendesk's uniqueness does.
func (s *Server) showManyUsers(w http.ResponseWriter, r *http.Request) {
	q, ok := params(w, r, "external_ids", "ids")
	if !ok {
		return
	}
	_, byExt := q["external_ids"]
	if _, byID := q["ids"]; byExt == byID {
		badRequest(w, "give exactly one of ids or external_ids")
		return
	}
	found := []map[string]any{}
	if byExt {
		ids, ok := list(w, q.Get("external_ids"), "external_ids")
		if !ok {
			return
		}
		for _, u := range s.users {
			for _, id := range ids {
				if u.ExternalID != "" && strings.EqualFold(u.ExternalID, id) {
					found = append(found, s.userView(u))
					break
				}
			}
		}
	} else {
		ids, ok := list(w, q.Get("ids"), "ids")
		if !ok {
			return
		}
		for _, id := range ids {
			var n int64
			if _, err := fmt.Sscan(id, &n); err == nil {
				if u := s.userByID(n); u != nil {
					found = append(found, s.userView(u))
				}
			}
		}
	}
	reply(w, http.StatusOK, map[string]any{"users": found, "count": len(found), "next_page": nil, "previous_page": nil})
}

// items reads {"<name>": [...]} of 1 to BulkLimit raw objects.
func items(w http.ResponseWriter, body []byte, name string) ([]json.RawMessage, bool) {
	var in map[string][]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil || len(in[name]) == 0 {
		badRequest(w, name+" is required")
		return nil, false
	}
	if len(in[name]) > BulkLimit {
		badRequest(w, fmt.Sprintf("%s takes at most %d records", name, BulkLimit))
		return nil, false
	}
	return in[name], true
}

// createManyUsers answers POST users/create_many.json: a job creating each
// user as POST users.json would, each refused alone.
func (s *Server) createManyUsers(w http.ResponseWriter, body []byte) {
	raws, ok := items(w, body, "users")
	if !ok {
		return
	}
	s.submit(w, "create_many_users", len(raws), func(i int) map[string]any {
		var u User
		dec := json.NewDecoder(bytes.NewReader(raws[i]))
		dec.DisallowUnknownFields()
		if dec.Decode(&u) != nil {
			return failed(i, "InvalidValue", "the user is not a user object")
		}
		u.ID = 0
		d := detail{}
		checkFields(d, &u, true, true)
		s.checkUnique(d, &u, true, true)
		if len(d) > 0 {
			return failed(i, "UserCreateFailed", describe(d))
		}
		id := s.addUser(u)
		return map[string]any{"index": i, "id": id, "status": "Created", "success": true}
	})
}

// createManyTickets answers POST tickets/create_many.json: a job creating
// each ticket as POST tickets.json would (external_id kept), each refused
// alone. It honours no Idempotency-Key: only the single create does.
func (s *Server) createManyTickets(w http.ResponseWriter, body []byte) {
	raws, ok := items(w, body, "tickets")
	if !ok {
		return
	}
	s.submit(w, "create_many_tickets", len(raws), func(i int) map[string]any {
		var fields map[string]json.RawMessage
		var stored map[string]any
		if json.Unmarshal(raws[i], &fields) != nil || json.Unmarshal(raws[i], &stored) != nil || fields == nil {
			return failed(i, "InvalidValue", "the ticket is not a ticket object")
		}
		if d := s.validateTicket(fields); len(d) > 0 {
			return failed(i, "RecordInvalid", describe(d))
		}
		s.nextID++
		id := s.nextID
		stored["id"] = float64(id)
		s.tickets = append(s.tickets, &ticket{posted: stored, view: s.ticketView(stored, id)})
		return map[string]any{"index": i, "id": id, "status": "Created", "success": true}
	})
}

func failed(i int, code, details string) map[string]any {
	return map[string]any{"index": i, "status": "Failed", "success": false, "error": code, "details": details}
}

func describe(d detail) string {
	var out []string
	for _, entries := range d {
		for _, e := range entries {
			out = append(out, e["description"])
		}
	}
	return strings.Join(out, "; ")
}

// submit runs a job's n items now (unless scripted to die part way) and
// answers its status, queued.
func (s *Server) submit(w http.ResponseWriter, kind string, n int, item func(i int) map[string]any) {
	if s.jobs.byID == nil {
		s.jobs.byID = map[string]*job{}
	}
	b := make([]byte, 16)
	rand.Read(b)
	j := &job{id: hex.EncodeToString(b), kind: kind, created: s.now(), total: n}
	done := n
	if len(s.jobs.killNext) > 0 {
		done, s.jobs.killNext = min(n, s.jobs.killNext[0]), s.jobs.killNext[1:]
		j.killed = true
	}
	for i := range done {
		j.results = append(j.results, item(i))
	}
	s.jobs.byID[j.id] = j
	reply(w, http.StatusOK, map[string]any{"job_status": s.jobView(j)})
}

// jobView is a job's status as Zendesk shows it at the server's time.
func (s *Server) jobView(j *job) map[string]any {
	age := s.now().Sub(j.created)
	v := map[string]any{"id": j.id, "url": s.URL + JobStatusPath(j.id), "job_type": j.kind, "total": j.total,
		"progress": nil, "status": "queued", "message": nil, "results": nil}
	switch {
	case age < JobQueuedFor:
	case age < JobQueuedFor+JobWorksFor:
		v["status"], v["progress"] = "working", len(j.results)/2
	case j.killed:
		v["status"], v["progress"], v["results"] = "killed", len(j.results), j.results
		v["message"] = "Job was killed"
	default:
		v["status"], v["progress"], v["results"] = "completed", len(j.results), j.results
		v["message"] = "Completed at " + j.created.Add(JobQueuedFor+JobWorksFor).UTC().Format("2006-01-02 15:04:05 -0700")
	}
	return v
}

// liveJob is job id unless it is unknown or expired.
func (s *Server) liveJob(id string) *job {
	j := s.jobs.byID[id]
	if j == nil || !s.now().Before(j.created.Add(JobRetention)) {
		return nil
	}
	return j
}

func (s *Server) showJobStatus(w http.ResponseWriter, id string) {
	j := s.liveJob(id)
	if j == nil {
		notFound(w)
		return
	}
	reply(w, http.StatusOK, map[string]any{"job_status": s.jobView(j)})
}

// showJobStatuses answers show_many.json?ids=a,b: the live ones, expired
// and unknown ids left out.
func (s *Server) showJobStatuses(w http.ResponseWriter, r *http.Request) {
	q, ok := params(w, r, "ids")
	if !ok {
		return
	}
	ids, ok := list(w, q.Get("ids"), "ids")
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, id := range ids {
		if j := s.liveJob(id); j != nil {
			out = append(out, s.jobView(j))
		}
	}
	reply(w, http.StatusOK, map[string]any{"job_statuses": out})
}
