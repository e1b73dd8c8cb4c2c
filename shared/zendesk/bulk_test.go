package zendesk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

func TestBulkCalls(t *testing.T) {
	c, zd := newClient(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	zd.Now = func() time.Time { return now }
	ctx := context.Background()
	ada := zd.AddUser(zendesktest.User{Name: "Ada", ExternalID: "u1"})

	users, err := c.UsersByExternalIDs(ctx, []string{"u1", "u2"})
	if err != nil || len(users) != 1 || users[0].ID != ada {
		t.Fatalf("UsersByExternalIDs = %+v, %v", users, err)
	}
	if q := zd.RequestsTo(zendesktest.ShowManyUsersPath)[0].Query().Get("external_ids"); q != "u1,u2" {
		t.Errorf("external_ids = %q", q)
	}
	if _, err := c.UsersByExternalIDs(ctx, []string{"a,b"}); err == nil {
		t.Error("an external id holding a comma was sent in a comma-separated list")
	}

	job, err := c.CreateUsers(ctx, []zendesk.User{{Name: "Bo", ExternalID: "u2"}, {Name: "Dup", ExternalID: "u1"}})
	if err != nil || job.ID == "" || job.Ended() {
		t.Fatalf("CreateUsers = %+v, %v", job, err)
	}
	tj, err := c.CreateTickets(ctx, []map[string]any{
		{"requester_id": ada, "external_id": "k1", "comment": map[string]any{"body": "hi"}},
		{"requester_id": 1, "external_id": "k2", "comment": map[string]any{"body": "nobody"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(zendesktest.JobQueuedFor + zendesktest.JobWorksFor)
	sts, err := c.JobStatuses(ctx, []string{job.ID, tj.ID, "gone"})
	if err != nil || len(sts) != 2 {
		t.Fatalf("JobStatuses = %+v, %v", sts, err)
	}
	for _, st := range sts {
		if st.Status != zendesk.JobCompleted || !st.Ended() || len(st.Results) != 2 {
			t.Fatalf("job %+v", st)
		}
		if !st.Results[0].OK() || st.Results[1].OK() || st.Results[1].Index != 1 || len(st.Results[1].Details) == 0 {
			t.Errorf("results %+v", st.Results)
		}
	}
}

// A bulk write is sent once, whatever befalls it: its job may run though
// its answer never came.
func TestBulkWriteIsSentOnce(t *testing.T) {
	c, zd := newClient(t)
	zd.Script(zendesktest.CreateManyTicketsPath, zendesktest.Reply{Status: 503})
	_, err := c.CreateTickets(context.Background(), []map[string]any{{"comment": map[string]any{"body": "x"}}})
	if err == nil || len(zd.RequestsTo(zendesktest.CreateManyTicketsPath)) != 1 {
		t.Fatalf("err %v after %d requests", err, len(zd.RequestsTo(zendesktest.CreateManyTicketsPath)))
	}
	many := make([]map[string]any, zendesk.BulkLimit+1)
	if _, err := c.CreateTickets(context.Background(), many); err == nil || !strings.Contains(err.Error(), "100") {
		t.Errorf("101 tickets: %v", err)
	}
}
