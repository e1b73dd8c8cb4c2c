package tickets_test

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

func ticketFor(extID, email string) string {
	return fmt.Sprintf(`{"ticket": {"requester_id": %q, "requester": {"name": "Someone", "email": %q}, "comment": {"body": "help"}}}`, extID, email)
}

func userWith(t *testing.T, zd *zendesktest.Server, id int64) zendesktest.User {
	t.Helper()
	for _, u := range zd.Users() {
		if u.ID == id {
			return u
		}
	}
	t.Fatalf("no user %d in %+v", id, zd.Users())
	return zendesktest.User{}
}

func hasTag(tk map[string]any, tag string) bool {
	tags, _ := tk["tags"].([]any)
	return slices.Contains(tags, any(tag))
}

// Identity never moves: an external id held by one Zendesk user is never
// written onto another, and an email held by a user with another external
// id does not hand that user over.
func TestIdentityNeverMoves(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing []zendesktest.User
		body     string
		// requester is the index into existing of the user the ticket must
		// be filed under, or -1 for a user the bridge creates.
		requester   int
		wantEmail   string // the created user's email
		wantTag     bool
		usersAfter  int
		untouched   []int // existing users that must be unchanged
		searchEmpty int   // scripted empty search answers first (Zendesk's search lagging)
	}{
		{name: "known external id", existing: []zendesktest.User{{Name: "Ada", Email: "ada@example.com", ExternalID: "u1"}},
			body: ticketFor("u1", "ada@example.com"), requester: 0, usersAfter: 1, untouched: []int{0}},
		{name: "known external id, email of someone else", existing: []zendesktest.User{{Name: "Ada", Email: "ada@example.com", ExternalID: "u1"}, {Name: "Bo", Email: "bo@example.com", ExternalID: "u2"}},
			body: ticketFor("u1", "bo@example.com"), requester: 0, wantTag: true, usersAfter: 2, untouched: []int{0, 1}},
		{name: "email-only requester known to Zendesk", existing: []zendesktest.User{{Name: "Gus", Email: "gus@example.com", Phone: "+1"}},
			body:      `{"ticket": {"requester": {"name": "Other Name", "email": "GUS@example.com", "phone": "+2"}, "comment": {"body": "help"}}}`,
			requester: 0, usersAfter: 1, untouched: []int{0}},
		{name: "email-only requester found late", existing: []zendesktest.User{{Name: "Hal", Email: "hal@example.com"}},
			body: `{"ticket": {"requester": {"email": "hal@example.com"}, "comment": {"body": "help"}}}`, searchEmpty: 1,
			requester: 0, usersAfter: 1, untouched: []int{0}},
		{name: "email-only Zendesk user is linked", existing: []zendesktest.User{{Name: "Cy", Email: "cy@example.com"}},
			body: ticketFor("u3", "CY@example.com"), requester: 0, usersAfter: 1},
		{name: "email held under another external id", existing: []zendesktest.User{{Name: "Di", Email: "shared@example.com", ExternalID: "u4"}},
			body: ticketFor("u5", "shared@example.com"), requester: -1, wantEmail: "", wantTag: true, usersAfter: 2, untouched: []int{0}},
		{name: "new person", body: ticketFor("u6", "new@example.com"), requester: -1, wantEmail: "new@example.com", usersAfter: 1},
		{name: "search lags behind the email's owner", existing: []zendesktest.User{{Name: "Ed", Email: "ed@example.com", ExternalID: "u7"}},
			body: ticketFor("u8", "ed@example.com"), searchEmpty: 2, requester: -1, wantEmail: "", wantTag: true, usersAfter: 2, untouched: []int{0}},
		{name: "another request made the user meanwhile", existing: []zendesktest.User{{Name: "Flo", ExternalID: "u9"}},
			body: `{"ticket": {"requester_id": "u9", "comment": {"body": "help"}}}`, searchEmpty: 1, requester: 0, usersAfter: 1, untouched: []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var ids []int64
			for _, u := range tc.existing {
				ids = append(ids, f.zd.AddUser(u))
			}
			empty := zendesktest.Reply{Status: 200, Body: `{"users": [], "count": 0, "next_page": null, "previous_page": null}`}
			for range tc.searchEmpty {
				f.zd.Script(zendesktest.SearchUsersPath, empty)
			}
			resp, _ := f.send(t, tc.body)
			if resp.Status != 201 {
				t.Fatalf("status %d: %s", resp.Status, resp.Body)
			}
			tk := f.zd.Tickets()[0]
			got := int64(tk["requester_id"].(float64))
			if tc.requester >= 0 && got != ids[tc.requester] {
				t.Errorf("ticket filed under user %d, want %d", got, ids[tc.requester])
			}
			if tc.requester < 0 {
				if slices.Contains(ids, got) {
					t.Fatalf("ticket filed under an existing user %d, want a new one", got)
				}
				if u := userWith(t, f.zd, got); u.Email != tc.wantEmail {
					t.Errorf("created user %+v, want email %q", u, tc.wantEmail)
				}
			}
			if hasTag(tk, tickets.ConflictTag) != tc.wantTag {
				t.Errorf("tags %v, conflict tag wanted: %v", tk["tags"], tc.wantTag)
			}
			if n := len(f.zd.Users()); n != tc.usersAfter {
				t.Errorf("users = %d, want %d: %+v", n, tc.usersAfter, f.zd.Users())
			}
			for _, i := range tc.untouched {
				want := tc.existing[i]
				want.ID = ids[i]
				if u := userWith(t, f.zd, ids[i]); u != want {
					t.Errorf("user %d changed: %+v, was %+v", ids[i], u, want)
				}
			}
			if len(f.zd.RequestsTo(zendesktest.UsersPath)) != 0 {
				t.Error("create_or_update was called: it hands an email's owner over")
			}
		})
	}
}

func TestLinkedEmailUserKeepsItsName(t *testing.T) {
	f := newFixture(t)
	id := f.zd.AddUser(zendesktest.User{Name: "Cy Agent-Curated", Email: "cy@example.com"})
	if resp, _ := f.send(t, ticketFor("u3", "cy@example.com")); resp.Status != 201 {
		t.Fatalf("%d %s", resp.Status, resp.Body)
	}
	if u := userWith(t, f.zd, id); u.ExternalID != "u3" || u.Name != "Cy Agent-Curated" {
		t.Errorf("linked user = %+v, want external id u3 and the name kept", u)
	}
}

// Two Braze users sharing one email keep their own Zendesk users, however
// often they write in.
func TestSharedEmailDoesNotFlipExternalIDs(t *testing.T) {
	f := newFixture(t)
	for i := range 3 {
		for _, ext := range []string{"alice", "bob"} {
			body := fmt.Sprintf(`{"ticket": {"requester_id": %q, "requester": {"email": "family@example.com"}, "comment": {"body": "%s %d"}}}`, ext, ext, i)
			if resp, _ := f.send(t, body, "idempotency-key", fmt.Sprint("dispatch-", i)); resp.Status != 201 {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
		}
	}
	users := f.zd.Users()
	if len(users) != 2 || users[0].ExternalID != "alice" || users[0].Email != "family@example.com" || users[1].ExternalID != "bob" || users[1].Email != "" {
		t.Fatalf("users = %+v, want alice with the email and bob without", users)
	}
	for _, tk := range f.zd.Tickets() {
		body := tk["comment"].(map[string]any)["body"].(string)
		want := users[0].ID
		if body[:3] == "bob" {
			want = users[1].ID
		}
		if int64(tk["requester_id"].(float64)) != want {
			t.Errorf("ticket %v (%v) under %v, want %d", tk["id"], body, tk["requester_id"], want)
		}
	}
	if n := len(f.zd.Tickets()); n != 6 {
		t.Errorf("tickets = %d, want 6", n)
	}
	// A Braze retry of the conflicting user's first webhook builds the same
	// ticket body, so Zendesk answers with the ticket it made.
	retry := `{"ticket": {"requester_id": "bob", "requester": {"email": "family@example.com"}, "comment": {"body": "bob 0"}}}`
	if resp, out := f.send(t, retry, "idempotency-key", "dispatch-0"); resp.Status != 201 || out["ticket_id"] != f.zd.Tickets()[1]["id"] {
		t.Errorf("retry: %d %s, want ticket %v again", resp.Status, resp.Body, f.zd.Tickets()[1]["id"])
	}
	if n := len(f.zd.Tickets()); n != 6 {
		t.Errorf("tickets after the retry = %d, want 6", n)
	}
}

// One Idempotency-Key header for a whole send: each user gets a ticket,
// and a Braze retry of one user's webhook gets that same ticket back.
func TestOneDispatchIDForAWholeSend(t *testing.T) {
	f := newFixture(t)
	key := "dispatch-\x01\"é\r\n" + string(make([]byte, 300))
	bodies := []string{
		ticketFor("u1", "a@example.com"),
		ticketFor("u2", "b@example.com"),
		`{"ticket": {"requester": {"email": "only-email@example.com"}, "comment": {"body": "help"}}}`,
		`{"ticket": {"requester": {"email": "other-email@example.com"}, "comment": {"body": "help"}}}`,
	}
	first := map[int]any{}
	for i, b := range bodies {
		resp, out := f.send(t, b, "idempotency-key", key)
		if resp.Status != 201 {
			t.Fatalf("user %d: %d %s", i, resp.Status, resp.Body)
		}
		first[i] = out["ticket_id"]
	}
	for i, b := range bodies {
		if _, out := f.send(t, b, "idempotency-key", key); out["ticket_id"] != first[i] {
			t.Errorf("retry of user %d answered ticket %v, want %v", i, out["ticket_id"], first[i])
		}
	}
	if n := len(f.zd.Tickets()); n != len(bodies) {
		t.Errorf("tickets = %d, want %d", n, len(bodies))
	}
}

func TestIdempotencyKey(t *testing.T) {
	safe := regexp.MustCompile(`^braze-[0-9a-f]{40}$`)
	body := []byte(`{"ticket": {}}`)
	keys := map[string]string{
		"header, user 1":          tickets.IdempotencyKey("dispatch-1", body, "external_id:u1"),
		"header, user 2":          tickets.IdempotencyKey("dispatch-1", body, "external_id:u2"),
		"other header":            tickets.IdempotencyKey("dispatch-2", body, "external_id:u1"),
		"no header":               tickets.IdempotencyKey("", body, "external_id:u1"),
		"no header, other body":   tickets.IdempotencyKey("", []byte(`{"ticket": {"x": 1}}`), "external_id:u1"),
		"header is the body text": tickets.IdempotencyKey(string(body), nil, "external_id:u1"),
		"control characters":      tickets.IdempotencyKey("d\x00\x01\r\n", body, "external_id:u1"),
		"parts shifted":           tickets.IdempotencyKey("dispatch-1\x00external_id:u", body, "1"),
	}
	seen := map[string]string{}
	for name, k := range keys {
		if !safe.MatchString(k) {
			t.Errorf("%s: key %q is not a safe header value", name, k)
		}
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share the key %s", name, other, k)
		}
		seen[k] = name
	}
	if tickets.IdempotencyKey(" dispatch-1 ", nil, "external_id:u1") != keys["header, user 1"] {
		t.Error("a retry's key must not depend on the body or surrounding white space when a header is given")
	}
}

// A taken external id's 422 may be filed under "name": the race and the
// lost answer still find the user that holds it, instead of handing Braze
// a 422 it does not retry.
func TestTakenExternalIDUnderAnotherKey(t *testing.T) {
	for _, under := range []string{"external_id", "name"} {
		for _, tc := range []struct {
			name string
			body string
			user zendesktest.User
		}{
			{"made meanwhile", `{"ticket": {"requester_id": "u9", "comment": {"body": "help"}}}`, zendesktest.User{Name: "Flo", ExternalID: "u9"}},
			{"linking an email-only user", ticketFor("u9", "cy@example.com"), zendesktest.User{Name: "Flo", ExternalID: "u9"}},
		} {
			t.Run(under+"/"+tc.name, func(t *testing.T) {
				f := newFixture(t)
				f.zd.ExternalIDTakenUnder = under
				id := f.zd.AddUser(tc.user)
				f.zd.AddUser(zendesktest.User{Name: "Cy", Email: "cy@example.com"})
				// Search has not seen u9 yet.
				f.zd.Script(zendesktest.SearchUsersPath, zendesktest.Reply{Status: 200, Body: `{"users": [], "count": 0, "next_page": null, "previous_page": null}`})
				resp, _ := f.send(t, tc.body)
				if resp.Status != 201 {
					t.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
				if got := int64(f.zd.Tickets()[0]["requester_id"].(float64)); got != id {
					t.Errorf("ticket filed under %d, want %d", got, id)
				}
			})
		}
	}
}

// Zendesk's external ids ignore case, Braze's do not: "abc" and "Abc" are
// two Braze users, and never share one Zendesk user.
func TestExternalIDsDifferingInCase(t *testing.T) {
	abc := zendesktest.User{Name: "Upper", Email: "upper@example.com", ExternalID: "Abc"}
	for _, tc := range []struct {
		name        string
		existing    []zendesktest.User
		body        string
		searchEmpty int // scripted empty search answers first (Zendesk's search lagging)
		// requester is the index into existing of the user the ticket must
		// be filed under, or -1 for a user the bridge creates.
		requester  int
		wantEmail  string // the created user's
		wantTag    bool   // the email is another user's
		usersAfter int
	}{
		{name: "new email", existing: []zendesktest.User{abc}, body: ticketFor("abc", "lower@example.com"),
			requester: -1, wantEmail: "lower@example.com", usersAfter: 2},
		{name: "the other's email", existing: []zendesktest.User{abc}, body: ticketFor("abc", "UPPER@example.com"),
			requester: -1, wantEmail: "", wantTag: true, usersAfter: 2},
		{name: "no email", existing: []zendesktest.User{abc}, body: `{"ticket": {"requester_id": "abc", "comment": {"body": "help"}}}`,
			requester: -1, wantEmail: "", usersAfter: 2},
		{name: "email of a user without external id", existing: []zendesktest.User{abc, {Name: "Lower", Email: "lower@example.com"}},
			body: ticketFor("abc", "lower@example.com"), requester: 1, usersAfter: 2},
		{name: "search lags behind the other", existing: []zendesktest.User{abc}, body: ticketFor("abc", "lower@example.com"), searchEmpty: 1,
			requester: -1, wantEmail: "lower@example.com", usersAfter: 2},
		{name: "linking an email-only user, search lagging", existing: []zendesktest.User{abc, {Name: "Lower", Email: "lower@example.com"}},
			body: ticketFor("abc", "lower@example.com"), searchEmpty: 1, requester: 1, usersAfter: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			var ids []int64
			for _, u := range tc.existing {
				ids = append(ids, f.zd.AddUser(u))
			}
			for range tc.searchEmpty {
				f.zd.Script(zendesktest.SearchUsersPath, zendesktest.Reply{Status: 200, Body: `{"users": [], "count": 0, "next_page": null, "previous_page": null}`})
			}
			resp, _ := f.send(t, tc.body)
			if resp.Status != 201 {
				t.Fatalf("status %d: %s", resp.Status, resp.Body)
			}
			tk := f.zd.Tickets()[0]
			got := int64(tk["requester_id"].(float64))
			if got == ids[0] {
				t.Fatalf("the ticket of Braze user abc was filed under Abc's Zendesk user")
			}
			if tc.requester >= 0 && got != ids[tc.requester] {
				t.Errorf("ticket filed under user %d, want %d", got, ids[tc.requester])
			}
			u := userWith(t, f.zd, got)
			if u.ExternalID != "" {
				t.Errorf("requester %+v holds an external id", u)
			}
			if tc.requester < 0 && u.Email != tc.wantEmail {
				t.Errorf("created user %+v, want email %q", u, tc.wantEmail)
			}
			if hasTag(tk, tickets.ConflictTag) != tc.wantTag {
				t.Errorf("tags %v, conflict tag wanted: %v", tk["tags"], tc.wantTag)
			}
			if n := len(f.zd.Users()); n != tc.usersAfter {
				t.Errorf("users = %d, want %d: %+v", n, tc.usersAfter, f.zd.Users())
			}
			want := tc.existing[0]
			want.ID = ids[0]
			if u := userWith(t, f.zd, ids[0]); u != want {
				t.Errorf("Abc's user changed: %+v", u)
			}

			// Abc's own ticket still goes to Abc's user, untagged; abc's
			// next one, when it gave an email, to the same user as before.
			if resp, _ := f.send(t, ticketFor("Abc", "upper@example.com"), "idempotency-key", "next-Abc"); resp.Status != 201 {
				t.Fatalf("Abc: %d %s", resp.Status, resp.Body)
			}
			if tk := f.zd.Tickets()[1]; int64(tk["requester_id"].(float64)) != ids[0] || hasTag(tk, tickets.ConflictTag) {
				t.Errorf("Abc's ticket %v, want it under %d untagged", tk, ids[0])
			}
			if u.Email != "" {
				if resp, _ := f.send(t, tc.body, "idempotency-key", "next-abc"); resp.Status != 201 {
					t.Fatalf("abc again: %d %s", resp.Status, resp.Body)
				}
				if again := int64(f.zd.Tickets()[2]["requester_id"].(float64)); again != got {
					t.Errorf("abc's next ticket went to %d, the first to %d", again, got)
				}
			}
		})
	}
}

// An address that is a Zendesk user's secondary email identity is that
// user's, as a primary one would be: the same identity rules apply, and an
// email-only requester no longer loops (Zendesk refuses to create a user
// with the address, while a search for the primary one found no one).
func TestSecondaryEmailIdentity(t *testing.T) {
	x := zendesktest.User{Name: "Xena", Email: "xena@example.com", ExternalID: "u1"}
	y := zendesktest.User{Name: "Yann", Email: "yann@example.com"}
	for _, tc := range []struct {
		name       string
		body       string
		requester  int // 0: x, 1: y, -1: a user the bridge creates
		wantTag    bool
		linked     string // y's external id after
		usersAfter int
	}{
		{name: "email-only requester", body: `{"ticket": {"requester": {"email": "X.Work@example.com"}, "comment": {"body": "help"}}}`,
			requester: 0, usersAfter: 2},
		{name: "the holder's own external id", body: ticketFor("u1", "x.work@example.com"), requester: 0, usersAfter: 2},
		{name: "an email-only user is linked", body: ticketFor("u3", "y.home@example.com"), requester: 1, linked: "u3", usersAfter: 2},
		{name: "held under another external id", body: ticketFor("u2", "x.work@example.com"), requester: -1, wantTag: true, usersAfter: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ids := []int64{f.zd.AddUser(x), f.zd.AddUser(y)}
			f.zd.AddEmailIdentity(ids[0], "x.work@example.com")
			f.zd.AddEmailIdentity(ids[1], "y.home@example.com")
			resp, _ := f.send(t, tc.body)
			if resp.Status != 201 {
				t.Fatalf("status %d: %s", resp.Status, resp.Body)
			}
			tk := f.zd.Tickets()[0]
			got := int64(tk["requester_id"].(float64))
			if tc.requester >= 0 && got != ids[tc.requester] {
				t.Errorf("ticket filed under %d, want %d", got, ids[tc.requester])
			}
			if tc.requester < 0 {
				if slices.Contains(ids, got) {
					t.Fatalf("ticket filed under an existing user %d, want a new one", got)
				}
				if u := userWith(t, f.zd, got); u.Email != "" || u.ExternalID != "u2" {
					t.Errorf("created user %+v, want u2 without the email", u)
				}
			}
			if hasTag(tk, tickets.ConflictTag) != tc.wantTag {
				t.Errorf("tags %v, conflict tag wanted: %v", tk["tags"], tc.wantTag)
			}
			if u := userWith(t, f.zd, ids[0]); u != (zendesktest.User{ID: ids[0], Name: x.Name, Email: x.Email, ExternalID: x.ExternalID}) {
				t.Errorf("x changed: %+v", u)
			}
			if u := userWith(t, f.zd, ids[1]); u.ExternalID != tc.linked || u.Email != y.Email {
				t.Errorf("y = %+v, want external id %q", u, tc.linked)
			}
			if n := len(f.zd.Users()); n != tc.usersAfter {
				t.Errorf("users = %d, want %d", n, tc.usersAfter)
			}
		})
	}
}
