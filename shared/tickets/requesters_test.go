package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// remembering is a fixture whose service remembers requesters in store,
// on a clock the test moves.
func remembering(t *testing.T, store dedupe.Requesters) (*fixture, *time.Time) {
	f := newFixture(t)
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	svc := f.h.(*tickets.Handler).Service
	svc.Requesters = store
	svc.Now = func() time.Time { return now }
	return f, &now
}

// calls files body under a fresh Idempotency-Key and returns the Zendesk
// calls it took and the requester of the ticket it filed.
func calls(t *testing.T, f *fixture, body string) (int, int64) {
	t.Helper()
	before := len(f.zd.Requests())
	resp, out := f.send(t, body, "idempotency-key", fmt.Sprint("k-", before))
	if resp.Status != 201 {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	id := int64(out["ticket_id"].(float64))
	for _, tk := range f.zd.Tickets() {
		if int64(tk["id"].(float64)) == id {
			return len(f.zd.Requests()) - before, int64(tk["requester_id"].(float64))
		}
	}
	t.Fatalf("ticket %d not in the stand-in", id)
	return 0, 0
}

func TestRememberedRequesterCostsOneCall(t *testing.T) {
	for _, tc := range []struct {
		name          string
		existing      []zendesktest.User
		body          string
		first, repeat int
	}{
		{name: "new person", body: ticketFor("u1", "new@example.com"), first: 3, repeat: 1},
		{name: "known by external id", existing: []zendesktest.User{{Name: "Ada", Email: "ada@example.com", ExternalID: "u2"}},
			body: ticketFor("u2", "ada@example.com"), first: 2, repeat: 1},
		{name: "known by email alone", existing: []zendesktest.User{{Name: "Bo", Email: "bo@example.com"}},
			body: `{"ticket": {"requester": {"email": "bo@example.com"}, "comment": {"body": "help"}}}`, first: 2, repeat: 1},
		{name: "email held under another external id", existing: []zendesktest.User{{Name: "Di", Email: "shared@example.com", ExternalID: "u4"}},
			body: ticketFor("u5", "shared@example.com"), first: 6, repeat: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := remembering(t, dedupe.NewMemory())
			for _, u := range tc.existing {
				f.zd.AddUser(u)
			}
			n1, who1 := calls(t, f, tc.body)
			n2, who2 := calls(t, f, tc.body)
			if n1 != tc.first || n2 != tc.repeat {
				t.Errorf("zendesk calls = %d then %d, want %d then %d", n1, n2, tc.first, tc.repeat)
			}
			if who1 != who2 {
				t.Errorf("the repeat went to user %d, the first to %d", who2, who1)
			}
			// The same answer as without memory, tag included.
			tks := f.zd.Tickets()
			if hasTag(tks[0], tickets.ConflictTag) != hasTag(tks[1], tickets.ConflictTag) {
				t.Errorf("conflict tag differs: %v then %v", tks[0]["tags"], tks[1]["tags"])
			}
		})
	}
}

// Another email for the same external id is another answer (the conflict
// tag depends on it), so it is looked up, not taken from memory.
func TestRememberedPerExternalIDAndEmail(t *testing.T) {
	f, _ := remembering(t, dedupe.NewMemory())
	f.zd.AddUser(zendesktest.User{Name: "Bo", Email: "bo@example.com", ExternalID: "u2"})
	calls(t, f, ticketFor("u1", "a@example.com"))
	if n, _ := calls(t, f, ticketFor("u1", "bo@example.com")); n == 1 {
		t.Error("a new email for the external id was answered from memory")
	}
	_, u1 := calls(t, f, ticketFor("u1", "a@example.com"))
	if n, _ := calls(t, f, ticketFor("u1", "A@example.com")); n != 1 {
		t.Errorf("the email in another case cost %d calls, want 1 (Zendesk ignores its case)", n)
	}
	// Braze does not ignore an external id's case: U1 is another user,
	// looked up, and never filed under u1's Zendesk user.
	n, other := calls(t, f, ticketFor("U1", "a@example.com"))
	if n == 1 || other == u1 {
		t.Errorf("U1 cost %d calls and went to user %d (u1's: %d): answered from u1's memory", n, other, u1)
	}
}

func TestRememberedUserGoneIsLookedUpAgain(t *testing.T) {
	f, _ := remembering(t, dedupe.NewMemory())
	_, first := calls(t, f, ticketFor("u1", "gone@example.com"))
	f.zd.RemoveUser(first)
	n, second := calls(t, f, ticketFor("u1", "gone@example.com"))
	if second == first {
		t.Fatal("the ticket was filed under a user Zendesk no longer has")
	}
	if len(f.zd.Tickets()) != 2 {
		t.Errorf("tickets = %d, want 2", len(f.zd.Tickets()))
	}
	// Refused ticket, lookup, create user, ticket.
	if n != 4 {
		t.Errorf("zendesk calls = %d, want 4", n)
	}
	if n, _ := calls(t, f, ticketFor("u1", "gone@example.com")); n != 1 {
		t.Errorf("after the new user was remembered: %d calls, want 1", n)
	}
}

func TestRememberedUserIsCheckedAfterVerifyAfter(t *testing.T) {
	f, now := remembering(t, dedupe.NewMemory())
	_, first := calls(t, f, ticketFor("u1", ""))
	other := f.zd.AddUser(zendesktest.User{Name: "Heir"})
	f.zd.MoveExternalID("u1", other)
	*now = now.Add(tickets.VerifyAfter - time.Second)
	if _, who := calls(t, f, ticketFor("u1", "")); who != first {
		t.Fatalf("within VerifyAfter the ticket went to %d, want the remembered %d", who, first)
	}
	*now = now.Add(time.Second)
	if n, who := calls(t, f, ticketFor("u1", "")); who != other || n != 2 {
		t.Fatalf("after VerifyAfter: %d calls, user %d; want 2 calls, the external id's holder %d", n, who, other)
	}
}

// A retry of a ticket whose answer was lost builds the same body from
// memory: Zendesk answers from its idempotency record, one ticket.
func TestRememberedRetryIsOneTicket(t *testing.T) {
	f, _ := remembering(t, dedupe.NewMemory())
	calls(t, f, ticketFor("u1", "a@example.com"))
	f.zd.Script(zendesktest.TicketsPath, zendesktest.Reply{Lost: true})
	body := ticketFor("u1", "a@example.com")
	f.send(t, body, "idempotency-key", "lost")
	resp, _ := f.send(t, body, "idempotency-key", "lost")
	if resp.Status != 201 {
		t.Fatalf("retry: %d %s", resp.Status, resp.Body)
	}
	if n := len(f.zd.Tickets()); n != 2 {
		t.Errorf("tickets = %d, want 2 (the first, and the lost one once)", n)
	}
}

// brokenStore fails every call, as an unreachable table does.
type brokenStore struct{}

var errTable = errors.New("table unreachable")

func (brokenStore) RememberedRequester(context.Context, string) (dedupe.Requester, bool, error) {
	return dedupe.Requester{}, false, errTable
}
func (brokenStore) RememberRequester(context.Context, string, dedupe.Requester) error {
	return errTable
}
func (brokenStore) ForgetRequester(context.Context, string) error { return errTable }

func TestUnreachableMemoryCostsLookupsNotTickets(t *testing.T) {
	f, _ := remembering(t, brokenStore{})
	for range 2 {
		if n, _ := calls(t, f, ticketFor("u1", "a@example.com")); n > 3 {
			t.Errorf("zendesk calls = %d, want at most 3", n)
		}
	}
}
