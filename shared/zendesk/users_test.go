package zendesk_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

func TestFindUserByEmail(t *testing.T) {
	for _, tc := range []struct {
		name     string
		stored   []string // emails of the users there, in order
		addr     string
		rawQuery string
		want     int // index into stored of the user found; -1: none
		// reads are the users (indexes into stored) whose identities are
		// read: hits whose primary address is not addr.
		reads []int
		// second is a secondary email identity of stored[0].
		second string
	}{
		{"plain", []string{"ada@example.com"}, "ada@example.com", "query=email%3Aada%40example.com", 0, nil, ""},
		{"case differs", []string{"Ada@Example.COM"}, "ada@example.com", "query=email%3Aada%40example.com", 0, nil, ""},
		{"none", []string{"bo@example.com"}, "ada@example.com", "query=email%3Aada%40example.com", -1, nil, ""},
		{"no users at all", nil, "ada@example.com", "query=email%3Aada%40example.com", -1, nil, ""},
		{"near matches only", []string{"bada@example.com", "ada@example.com.au"}, "ada@example.com", "query=email%3Aada%40example.com", -1, []int{0, 1}, ""},
		{"a secondary address", []string{"ada.primary@example.com"}, "ADA@example.com", "query=email%3AADA%40example.com", 0, []int{0}, "ada@example.com"},
		{"a secondary address after a near match", []string{"ada@example.com.au", "x@example.com"}, "ada@example.com", "query=email%3Aada%40example.com", 0, []int{0}, "ada@example.com"},
		{"a secondary address that is a near match", []string{"bo@example.com"}, "ada@example.com", "query=email%3Aada%40example.com", -1, []int{0}, "bada@example.com"},
		{"exact after near matches", []string{"ada@example.com.au", "bada@example.com", "ada@example.com"}, "ada@example.com", "query=email%3Aada%40example.com", 2, nil, ""},
		// A + must travel as %2B: sent raw, it would arrive as a space.
		{"plus", []string{"ada nps@example.com", "ada+nps@example.com"}, "ada+nps@example.com", "query=email%3A%22ada%2Bnps%40example.com%22", 1, nil, ""},
		{"space", []string{"ada+lovelace@example.com", "ada lovelace@example.com"}, "ada lovelace@example.com", "query=email%3A%22ada+lovelace%40example.com%22", 1, nil, ""},
		{"quote and backslash", []string{`o"brien\x@example.com`}, `o"brien\x@example.com`, "query=email%3A%22o%22brien%5Cx%40example.com%22", 0, nil, ""},
		{"unicode", []string{"zoë@exämple.com"}, "ZOË@exämple.com", "query=email%3A%22ZO%C3%8B%40ex%C3%A4mple.com%22", 0, nil, ""},
		{"leading minus", []string{"-ada@example.com"}, "-ada@example.com", "query=email%3A%22-ada%40example.com%22", 0, nil, ""},
		{"ampersand and equals", []string{"a&query=b@example.com"}, "a&query=b@example.com", "query=email%3A%22a%26query%3Db%40example.com%22", 0, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, zd := newClient(t)
			ids := make([]int64, len(tc.stored))
			for i, e := range tc.stored {
				ids[i] = zd.AddUser(zendesktest.User{Name: "U" + strconv.Itoa(i), Email: e, ExternalID: "x" + strconv.Itoa(i)})
			}
			if tc.second != "" {
				zd.AddEmailIdentity(ids[0], tc.second)
			}
			got, err := c.FindUserByEmail(context.Background(), tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want < 0 && got != nil:
				t.Errorf("found %+v, want none", got)
			case tc.want >= 0 && (got == nil || *got != zendesk.User{ID: ids[tc.want], Name: "U" + strconv.Itoa(tc.want), Email: tc.stored[tc.want], ExternalID: "x" + strconv.Itoa(tc.want)}):
				t.Errorf("found %+v, want user %d (%s)", got, ids[tc.want], tc.stored[tc.want])
			}
			calls := []wantCall{{Method: "GET", Path: zendesktest.SearchUsersPath, RawQuery: tc.rawQuery}}
			for _, i := range tc.reads {
				calls = append(calls, wantCall{Method: "GET", Path: zendesktest.UserPath(ids[i]), RawQuery: "include=identities"})
			}
			checkCalls(t, zd, calls...)
		})
	}
}

func TestFindUserByExternalID(t *testing.T) {
	for _, tc := range []struct {
		name, stored, find, rawQuery string
		found                        bool
	}{
		{"found", "user-123", "user-123", "external_id=user-123", true},
		{"none", "user-123", "user-124", "external_id=user-124", false},
		{"numeric", "12345", "12345", "external_id=12345", true},
		{"hostile", `a b+c"d\e&f=g#h/ü?`, `a b+c"d\e&f=g#h/ü?`, "external_id=a+b%2Bc%22d%5Ce%26f%3Dg%23h%2F%C3%BC%3F", true},
		{"plus is not a space", "a b", "a+b", "external_id=a%2Bb", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, zd := newClient(t)
			zd.AddUser(zendesktest.User{Name: "Decoy", Email: "decoy@example.com"})
			id := zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", Phone: "+15550100", ExternalID: tc.stored})
			got, err := c.FindUserByExternalID(context.Background(), tc.find)
			if err != nil {
				t.Fatal(err)
			}
			want := &zendesk.User{ID: id, Name: "Ada", Email: "ada@example.com", Phone: "+15550100", ExternalID: tc.stored}
			if (got != nil) != tc.found || tc.found && *got != *want {
				t.Errorf("found %+v, want %v %+v", got, tc.found, want)
			}
			checkCalls(t, zd, wantCall{Method: "GET", Path: zendesktest.SearchUsersPath, RawQuery: tc.rawQuery})
		})
	}
}

// The client picks from what Zendesk answers; a real account can answer
// things the stand-in never would.
func TestFindUserPicksFromAnswer(t *testing.T) {
	const hits = `{"users":[{"id":1,"email":"ada@example.com.au","external_id":"U-1"},{"id":2,"email":"ADA@example.com","external_id":"u-1"}],"count":2}`
	for _, tc := range []struct {
		name   string
		body   string
		find   func(c *zendesk.Client) (*zendesk.User, error)
		wantID int64
		status int // of the *Error; 0: no error
	}{
		{"email: the exact one", hits, func(c *zendesk.Client) (*zendesk.User, error) {
			return c.FindUserByEmail(context.Background(), "ada@example.com")
		}, 2, 0},
		{"external id: exact before case-folded", hits, func(c *zendesk.Client) (*zendesk.User, error) {
			return c.FindUserByExternalID(context.Background(), "u-1")
		}, 2, 0},
		{"external id: case-folded when no exact", `{"users":[{"id":7,"external_id":"other"},{"id":1,"external_id":"U-1"}]}`, func(c *zendesk.Client) (*zendesk.User, error) {
			return c.FindUserByExternalID(context.Background(), "u-1")
		}, 1, 0},
		{"external id: a hit of another id is no match", `{"users":[{"id":7,"external_id":"u-10"}]}`, func(c *zendesk.Client) (*zendesk.User, error) {
			return c.FindUserByExternalID(context.Background(), "u-1")
		}, 0, 0},
		{"no users list", `{"count":0}`, func(c *zendesk.Client) (*zendesk.User, error) {
			return c.FindUserByEmail(context.Background(), "ada@example.com")
		}, 0, 502},
		{"null", `null`, func(c *zendesk.Client) (*zendesk.User, error) {
			return c.FindUserByExternalID(context.Background(), "u-1")
		}, 0, 502},
		{"match without id", `{"users":[{"email":"ada@example.com"}]}`, func(c *zendesk.Client) (*zendesk.User, error) {
			return c.FindUserByEmail(context.Background(), "ada@example.com")
		}, 0, 502},
		{"id as a string", `{"users":[{"id":"2","email":"ada@example.com"}]}`, func(c *zendesk.Client) (*zendesk.User, error) {
			return c.FindUserByEmail(context.Background(), "ada@example.com")
		}, 0, 502},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, zd := newClient(t)
			zd.Script(zendesktest.SearchUsersPath, zendesktest.Reply{Status: 200, Body: tc.body})
			got, err := tc.find(c)
			var ze *zendesk.Error
			switch {
			case tc.status != 0:
				if !errors.As(err, &ze) || ze.Status != tc.status || got != nil {
					t.Fatalf("= %+v, %v; want a %d", got, err, tc.status)
				}
			case err != nil:
				t.Fatal(err)
			case tc.wantID == 0 && got != nil, tc.wantID != 0 && (got == nil || got.ID != tc.wantID):
				t.Errorf("found %+v, want id %d", got, tc.wantID)
			}
			if n := len(zd.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (a 2xx is not sent again)", n)
			}
		})
	}
}

func TestFindUserRefusesEmptyWithoutCalling(t *testing.T) {
	c, zd := newClient(t)
	if u, err := c.FindUserByEmail(context.Background(), ""); err == nil || u != nil {
		t.Errorf("FindUserByEmail(\"\") = %v, %v", u, err)
	}
	if u, err := c.FindUserByExternalID(context.Background(), ""); err == nil || u != nil {
		t.Errorf("FindUserByExternalID(\"\") = %v, %v", u, err)
	}
	if n := len(zd.Requests()); n != 0 {
		t.Errorf("%d requests for empty searches", n)
	}
}

func TestCreateUser(t *testing.T) {
	existing := zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"}
	for _, tc := range []struct {
		name      string
		in        zendesk.User
		body      string
		emailDup  bool
		extDup    bool
		status    int // of the failure; 0: created
		errFields []string
	}{
		{name: "created", in: zendesk.User{ID: 99, Name: "Bo", Email: "bo@example.com", Phone: "+15550100", ExternalID: "user-9"},
			body: `{"user":{"name":"Bo","email":"bo@example.com","phone":"+15550100","external_id":"user-9"}}`},
		{name: "name only", in: zendesk.User{Name: "Cy"}, body: `{"user":{"name":"Cy"}}`},
		{name: "hostile values", in: zendesk.User{Name: "Zoë \"Q\" O'Brien\\\n", Email: "zoe+nps@exämple.com", ExternalID: `a"b\c ü`},
			body: `{"user":{"name":"Zoë \"Q\" O'Brien\\\n","email":"zoe+nps@exämple.com","external_id":"a\"b\\c ü"}}`},
		{name: "email taken, other case", in: zendesk.User{Name: "Ada 2", Email: "ADA@example.com"},
			body: `{"user":{"name":"Ada 2","email":"ADA@example.com"}}`, emailDup: true, status: 422, errFields: []string{"email"}},
		{name: "external id taken", in: zendesk.User{Name: "Ada 2", Email: "ada2@example.com", ExternalID: "user-123"},
			body: `{"user":{"name":"Ada 2","email":"ada2@example.com","external_id":"user-123"}}`, extDup: true, status: 422, errFields: []string{"external_id"}},
		{name: "both taken", in: zendesk.User{Name: "Ada 2", Email: "ada@example.com", ExternalID: "user-123"},
			body: `{"user":{"name":"Ada 2","email":"ada@example.com","external_id":"user-123"}}`, emailDup: true, extDup: true, status: 422, errFields: []string{"email", "external_id"}},
		{name: "no name", in: zendesk.User{Email: "dee@example.com"},
			body: `{"user":{"email":"dee@example.com"}}`, status: 422, errFields: []string{"name"}},
		{name: "not an address", in: zendesk.User{Name: "Eve", Email: "eve at example"},
			body: `{"user":{"name":"Eve","email":"eve at example"}}`, status: 422, errFields: []string{"email"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, zd := newClient(t)
			zd.AddUser(existing)
			got, err := c.CreateUser(context.Background(), tc.in)
			checkCalls(t, zd, wantCall{Method: "POST", Path: zendesktest.CreateUserPath, Body: tc.body})
			if tc.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				users := zd.Users()
				want := tc.in
				want.ID = users[len(users)-1].ID
				if len(users) != 2 || got != want || got.ID == 99 {
					t.Errorf("created %+v, want %+v; users %+v", got, want, users)
				}
				return
			}
			var ze *zendesk.Error
			if !errors.As(err, &ze) || ze.Status != tc.status || ze.Code != "RecordInvalid" {
				t.Fatalf("err = %v, want a %d RecordInvalid", err, tc.status)
			}
			if errors.Is(err, zendesk.ErrEmailTaken) != tc.emailDup || errors.Is(err, zendesk.ErrExternalIDTaken) != tc.extDup {
				t.Errorf("Is(ErrEmailTaken) = %v, Is(ErrExternalIDTaken) = %v; want %v, %v",
					errors.Is(err, zendesk.ErrEmailTaken), errors.Is(err, zendesk.ErrExternalIDTaken), tc.emailDup, tc.extDup)
			}
			for _, f := range tc.errFields {
				if !strings.Contains(string(ze.Details), `"`+f+`"`) {
					t.Errorf("details %s do not name %s", ze.Details, f)
				}
			}
			if n := len(zd.Users()); n != 1 {
				t.Errorf("%d users after a refused create", n)
			}
		})
	}
}

func TestSetExternalID(t *testing.T) {
	for _, tc := range []struct {
		name    string
		id      int64 // 0: Ada's
		extID   string
		body    string
		wantExt string // Ada's external id after
		is      error
		status  int
	}{
		{name: "set", extID: "user-9", body: `{"user":{"external_id":"user-9"}}`, wantExt: "user-9"},
		{name: "own id again", extID: "user-1", body: `{"user":{"external_id":"user-1"}}`, wantExt: "user-1"},
		{name: "cleared", extID: "", body: `{"user":{"external_id":null}}`, wantExt: ""},
		{name: "hostile", extID: `q"\ü +&`, body: `{"user":{"external_id":"q\"\\ü +&"}}`, wantExt: `q"\ü +&`},
		{name: "held by another", extID: "user-2", body: `{"user":{"external_id":"user-2"}}`, wantExt: "user-1", is: zendesk.ErrExternalIDTaken, status: 422},
		{name: "unknown user", id: 999999, extID: "user-9", body: `{"user":{"external_id":"user-9"}}`, wantExt: "user-1", is: zendesk.ErrNotFound, status: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, zd := newClient(t)
			ada := zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-1"})
			zd.AddUser(zendesktest.User{Name: "Bo", Email: "bo@example.com", ExternalID: "user-2"})
			id := tc.id
			if id == 0 {
				id = ada
			}
			err := c.SetExternalID(context.Background(), id, tc.extID)
			checkCalls(t, zd, wantCall{Method: "PUT", Path: zendesktest.UserPath(id), Body: tc.body})
			var ze *zendesk.Error
			switch {
			case tc.is == nil && err != nil:
				t.Fatal(err)
			case tc.is != nil && (!errors.Is(err, tc.is) || !errors.As(err, &ze) || ze.Status != tc.status):
				t.Fatalf("err = %v, want %v (%d)", err, tc.is, tc.status)
			}
			if tc.is == zendesk.ErrNotFound && errors.Is(err, zendesk.ErrExternalIDTaken) {
				t.Error("a 404 matches ErrExternalIDTaken")
			}
			if u := zd.Users()[0]; u.ExternalID != tc.wantExt || u.Email != "ada@example.com" || u.Name != "Ada" {
				t.Errorf("Ada is now %+v, want external id %q and nothing else changed", u, tc.wantExt)
			}
		})
	}
}

func TestGetUser(t *testing.T) {
	c, zd := newClient(t)
	bare := zd.AddUser(zendesktest.User{Name: "Bare"}) // Zendesk answers null for the unset fields
	full := zd.AddUser(zendesktest.User{Name: "Zoë \"Q\"", Email: "zoe@example.com", Phone: "+15550100", ExternalID: "u-1"})
	for _, tc := range []struct {
		name string
		id   int64
		want zendesk.User
		is   error
	}{
		{"full", full, zendesk.User{ID: full, Name: "Zoë \"Q\"", Email: "zoe@example.com", Phone: "+15550100", ExternalID: "u-1"}, nil},
		{"nulls", bare, zendesk.User{ID: bare, Name: "Bare"}, nil},
		{"unknown", 424242, zendesk.User{}, zendesk.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(zd.Requests())
			got, err := c.GetUser(context.Background(), tc.id)
			if !errors.Is(err, tc.is) || (tc.is == nil && err != nil) || got != tc.want {
				t.Fatalf("GetUser(%d) = %+v, %v; want %+v, %v", tc.id, got, err, tc.want, tc.is)
			}
			var ze *zendesk.Error
			if tc.is != nil && (!errors.As(err, &ze) || ze.Status != http.StatusNotFound || ze.Code != "RecordNotFound") {
				t.Errorf("err = %#v, want a 404 RecordNotFound", err)
			}
			calls := zd.Requests()[before:]
			if len(calls) != 1 || calls[0].Method != "GET" || calls[0].Path != zendesktest.UserPath(tc.id) || calls[0].RawQuery != "" {
				t.Errorf("requests = %+v", calls)
			}
		})
	}
	if _, err := c.GetUser(context.Background(), 0); err == nil {
		t.Error("GetUser(0): no error")
	}
	if _, err := c.GetUser(context.Background(), -3); err == nil {
		t.Error("GetUser(-3): no error")
	}
	if n := len(zd.Requests()); n != 3 {
		t.Errorf("%d requests, want 3 (none for ids that cannot exist)", n)
	}
}

func TestCreateOrUpdateUserUnchanged(t *testing.T) {
	c, zd := newClient(t)
	old := zd.AddUser(zendesktest.User{Name: "Ada", Email: "Ada@Example.com", ExternalID: "old-id"})
	// An id in the struct is not sent: create_or_update matches on external
	// id or email only. The email matches across case, and the external id
	// moves to the matched user, as in Zendesk.
	id, err := c.CreateOrUpdateUser(context.Background(), zendesk.User{ID: 5, Name: "Ada L", Email: "ada@example.com", ExternalID: "new-id"})
	if err != nil || id != old {
		t.Fatalf("= %d, %v; want %d", id, err, old)
	}
	checkCalls(t, zd, wantCall{Method: "POST", Path: zendesktest.UsersPath, Body: `{"user":{"name":"Ada L","email":"ada@example.com","external_id":"new-id"}}`})
	if u := zd.Users()[0]; u.ExternalID != "new-id" || u.Name != "Ada L" {
		t.Errorf("user = %+v", u)
	}
}
