package zendesk_test

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

func TestGetTicket(t *testing.T) {
	type setup struct {
		zd                   *zendesktest.Server
		ada, agentID, nobody int64
	}
	for _, tc := range []struct {
		name string
		make func(t *testing.T, c *zendesk.Client, s setup) int64 // files the ticket, returns its id
		want func(s setup, id int64) zendesk.TicketInfo
		is   error
	}{
		{
			name: "stored with every field",
			make: func(t *testing.T, _ *zendesk.Client, s setup) int64 {
				return s.zd.AddTicket(map[string]any{"subject": "Printer \"on\" fire\\", "description": "Zoë's\nprinter", "status": "open",
					"priority": "high", "type": "incident", "tags": []string{"nps", "détracteur"}, "requester_id": s.ada,
					"assignee_id": s.agentID, "group_id": int64(360001), "organization_id": 77, "external_id": "ext-1"})
			},
			want: func(s setup, id int64) zendesk.TicketInfo {
				return zendesk.TicketInfo{ID: id, Subject: "Printer \"on\" fire\\", Description: "Zoë's\nprinter", Status: "open", Priority: "high",
					Type: "incident", Tags: []string{"nps", "détracteur"}, RequesterID: s.ada, AssigneeID: s.agentID, GroupID: 360001,
					OrganizationID: 77, ExternalID: "ext-1",
					Requester: &zendesk.User{ID: s.ada, Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"}}
			},
		},
		{
			name: "created through the API with a new requester",
			make: func(t *testing.T, c *zendesk.Client, s setup) int64 {
				tk, err := c.CreateTicket(context.Background(), map[string]any{
					"requester": map[string]any{"name": "Bo", "email": "bo@example.com"}, "comment": map[string]any{"body": "It broke"}}, "")
				if err != nil {
					t.Fatal(err)
				}
				return tk.ID
			},
			want: func(s setup, id int64) zendesk.TicketInfo {
				bo := s.zd.Users()[len(s.zd.Users())-1]
				return zendesk.TicketInfo{ID: id, Description: "It broke", Status: "new", Tags: []string{}, RequesterID: bo.ID,
					Requester: &zendesk.User{ID: bo.ID, Name: "Bo", Email: "bo@example.com"}}
			},
		},
		{
			name: "created through the API for a known email in another case",
			make: func(t *testing.T, c *zendesk.Client, s setup) int64 {
				tk, err := c.CreateTicket(context.Background(), map[string]any{"subject": "Hi", "tags": []string{"a"}, "priority": "low",
					"requester": map[string]any{"name": "Someone", "email": "ADA@example.com"}, "comment": map[string]any{"body": "x"}}, "key-1")
				if err != nil {
					t.Fatal(err)
				}
				return tk.ID
			},
			want: func(s setup, id int64) zendesk.TicketInfo {
				return zendesk.TicketInfo{ID: id, Subject: "Hi", Description: "x", Status: "new", Priority: "low", Tags: []string{"a"}, RequesterID: s.ada,
					Requester: &zendesk.User{ID: s.ada, Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"}}
			},
		},
		{
			name: "requester not side-loaded",
			make: func(t *testing.T, _ *zendesk.Client, s setup) int64 {
				return s.zd.AddTicket(map[string]any{"requester_id": s.nobody, "submitter_id": s.ada, "comment": map[string]any{"body": "x"}})
			},
			want: func(s setup, id int64) zendesk.TicketInfo {
				return zendesk.TicketInfo{ID: id, Description: "x", Status: "new", Tags: []string{}, RequesterID: s.nobody}
			},
		},
		{
			name: "unknown",
			make: func(*testing.T, *zendesk.Client, setup) int64 { return 31337 },
			is:   zendesk.ErrNotFound,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, zd := newClient(t)
			s := setup{zd: zd, nobody: 555555}
			s.ada = zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
			s.agentID = zd.AddUser(zendesktest.User{Name: "Agent", Email: agent})
			id := tc.make(t, c, s)
			before := len(zd.Requests())
			got, err := c.GetTicket(context.Background(), id)
			if tc.is != nil {
				var ze *zendesk.Error
				if !errors.Is(err, tc.is) || !errors.As(err, &ze) || ze.Status != 404 {
					t.Fatalf("err = %v, want %v", err, tc.is)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if want := tc.want(s, id); !reflect.DeepEqual(got, want) {
				t.Errorf("GetTicket = %+v (requester %+v)\nwant        %+v (requester %+v)", got, got.Requester, want, want.Requester)
			}
			calls := zd.Requests()[before:]
			if len(calls) != 1 || calls[0].Method != "GET" || calls[0].Path != zendesktest.TicketPath(id) || calls[0].RawQuery != "include=users" {
				t.Errorf("requests = %+v", calls)
			}
		})
	}
}

// GetTicket reads what Zendesk answers, which the stand-in would not say.
func TestGetTicketAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   string
		want   zendesk.TicketInfo
		status int // of the *Error; 0: none
		desc   string
	}{
		{name: "nulls and extra fields", body: `{"ticket":{"id":7,"subject":null,"description":"d","status":"pending","priority":null,"type":null,"tags":[],
			"requester_id":3,"assignee_id":null,"group_id":null,"organization_id":null,"external_id":null,"custom_fields":[{"id":1,"value":null}],"via":{"channel":"api"}},
			"users":[{"id":4,"name":"Other"},{"id":3,"name":"Req","email":"r@example.com","phone":null,"external_id":"e3","role":"end-user"}]}`,
			want: zendesk.TicketInfo{ID: 7, Description: "d", Status: "pending", Tags: []string{}, RequesterID: 3,
				Requester: &zendesk.User{ID: 3, Name: "Req", Email: "r@example.com", ExternalID: "e3"}}},
		{name: "no users side-loaded", body: `{"ticket":{"id":7,"status":"open","requester_id":3}}`,
			want: zendesk.TicketInfo{ID: 7, Status: "open", RequesterID: 3}},
		{name: "no requester id", body: `{"ticket":{"id":7,"status":"open"},"users":[{"id":0,"name":"zero"}]}`,
			want: zendesk.TicketInfo{ID: 7, Status: "open"}},
		{name: "html", body: `<html>Bad gateway</html>`, status: 502, desc: "not JSON"},
		{name: "empty", body: ``, status: 502, desc: "not JSON"},
		{name: "id as a string", body: `{"ticket":{"id":"7"}}`, status: 502, desc: "ticket.id"},
		{name: "tags not a list", body: `{"ticket":{"id":7,"tags":"a,b"}}`, status: 502, desc: "ticket.tags"},
		{name: "no ticket", body: `{"tickets":[]}`, status: 502, desc: "no ticket"},
		{name: "another ticket", body: `{"ticket":{"id":8}}`, status: 502, desc: "no ticket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, zd := newClient(t)
			zd.Script(zendesktest.TicketPath(7), zendesktest.Reply{Status: 200, Body: tc.body})
			got, err := c.GetTicket(context.Background(), 7)
			if tc.status == 0 {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("= %+v (requester %+v), %v; want %+v", got, got.Requester, err, tc.want)
				}
			} else {
				var ze *zendesk.Error
				if !errors.As(err, &ze) || ze.Status != tc.status || !strings.Contains(ze.Description, tc.desc) {
					t.Fatalf("err = %v, want a %d saying %q", err, tc.status, tc.desc)
				}
			}
			checkCalls(t, zd, wantCall{Method: "GET", Path: zendesktest.TicketPath(7), RawQuery: "include=users"})
		})
	}
}

func TestCreateTicketUnchanged(t *testing.T) {
	c, zd := newClient(t)
	ada := zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com"})
	ticket := map[string]any{"requester_id": ada, "comment": map[string]any{"body": "hi"}}
	first, err := c.CreateTicket(context.Background(), ticket, "k-1")
	if err != nil || first.ID == 0 || first.Replayed {
		t.Fatalf("first = %+v, %v", first, err)
	}
	again, err := c.CreateTicket(context.Background(), ticket, "k-1")
	if err != nil || again.ID != first.ID || !again.Replayed {
		t.Fatalf("replay = %+v, %v; want %d replayed", again, err, first.ID)
	}
	body := `{"ticket":{"requester_id":` + jsonInt(ada) + `,"comment":{"body":"hi"}}}`
	checkCalls(t, zd, wantCall{Method: "POST", Path: zendesktest.TicketsPath, Body: body}, wantCall{Method: "POST", Path: zendesktest.TicketsPath, Body: body})
	for _, call := range zd.Requests() {
		if k := call.Header.Get("Idempotency-Key"); k != "k-1" {
			t.Errorf("Idempotency-Key = %q", k)
		}
	}
	if got := c.AgentURL(first.ID); got != zd.URL+"/agent/tickets/"+jsonInt(first.ID) {
		t.Errorf("AgentURL = %s", got)
	}
}

func jsonInt(n int64) string { return strconv.FormatInt(n, 10) }
