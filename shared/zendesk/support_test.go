package zendesk_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

func TestRequestedTicketsFollowsCursorPages(t *testing.T) {
	c, zd := newClient(t)
	clock := clocktest.New()
	zd.Now = clock.Now
	me := zd.AddUser(zendesktest.User{Name: "Ann", Email: "ann@example.com", ExternalID: "ann"})
	other := zd.AddUser(zendesktest.User{Name: "Bob", Email: "bob@example.com"})
	var ids []int64
	for i := range 130 { // two pages of 100
		ids = append(ids, zd.AddTicket(map[string]any{"subject": "s", "requester_id": me, "status": []string{"open", "solved"}[i%2]}))
		clock.Add(time.Second)
	}
	zd.AddTicket(map[string]any{"subject": "not hers", "requester_id": other})
	zd.RateTicket(ids[3], "bad", "The issue was not resolved", "slow \"and\" rude\\")

	got, err := c.RequestedTickets(context.Background(), me)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d tickets, want %d", len(got), len(ids))
	}
	for i, tk := range got {
		if tk.ID != ids[i] || tk.RequesterID != me || tk.UpdatedAt.IsZero() {
			t.Fatalf("ticket %d = %+v", i, tk)
		}
	}
	if s := got[3].Satisfaction; s.Score != "bad" || s.Reason != "The issue was not resolved" || s.Comment != "slow \"and\" rude\\" || !s.Rated() {
		t.Errorf("satisfaction = %+v", s)
	}
	if got[4].Satisfaction.Rated() {
		t.Errorf("an unrated ticket reads as rated: %+v", got[4].Satisfaction)
	}
	reqs := zd.RequestsTo(zendesktest.RequestedTicketsPath(me))
	if len(reqs) != 2 || reqs[0].Query().Get("page[size]") != "100" || reqs[1].Query().Get("page[after]") == "" {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestRequestedTicketsOfUnknownUser(t *testing.T) {
	c, _ := newClient(t)
	_, err := c.RequestedTickets(context.Background(), 424242)
	if !errors.Is(err, zendesk.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
}

func TestExportTickets(t *testing.T) {
	c, zd := newClient(t)
	clock := clocktest.New()
	zd.Now = clock.Now
	start := clock.Now().Add(-time.Hour)
	u := zd.AddUser(zendesktest.User{Name: "Ann", Email: "ann@example.com"})
	a := zd.AddTicket(map[string]any{"subject": "a", "requester_id": u})
	clock.Add(2 * time.Minute)
	b := zd.AddTicket(map[string]any{"subject": "b", "requester_id": u})
	ctx := context.Background()

	t.Run("a start_time under a minute ago is refused", func(t *testing.T) {
		_, err := c.ExportTickets(ctx, "", clock.Now().Add(-30*time.Second))
		var ze *zendesk.Error
		if !errors.As(err, &ze) || ze.Status != http.StatusBadRequest {
			t.Fatalf("err = %v", err)
		}
	})

	// b changed just now: Zendesk leaves out the last minute.
	p, err := c.ExportTickets(ctx, "", start)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tickets) != 1 || p.Tickets[0].ID != a || !p.EndOfStream || p.AfterCursor == "" {
		t.Fatalf("first page = %+v", p)
	}
	clock.Add(2 * time.Minute)
	zd.SetTicketStatus(a, "solved")
	clock.Add(2 * time.Minute)
	p, err = c.ExportTickets(ctx, p.AfterCursor, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tickets) != 2 || p.Tickets[0].ID != b || p.Tickets[1].ID != a || p.Tickets[1].Status != "solved" {
		t.Fatalf("second page = %+v", p)
	}
	// Nothing new: the same cursor comes back, so the next run starts there.
	again, err := c.ExportTickets(ctx, p.AfterCursor, time.Time{})
	if err != nil || len(again.Tickets) != 0 || again.AfterCursor != p.AfterCursor || !again.EndOfStream {
		t.Fatalf("empty page = %+v, %v", again, err)
	}
}

func TestExportTicketsRateLimit(t *testing.T) {
	c, zd := newClient(t)
	c.Retry = retry.Policy{Attempts: 1}
	clock := clocktest.New()
	zd.Now = clock.Now
	ctx := context.Background()
	for i := range zendesktest.ExportPerMinute {
		if _, err := c.ExportTickets(ctx, "", clock.Now().Add(-time.Hour)); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := c.ExportTickets(ctx, "", clock.Now().Add(-time.Hour))
	var ze *zendesk.Error
	if !errors.As(err, &ze) || ze.Status != http.StatusTooManyRequests || ze.RetryAfter != time.Minute {
		t.Fatalf("err = %#v", err)
	}
	clock.Add(time.Minute)
	if _, err := c.ExportTickets(ctx, "", clock.Now().Add(-time.Hour)); err != nil {
		t.Fatalf("after a minute: %v", err)
	}
}
