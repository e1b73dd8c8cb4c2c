package zendesktest_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const (
	agent = "agent@example.com"
	token = "zd-token-1"
)

var auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(agent+"/token:"+token))

type answer struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// do sends one request; an empty ct sends no Content-Type, an empty
// authorization none, and an empty body none.
func do(t *testing.T, s *zendesktest.Server, method, target, authorization, ct, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &a.body)
	return a
}

func get(t *testing.T, s *zendesktest.Server, target string) answer {
	t.Helper()
	return do(t, s, "GET", target, auth, "", "")
}

func send(t *testing.T, s *zendesktest.Server, method, target, body string) answer {
	t.Helper()
	return do(t, s, method, target, auth, "application/json", body)
}

func sameJSON(t *testing.T, got string, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("answer %q is not JSON", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q is not JSON", want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("answer %s\nwant   %s", got, want)
	}
}

func newServer(t *testing.T) (*zendesktest.Server, int64) {
	t.Helper()
	s := zendesktest.New(agent, token)
	t.Cleanup(s.Close)
	ada := s.AddUser(zendesktest.User{Name: "Ada", Email: "Ada@Example.com", ExternalID: "user-123"})
	return s, ada
}

func TestEveryRouteNeedsTheToken(t *testing.T) {
	s, ada := newServer(t)
	tk := s.AddTicket(map[string]any{"requester_id": ada})
	other := "Basic " + base64.StdEncoding.EncodeToString([]byte(agent+"/token:old"))
	password := "Basic " + base64.StdEncoding.EncodeToString([]byte(agent+":"+token))
	for _, r := range []struct{ method, target, body string }{
		{"GET", zendesktest.SearchUsersPath + "?external_id=user-123", ""},
		{"GET", zendesktest.SearchUsersPath + "?query=email%3AAda%40Example.com", ""},
		{"GET", zendesktest.UserPath(ada), ""},
		{"PUT", zendesktest.UserPath(ada), `{"user":{"external_id":"stolen"}}`},
		{"POST", zendesktest.CreateUserPath, `{"user":{"name":"Mallory"}}`},
		{"POST", zendesktest.UsersPath, `{"user":{"name":"Mallory","external_id":"user-123"}}`},
		{"POST", zendesktest.TicketsPath, `{"ticket":{"requester_id":` + itoa(ada) + `,"comment":{"body":"x"}}}`},
		{"GET", zendesktest.TicketPath(tk) + "?include=users", ""},
		{"GET", "/api/v2/nothing.json", ""},
	} {
		for _, a := range []string{"", other, password, "Bearer " + token, strings.ToLower(auth)} {
			ct := ""
			if r.body != "" {
				ct = "application/json"
			}
			got := do(t, s, r.method, r.target, a, ct, r.body)
			if got.status != 401 {
				t.Errorf("%s %s with %q: %d, want 401", r.method, r.target, a, got.status)
			}
			want := `{"error":"Couldn't authenticate you"}`
			if strings.HasPrefix(a, "Bearer ") {
				// An API token sent as a bearer token is no access
				// token Zendesk issued.
				want = `{"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."}`
			}
			sameJSON(t, got.raw, want)
		}
	}
	if u := s.Users(); len(u) != 1 || u[0].ExternalID != "user-123" {
		t.Errorf("unauthenticated calls changed the users: %+v", u)
	}
	if n := len(s.Tickets()); n != 1 {
		t.Errorf("%d tickets", n)
	}
}

func TestRequestShapes(t *testing.T) {
	s, ada := newServer(t)
	for _, tc := range []struct {
		name                   string
		method, target, ct, in string
		status                 int
	}{
		{"GET with a body", "GET", zendesktest.UserPath(ada), "application/json", `{"user":{}}`, 400},
		{"search with a body", "GET", zendesktest.SearchUsersPath + "?external_id=user-123", "", `{}`, 400},
		{"POST without Content-Type", "POST", zendesktest.CreateUserPath, "", `{"user":{"name":"Bo"}}`, 415},
		{"PUT as a form", "PUT", zendesktest.UserPath(ada), "application/x-www-form-urlencoded", `user[name]=Bo`, 415},
		{"DELETE a user", "DELETE", zendesktest.UserPath(ada), "", "", 405},
		{"GET create_or_update", "GET", zendesktest.UsersPath, "", "", 405},
		{"POST a search", "POST", zendesktest.SearchUsersPath, "application/json", `{}`, 405},
		{"PUT a ticket", "PUT", zendesktest.TicketPath(5), "application/json", `{}`, 405},
		{"user id not a number", "GET", "/api/v2/users/you.json", "", "", 404},
		{"user id signed", "GET", "/api/v2/users/+1001.json", "", "", 404},
		{"no .json", "GET", "/api/v2/users/1001", "", "", 404},
		{"unknown endpoint", "GET", "/api/v2/organizations.json", "", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := do(t, s, tc.method, tc.target, auth, tc.ct, tc.in)
			if got.status != tc.status {
				t.Errorf("%d %s, want %d", got.status, got.raw, tc.status)
			}
		})
	}
	if u := s.Users(); len(u) != 1 || u[0].Name != "Ada" {
		t.Errorf("refused requests changed the users: %+v", u)
	}
}

func TestSearch(t *testing.T) {
	s, ada := newServer(t)
	near := s.AddUser(zendesktest.User{Name: "Near", Email: "bada@example.com.au"})
	odd := s.AddUser(zendesktest.User{Name: "Odd", Email: `o"b\c d+e@exämple.com`, ExternalID: `x "y"\z+ü`})
	for _, tc := range []struct {
		name, query string
		status      int
		ids         []int64
	}{
		{"external id", "external_id=user-123", 200, []int64{ada}},
		{"external id ignores case", "external_id=USER-123", 200, []int64{ada}},
		{"external id, hostile", "external_id=x+%22y%22%5Cz%2B%C3%BC", 200, []int64{odd}},
		{"external id none", "external_id=user-9", 200, nil},
		{"email, any case, with near matches", "query=email%3Aada%40example.com", 200, []int64{ada, near}},
		{"email quoted", "query=email%3A%22ada%40example.com%22", 200, []int64{ada, near}},
		{"email quoted, hostile", "query=email%3A%22o%22b%5Cc+d%2Be%40ex%C3%A4mple.com%22", 200, []int64{odd}},
		{"an unencoded + reads as a space", "query=email%3A%22o%22b%5Cc+d+e%40ex%C3%A4mple.com%22", 200, nil},
		{"email none", "query=email%3Anobody%40example.com", 200, nil},
		{"neither", "", 400, nil},
		{"both", "external_id=user-123&query=email%3Aada%40example.com", 400, nil},
		{"repeated", "external_id=user-123&external_id=user-9", 400, nil},
		{"empty external id", "external_id=", 400, nil},
		{"unknown parameter", "external_id=user-123&role=agent", 400, nil},
		{"malformed escape", "external_id=%zz", 400, nil},
		{"semicolon", "external_id=a;b", 400, nil},
		{"bare word", "query=ada%40example.com", 400, nil},
		{"other field", "query=name%3AAda", 400, nil},
		{"capitalised", "query=EMAIL%3Aada%40example.com", 400, nil},
		{"two terms", "query=email%3Aada%40example.com+role%3Aagent", 400, nil},
		{"space unquoted", "query=email%3Aa+b%40example.com", 400, nil},
		{"wildcard", "query=email%3Aada%2A", 400, nil},
		{"negation", "query=email%3A-ada%40example.com", 400, nil},
		{"quote unterminated", "query=email%3A%22ada%40example.com", 400, nil},
		{"quotes empty", "query=email%3A%22%22", 400, nil},
		{"empty", "query=email%3A", 400, nil},
		{"leading space", "query=+email%3Aada%40example.com", 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := get(t, s, zendesktest.SearchUsersPath+"?"+tc.query)
			if got.status != tc.status {
				t.Fatalf("%d %s, want %d", got.status, got.raw, tc.status)
			}
			if tc.status != 200 {
				if got.body["error"] != "InvalidParameter" {
					t.Errorf("answer %s", got.raw)
				}
				return
			}
			users, _ := got.body["users"].([]any)
			var ids []int64
			for _, u := range users {
				ids = append(ids, int64(u.(map[string]any)["id"].(float64)))
			}
			if !reflect.DeepEqual(ids, tc.ids) || got.body["count"] != float64(len(tc.ids)) ||
				got.body["next_page"] != nil || got.body["previous_page"] != nil || !strings.Contains(got.raw, `"next_page":null`) {
				t.Errorf("answer %s, want users %v", got.raw, tc.ids)
			}
		})
	}
	// The recorded calls carry the query as it was sent.
	calls := s.RequestsTo(zendesktest.SearchUsersPath)
	if calls[0].RawQuery != "external_id=user-123" || calls[0].Query().Get("external_id") != "user-123" || calls[0].Method != "GET" {
		t.Errorf("first call = %+v", calls[0])
	}
}

func TestUserAnswerShape(t *testing.T) {
	s, ada := newServer(t)
	got := get(t, s, zendesktest.UserPath(ada))
	if got.status != 200 {
		t.Fatalf("%d %s", got.status, got.raw)
	}
	sameJSON(t, got.raw, `{"user":{"id":`+itoa(ada)+`,"url":"`+s.URL+zendesktest.UserPath(ada)+`","name":"Ada","email":"Ada@Example.com",
		"phone":null,"external_id":"user-123","role":"end-user","active":true}}`)
	got = get(t, s, zendesktest.UserPath(99999))
	if got.status != 404 {
		t.Fatalf("unknown user: %d", got.status)
	}
	sameJSON(t, got.raw, `{"error":"RecordNotFound","description":"Not found"}`)
	if got := get(t, s, zendesktest.UserPath(ada)+"?include=groups"); got.status != 400 {
		t.Errorf("unsupported include: %d", got.status)
	}
}

// A user's email is the primary address only; uniqueness and search span
// every email identity, which include=identities shows.
func TestSecondaryEmailIdentities(t *testing.T) {
	s, ada := newServer(t)
	bo := s.AddUser(zendesktest.User{Name: "Bo", Email: "bo@example.com"})
	s.AddEmailIdentity(bo, "Bo.Work@Example.com")
	s.AddEmailIdentity(bo, "bo@home.example")
	got := get(t, s, zendesktest.UserPath(bo)+"?include=identities")
	if got.status != 200 {
		t.Fatalf("%d %s", got.status, got.raw)
	}
	if u := got.body["user"].(map[string]any); u["email"] != "bo@example.com" {
		t.Errorf("user %v, want the primary address as its email", u)
	}
	var values []string
	for _, i := range got.body["identities"].([]any) {
		id := i.(map[string]any)
		if id["type"] != "email" || id["user_id"] != float64(bo) || id["primary"] != (id["value"] == "bo@example.com") {
			t.Errorf("identity %v", id)
		}
		values = append(values, id["value"].(string))
	}
	if !reflect.DeepEqual(values, []string{"bo@example.com", "Bo.Work@Example.com", "bo@home.example"}) {
		t.Errorf("identities %v", values)
	}
	search := get(t, s, zendesktest.SearchUsersPath+"?query=email%3Abo.work%40example.com")
	if users := search.body["users"].([]any); len(users) != 1 || users[0].(map[string]any)["id"] != float64(bo) {
		t.Errorf("search by a secondary address: %s", search.raw)
	}
	for _, tc := range []struct{ name, method, target, body string }{
		{"create", "POST", zendesktest.CreateUserPath, `{"user":{"name":"Cy","email":"BO.WORK@example.com"}}`},
		{"update", "PUT", zendesktest.UserPath(ada), `{"user":{"email":"bo@home.example"}}`},
	} {
		got := send(t, s, tc.method, tc.target, tc.body)
		if got.status != 422 || !strings.Contains(got.raw, `"error":"DuplicateValue"`) || !strings.Contains(got.raw, "is already being used by another user") {
			t.Errorf("%s with another user's secondary address: %d %s", tc.name, got.status, got.raw)
		}
	}
}

func TestCreateUser(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		status   int
		want     string // the answer, for failures
	}{
		{"created", `{"user":{"name":"Bo","email":"bo@example.com","phone":"+1","external_id":"u-2"}}`, 201, ""},
		{"email taken, any case", `{"user":{"name":"Bo","email":"ada@EXAMPLE.com"}}`, 422,
			`{"error":"RecordInvalid","description":"Record validation errors","details":{"email":[{"description":"Email: ada@EXAMPLE.com is already being used by another user","error":"DuplicateValue"}]}}`},
		{"external id taken", `{"user":{"name":"Bo","external_id":"user-123"}}`, 422,
			`{"error":"RecordInvalid","description":"Record validation errors","details":{"external_id":[{"description":"External has already been taken","error":"DuplicateValue"}]}}`},
		{"external id taken, another case", `{"user":{"name":"Bo","external_id":"USER-123"}}`, 422,
			`{"error":"RecordInvalid","description":"Record validation errors","details":{"external_id":[{"description":"External has already been taken","error":"DuplicateValue"}]}}`},
		{"no name", `{"user":{"email":"bo@example.com"}}`, 422,
			`{"error":"RecordInvalid","description":"Record validation errors","details":{"name":[{"description":"Name: cannot be blank","error":"BlankValue"}]}}`},
		{"blank name", `{"user":{"name":"  "}}`, 422,
			`{"error":"RecordInvalid","description":"Record validation errors","details":{"name":[{"description":"Name: cannot be blank","error":"BlankValue"}]}}`},
		{"not an address", `{"user":{"name":"Bo","email":"bo@"}}`, 422,
			`{"error":"RecordInvalid","description":"Record validation errors","details":{"email":[{"description":"Email: bo@ is not properly formatted","error":"InvalidValue"}]}}`},
		{"unknown field", `{"user":{"name":"Bo","role":"admin"}}`, 400, `{"error":"InvalidParameter","description":"user is required"}`},
		{"no user", `{"name":"Bo"}`, 400, `{"error":"InvalidParameter","description":"user is required"}`},
		{"not JSON", `{"user":`, 400, `{"error":"InvalidParameter","description":"user is required"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			got := send(t, s, "POST", zendesktest.CreateUserPath, tc.in)
			if got.status != tc.status {
				t.Fatalf("%d %s, want %d", got.status, got.raw, tc.status)
			}
			if tc.status != 201 {
				sameJSON(t, got.raw, tc.want)
				if n := len(s.Users()); n != 1 {
					t.Errorf("%d users after a refusal", n)
				}
				return
			}
			users := s.Users()
			if len(users) != 2 || users[1] != (zendesktest.User{ID: users[1].ID, Name: "Bo", Email: "bo@example.com", Phone: "+1", ExternalID: "u-2"}) {
				t.Fatalf("users = %+v", users)
			}
			sameJSON(t, got.raw, `{"user":{"id":`+itoa(users[1].ID)+`,"url":"`+s.URL+zendesktest.UserPath(users[1].ID)+`","name":"Bo","email":"bo@example.com",
				"phone":"+1","external_id":"u-2","role":"end-user","active":true}}`)
		})
	}
}

func TestUpdateUser(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		id       int64 // 0: Bo's
		status   int
		want     zendesktest.User // Bo after, ID aside
	}{
		{"external id", `{"user":{"external_id":"u-9"}}`, 0, 200, zendesktest.User{Name: "Bo", Phone: "+1", Email: "bo@example.com", ExternalID: "u-9"}},
		{"own values again", `{"user":{"email":"BO@example.com","external_id":"u-2"}}`, 0, 200, zendesktest.User{Name: "Bo", Phone: "+1", Email: "BO@example.com", ExternalID: "u-2"}},
		{"null clears", `{"user":{"external_id":null,"phone":null}}`, 0, 200, zendesktest.User{Name: "Bo", Email: "bo@example.com"}},
		{"external id of another", `{"user":{"external_id":"user-123"}}`, 0, 422, zendesktest.User{Name: "Bo", Phone: "+1", Email: "bo@example.com", ExternalID: "u-2"}},
		{"email of another", `{"user":{"email":"ada@example.COM"}}`, 0, 422, zendesktest.User{Name: "Bo", Phone: "+1", Email: "bo@example.com", ExternalID: "u-2"}},
		{"blank name", `{"user":{"name":""}}`, 0, 422, zendesktest.User{Name: "Bo", Phone: "+1", Email: "bo@example.com", ExternalID: "u-2"}},
		{"number", `{"user":{"external_id":12}}`, 0, 400, zendesktest.User{Name: "Bo", Phone: "+1", Email: "bo@example.com", ExternalID: "u-2"}},
		{"unknown attribute", `{"user":{"role":"admin"}}`, 0, 400, zendesktest.User{Name: "Bo", Phone: "+1", Email: "bo@example.com", ExternalID: "u-2"}},
		{"unknown user", `{"user":{"external_id":"u-9"}}`, 999999, 404, zendesktest.User{Name: "Bo", Phone: "+1", Email: "bo@example.com", ExternalID: "u-2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			bo := s.AddUser(zendesktest.User{Name: "Bo", Email: "bo@example.com", Phone: "+1", ExternalID: "u-2"})
			id := tc.id
			if id == 0 {
				id = bo
			}
			got := send(t, s, "PUT", zendesktest.UserPath(id), tc.in)
			if got.status != tc.status {
				t.Fatalf("%d %s, want %d", got.status, got.raw, tc.status)
			}
			if tc.status == 404 {
				sameJSON(t, got.raw, `{"error":"RecordNotFound","description":"Not found"}`)
			}
			if tc.status == 422 && !strings.Contains(got.raw, `"RecordInvalid"`) {
				t.Errorf("answer %s", got.raw)
			}
			tc.want.ID = bo
			if u := s.Users()[1]; u != tc.want {
				t.Errorf("Bo = %+v, want %+v", u, tc.want)
			}
			if u := s.Users()[0]; u.ExternalID != "user-123" || u.Email != "Ada@Example.com" {
				t.Errorf("Ada changed: %+v", u)
			}
		})
	}
}

func TestCreateOrUpdateMovesIdentity(t *testing.T) {
	s, ada := newServer(t)
	// Matched by email (in another case), the user takes the new external
	// id: what real Zendesk does, and what tests must be able to catch.
	got := send(t, s, "POST", zendesktest.UsersPath, `{"user":{"name":"Ada","email":"ada@example.com","external_id":"someone-else"}}`)
	if got.status != 200 || got.body["user"].(map[string]any)["id"] != float64(ada) {
		t.Fatalf("%d %s", got.status, got.raw)
	}
	if u := s.Users(); len(u) != 1 || u[0].ExternalID != "someone-else" {
		t.Errorf("users = %+v", u)
	}
}

func TestTickets(t *testing.T) {
	s, ada := newServer(t)
	// A ticket for an unknown email creates that user; a known one (in any
	// case) is found; none at all files it under the agent.
	created := send(t, s, "POST", zendesktest.TicketsPath, `{"ticket":{"requester":{"name":"Bo","email":"bo@example.com"},"comment":{"body":"Hi \"there\""}}}`)
	known := send(t, s, "POST", zendesktest.TicketsPath, `{"ticket":{"subject":"S","requester":{"name":"A","email":"ADA@example.com"},"comment":{"html_body":"<p>x</p>"},"tags":["a"],"priority":"high","group_id":7}}`)
	byID := send(t, s, "POST", zendesktest.TicketsPath, `{"ticket":{"requester_id":`+itoa(ada)+`,"status":"open","comment":{"body":"y"}}}`)
	none := send(t, s, "POST", zendesktest.TicketsPath, `{"ticket":{"comment":{"body":"z"}}}`)
	for _, a := range []answer{created, known, byID, none} {
		if a.status != 201 {
			t.Fatalf("create: %d %s", a.status, a.raw)
		}
	}
	users := s.Users()
	if len(users) != 3 || users[1].Email != "bo@example.com" || users[1].Name != "Bo" || users[2].Email != agent {
		t.Fatalf("users = %+v", users)
	}
	bo, agentID := users[1].ID, users[2].ID
	idOf := func(a answer) int64 { return int64(a.body["ticket"].(map[string]any)["id"].(float64)) }
	for _, tc := range []struct {
		name      string
		id        int64
		requester int64
		subject   string
		desc      string
		status    string
		tags      []any
		priority  any
	}{
		{"new requester", idOf(created), bo, "", `Hi "there"`, "new", []any{}, nil},
		{"known requester", idOf(known), ada, "S", "<p>x</p>", "new", []any{"a"}, "high"},
		{"requester id", idOf(byID), ada, "", "y", "open", []any{}, nil},
		{"no requester", idOf(none), agentID, "", "z", "new", []any{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := get(t, s, zendesktest.TicketPath(tc.id)+"?include=users")
			if got.status != 200 {
				t.Fatalf("%d %s", got.status, got.raw)
			}
			tk := got.body["ticket"].(map[string]any)
			if tk["id"] != float64(tc.id) || tk["requester_id"] != float64(tc.requester) || tk["submitter_id"] != float64(tc.requester) ||
				tk["subject"] != tc.subject || tk["description"] != tc.desc || tk["status"] != tc.status || !reflect.DeepEqual(tk["tags"], tc.tags) ||
				tk["priority"] != tc.priority || tk["url"] != s.URL+zendesktest.TicketPath(tc.id) {
				t.Errorf("ticket = %v", tk)
			}
			for _, f := range []string{"assignee_id", "type", "external_id", "organization_id", "priority"} {
				if _, has := tk[f]; !has {
					t.Errorf("ticket lacks %s: %v", f, tk)
				}
			}
			if _, has := tk["comment"]; has {
				t.Errorf("the comment is shown as a ticket field: %v", tk)
			}
			users := got.body["users"].([]any)
			if len(users) != 1 || users[0].(map[string]any)["id"] != float64(tc.requester) {
				t.Errorf("side-loaded %v, want only the requester %d", users, tc.requester)
			}
			plain := get(t, s, zendesktest.TicketPath(tc.id))
			if _, has := plain.body["users"]; has || plain.status != 200 {
				t.Errorf("without include: %d %s", plain.status, plain.raw)
			}
			// What the POST answered is what a GET shows.
			for _, a := range []answer{created, known, byID, none} {
				if idOf(a) == tc.id {
					posted := a.body["ticket"].(map[string]any)
					if !reflect.DeepEqual(posted, tk) {
						t.Errorf("POST answered %v\nGET answers  %v", posted, tk)
					}
				}
			}
		})
	}
	// Tickets keeps each as it was sent, so tests see what the bridge filed.
	if sent := s.Tickets()[0]; sent["requester_id"] != nil || sent["requester"] == nil || sent["status"] != nil {
		t.Errorf("Tickets()[0] = %v, want it as sent", sent)
	}
	for _, tc := range []struct {
		target string
		status int
	}{
		{zendesktest.TicketPath(424242), 404},
		{zendesktest.TicketPath(idOf(created)) + "?include=groups", 400},
		{zendesktest.TicketPath(idOf(created)) + "?include=users,groups", 400},
		{zendesktest.TicketPath(idOf(created)) + "?include=users&include=users", 400},
		{zendesktest.TicketPath(idOf(created)) + "?sort=id", 400},
	} {
		if got := get(t, s, tc.target); got.status != tc.status {
			t.Errorf("GET %s: %d %s, want %d", tc.target, got.status, got.raw, tc.status)
		}
	}
}

func TestAddTicket(t *testing.T) {
	s, ada := newServer(t)
	assignee := s.AddUser(zendesktest.User{Name: "Agent", Email: agent})
	in := map[string]any{"id": 42, "subject": "S", "description": "D", "requester_id": ada, "assignee_id": assignee, "submitter_id": assignee, "tags": []string{"t"}}
	if id := s.AddTicket(in); id != 42 {
		t.Fatalf("AddTicket kept id %d, want 42", id)
	}
	if _, has := in["url"]; has || len(in) != 7 {
		t.Errorf("AddTicket changed its argument: %v", in)
	}
	fresh := s.AddTicket(map[string]any{"requester_id": 777})
	if fresh <= 42 || fresh == ada || fresh == assignee {
		t.Errorf("fresh id %d", fresh)
	}
	got := get(t, s, zendesktest.TicketPath(42)+"?include=users")
	tk := got.body["ticket"].(map[string]any)
	if tk["subject"] != "S" || tk["description"] != "D" || tk["status"] != "new" || tk["assignee_id"] != float64(assignee) || tk["submitter_id"] != float64(assignee) {
		t.Errorf("ticket = %v", tk)
	}
	var ids []float64
	for _, u := range got.body["users"].([]any) {
		ids = append(ids, u.(map[string]any)["id"].(float64))
	}
	if !reflect.DeepEqual(ids, []float64{float64(ada), float64(assignee)}) {
		t.Errorf("side-loaded %v, want requester then assignee, once each", ids)
	}
	// A requester that does not exist is not side-loaded.
	if got := get(t, s, zendesktest.TicketPath(fresh)+"?include=users"); len(got.body["users"].([]any)) != 0 {
		t.Errorf("side-loaded %s", got.raw)
	}
	if n := len(s.Tickets()); n != 2 {
		t.Errorf("Tickets() has %d", n)
	}
	defer func() {
		if recover() == nil {
			t.Error("a second ticket 42 did not panic")
		}
	}()
	s.AddTicket(map[string]any{"id": 42})
}

func TestScriptsOnNewPaths(t *testing.T) {
	s, ada := newServer(t)
	tk := s.AddTicket(map[string]any{"requester_id": ada})
	for _, path := range []string{zendesktest.UserPath(ada), zendesktest.TicketPath(tk), zendesktest.SearchUsersPath} {
		s.Script(path, zendesktest.Reply{Status: 503, Header: map[string]string{"Retry-After": "7"}, Body: "down"})
		target := path
		if path == zendesktest.SearchUsersPath {
			target += "?external_id=user-123"
		}
		first := get(t, s, target)
		if first.status != 503 || first.header.Get("Retry-After") != "7" || first.raw != "down" {
			t.Errorf("%s scripted: %d %q", path, first.status, first.raw)
		}
		if again := get(t, s, target); again.status != 200 {
			t.Errorf("%s after the script: %d", path, again.status)
		}
		if calls := s.RequestsTo(path); len(calls) != 2 || len(s.RequestsTo(path)) != 2 {
			t.Errorf("%s: %d calls recorded", path, len(calls))
		}
	}
	// Scripts match the path only: a user's path is not another's.
	s.Script(zendesktest.UserPath(ada+1000), zendesktest.Reply{Status: 500})
	if got := get(t, s, zendesktest.UserPath(ada)); got.status != 200 {
		t.Errorf("another path's script answered: %d", got.status)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
