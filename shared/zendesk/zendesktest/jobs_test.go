package zendesktest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

func TestShowManyUsersByExternalID(t *testing.T) {
	s, ada := newServer(t)
	a := get(t, s, zendesktest.ShowManyUsersPath+"?external_ids=USER-123,nobody")
	users, _ := a.body["users"].([]any)
	if a.status != 200 || len(users) != 1 || users[0].(map[string]any)["id"] != float64(ada) {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	many := strings.TrimSuffix(strings.Repeat("x,", zendesktest.BulkLimit+1), ",")
	for _, q := range []string{"?external_ids=" + many, "?external_ids=", "", "?ids=1&external_ids=a"} {
		if a := get(t, s, zendesktest.ShowManyUsersPath+q); a.status != 400 {
			t.Errorf("%q: %d, want 400", q, a.status)
		}
	}
}

// job polls a job's status until it is no longer queued or working,
// moving the clock, and returns it.
func job(t *testing.T, s *zendesktest.Server, now *time.Time, id string) map[string]any {
	t.Helper()
	for range 10 {
		a := get(t, s, zendesktest.JobStatusPath(id))
		if a.status != 200 {
			t.Fatalf("job %s: %d %s", id, a.status, a.raw)
		}
		js := a.body["job_status"].(map[string]any)
		if st := js["status"]; st != "queued" && st != "working" {
			return js
		}
		*now = now.Add(time.Second)
	}
	t.Fatalf("job %s never ended", id)
	return nil
}

func TestCreateManyTicketsJob(t *testing.T) {
	s, ada := newServer(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	body := fmt.Sprintf(`{"tickets": [
		{"requester_id": %d, "external_id": "k1", "comment": {"body": "one"}},
		{"requester_id": 999999, "external_id": "k2", "comment": {"body": "nobody's"}},
		{"requester_id": %d, "external_id": "k3", "comment": {"body": "three"}}]}`, ada, ada)
	a := send(t, s, "POST", zendesktest.CreateManyTicketsPath, body)
	js, _ := a.body["job_status"].(map[string]any)
	if a.status != 200 || js["status"] != "queued" || js["results"] != nil {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	id := js["id"].(string)
	now = now.Add(zendesktest.JobQueuedFor)
	if st := get(t, s, zendesktest.JobStatusPath(id)).body["job_status"].(map[string]any)["status"]; st != "working" {
		t.Fatalf("status %v, want working", st)
	}
	js = job(t, s, &now, id)
	results := js["results"].([]any)
	if js["status"] != "completed" || len(results) != 3 {
		t.Fatalf("%v", js)
	}
	for i, r := range results {
		r := r.(map[string]any)
		if r["index"] != float64(i) || (r["error"] != nil) != (i == 1) || (r["id"] != nil) != (i != 1) {
			t.Errorf("result %d: %v", i, r)
		}
	}
	// Each ticket filed keeps its external id, so it can be found by it.
	if a := get(t, s, zendesktest.TicketsPath+"?external_id=k3"); a.body["count"] != float64(1) {
		t.Errorf("ticket k3 not found by its external id: %s", a.raw)
	}
	if len(s.Tickets()) != 2 {
		t.Errorf("tickets = %d, want 2", len(s.Tickets()))
	}
	// Statuses expire; show_many leaves the expired out.
	a = get(t, s, zendesktest.JobStatusesPath+"?ids="+id+",unknown")
	if sts := a.body["job_statuses"].([]any); len(sts) != 1 {
		t.Fatalf("show_many: %s", a.raw)
	}
	now = now.Add(zendesktest.JobRetention)
	if a := get(t, s, zendesktest.JobStatusPath(id)); a.status != 404 {
		t.Errorf("an expired job: %d", a.status)
	}
	if a := get(t, s, zendesktest.JobStatusesPath+"?ids="+id); len(a.body["job_statuses"].([]any)) != 0 {
		t.Errorf("show_many of an expired job: %s", a.raw)
	}
}

func TestCreateManyUsersRefusesEachAlone(t *testing.T) {
	s, _ := newServer(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	a := send(t, s, "POST", zendesktest.CreateManyUsersPath, `{"users": [
		{"name": "New", "external_id": "new-1"},
		{"name": "Dup", "external_id": "user-123"},
		{"name": "Taken", "email": "ada@example.com", "external_id": "new-2"}]}`)
	id := a.body["job_status"].(map[string]any)["id"].(string)
	results := job(t, s, &now, id)["results"].([]any)
	for i, want := range []string{"Created", "Failed", "Failed"} {
		if r := results[i].(map[string]any); r["status"] != want {
			t.Errorf("user %d: %v, want %s", i, r, want)
		}
	}
	if len(s.Users()) != 2 {
		t.Errorf("users = %d, want 2", len(s.Users()))
	}
	if a := send(t, s, "POST", zendesktest.CreateManyUsersPath, `{"users": []}`); a.status != 400 {
		t.Errorf("no users: %d", a.status)
	}
}

func TestKilledJob(t *testing.T) {
	s, ada := newServer(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	s.KillNextJob(1)
	body := fmt.Sprintf(`{"tickets": [{"requester_id": %d, "comment": {"body": "a"}}, {"requester_id": %d, "comment": {"body": "b"}}]}`, ada, ada)
	id := send(t, s, "POST", zendesktest.CreateManyTicketsPath, body).body["job_status"].(map[string]any)["id"].(string)
	js := job(t, s, &now, id)
	if js["status"] != "killed" || len(js["results"].([]any)) != 1 || len(s.Tickets()) != 1 {
		t.Fatalf("%v; %d tickets", js, len(s.Tickets()))
	}
}
