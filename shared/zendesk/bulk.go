package zendesk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// BulkLimit is how many records one bulk call takes: users/show_many's
// external ids, and users or tickets in create_many (developer.zendesk.com:
// "Accepts a comma-separated list of up to 100", "an array of up to 100").
const BulkLimit = 100

// Paths of the bulk calls.
const (
	showManyUsersPath     = "/api/v2/users/show_many.json"
	createManyUsersPath   = "/api/v2/users/create_many.json"
	createManyTicketsPath = "/api/v2/tickets/create_many.json"
	jobStatusesPath       = "/api/v2/job_statuses/show_many.json"
)

// The statuses of a job. A job that is neither queued nor working has
// ended; only a completed one has done all its items.
const (
	JobQueued    = "queued"
	JobWorking   = "working"
	JobCompleted = "completed"
	JobFailed    = "failed"
	JobKilled    = "killed"
)

// JobStatus is a bulk job as Zendesk reports it.
type JobStatus struct {
	ID      string      `json:"id"`
	Status  string      `json:"status"`
	Total   int         `json:"total"`
	Results []JobResult `json:"results"`
}

// Ended reports a job Zendesk has stopped working on.
func (j JobStatus) Ended() bool { return j.Status != JobQueued && j.Status != JobWorking }

// JobResult is one item's outcome: Index is its place in the request; ID
// the record made; Error and Details why it was refused.
type JobResult struct {
	Index   int             `json:"index"`
	ID      int64           `json:"id"`
	Status  string          `json:"status"`
	Error   string          `json:"error"`
	Details json.RawMessage `json:"details"`
}

// OK reports an item done: an id and no error.
func (r JobResult) OK() bool {
	return r.ID > 0 && r.Error == "" && !strings.EqualFold(r.Status, "failed")
}

// UsersByExternalIDs returns the users holding any of externalIDs (at
// most BulkLimit): one call, users/show_many. Zendesk matches external
// ids ignoring case. An id holding a comma cannot be asked for this way
// (the list is comma-separated): the caller looks it up alone.
func (c *Client) UsersByExternalIDs(ctx context.Context, externalIDs []string) ([]User, error) {
	const op = "show many users"
	if len(externalIDs) == 0 || len(externalIDs) > BulkLimit {
		return nil, fmt.Errorf("zendesk %s: %d external ids, want 1 to %d", op, len(externalIDs), BulkLimit)
	}
	for _, id := range externalIDs {
		if id == "" || strings.Contains(id, ",") {
			return nil, fmt.Errorf("zendesk %s: an external id is empty or holds a comma", op)
		}
	}
	var out struct {
		Users *[]User `json:"users"`
	}
	if err := c.get(ctx, op, showManyUsersPath, url.Values{"external_ids": {strings.Join(externalIDs, ",")}}, &out); err != nil {
		return nil, err
	}
	if out.Users == nil {
		return nil, shapeError(op, "users list")
	}
	return *out.Users, nil
}

// CreateUsers starts a job creating users (at most BulkLimit), each as
// CreateUser would, each refused alone; it returns the job's status.
func (c *Client) CreateUsers(ctx context.Context, users []User) (JobStatus, error) {
	const op = "create many users"
	if len(users) == 0 || len(users) > BulkLimit {
		return JobStatus{}, fmt.Errorf("zendesk %s: %d users, want 1 to %d", op, len(users), BulkLimit)
	}
	for i := range users {
		users[i].ID = 0
	}
	return c.startJob(ctx, op, createManyUsersPath, map[string]any{"users": users})
}

// CreateTickets starts a job creating tickets (at most BulkLimit), each
// refused alone. Zendesk honours no Idempotency-Key here: a ticket's
// external_id is what finds it again.
func (c *Client) CreateTickets(ctx context.Context, tickets []map[string]any) (JobStatus, error) {
	const op = "create many tickets"
	if len(tickets) == 0 || len(tickets) > BulkLimit {
		return JobStatus{}, fmt.Errorf("zendesk %s: %d tickets, want 1 to %d", op, len(tickets), BulkLimit)
	}
	return c.startJob(ctx, op, createManyTicketsPath, map[string]any{"tickets": tickets})
}

func (c *Client) startJob(ctx context.Context, op, path string, v any) (JobStatus, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return JobStatus{}, fmt.Errorf("encoding %s: %w", op, err)
	}
	var out struct {
		Job *JobStatus `json:"job_status"`
	}
	// A bulk call is sent once: were its answer lost, the job may run
	// all the same, and a second one would file everything twice.
	if _, err := c.callOnce(ctx, op, http.MethodPost, path, body, &out); err != nil {
		return JobStatus{}, err
	}
	if out.Job == nil || out.Job.ID == "" {
		return JobStatus{}, shapeError(op, "job status")
	}
	return *out.Job, nil
}

// JobStatuses reads the statuses of jobs ids (at most BulkLimit) in one
// call. A job Zendesk no longer knows (statuses expire an hour after the
// job started) is left out of the answer.
func (c *Client) JobStatuses(ctx context.Context, ids []string) ([]JobStatus, error) {
	const op = "show job statuses"
	if len(ids) == 0 || len(ids) > BulkLimit {
		return nil, fmt.Errorf("zendesk %s: %d ids, want 1 to %d", op, len(ids), BulkLimit)
	}
	var out struct {
		Jobs *[]JobStatus `json:"job_statuses"`
	}
	if err := c.get(ctx, op, jobStatusesPath, url.Values{"ids": {strings.Join(ids, ",")}}, &out); err != nil {
		return nil, err
	}
	if out.Jobs == nil {
		return nil, shapeError(op, "job statuses")
	}
	return *out.Jobs, nil
}

// callOnce is call with a single try: for a write that no key makes safe
// to send twice. A failure is the caller's to resolve.
func (c *Client) callOnce(ctx context.Context, op, method, path string, body []byte, out any) (http.Header, error) {
	once := *c
	once.Retry.Attempts = 1
	return once.call(ctx, op, method, path, nil, body, "", out)
}
