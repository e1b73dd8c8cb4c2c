package dedupe_test

import (
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/mototest"
)

// requesterStore is a store of requesters and claims, for the contract.
type requesterStore interface {
	dedupe.Requesters
	dedupe.Store
}

func TestMemoryRequesters(t *testing.T) {
	runRequesters(t, func(_ *testing.T, now func() time.Time) requesterStore {
		m := dedupe.NewMemory()
		m.Now = now
		return m
	})
}

func TestDynamoDBRequesters(t *testing.T) {
	m := mototest.Start(t)
	runRequesters(t, func(t *testing.T, now func() time.Time) requesterStore {
		name, client := newTable(t, m)
		d := dedupe.NewDynamoDB(client, name)
		d.Now = now
		return d
	})
}

// runRequesters is what every store does with requesters: remembered as
// given, overwritten, forgotten, expired after RequesterRetention, and
// apart from claims of the same text.
func runRequesters(t *testing.T, newStore func(*testing.T, func() time.Time) requesterStore) {
	clock := clocktest.New()
	s := newStore(t, clock.Now)
	checked := clock.Now().Add(-time.Minute).Truncate(time.Millisecond)
	want := func(key string, r dedupe.Requester, found bool) {
		t.Helper()
		got, ok, err := s.RememberedRequester(ctx, key)
		if err != nil || ok != found || !got.Checked.Equal(r.Checked) || got.UserID != r.UserID || got.Conflict != r.Conflict {
			t.Fatalf("RememberedRequester(%s) = %+v, %v, %v; want %+v, %v", key, got, ok, err, r, found)
		}
	}
	want("r1", dedupe.Requester{}, false)
	ok(t, "RememberRequester", s.RememberRequester(ctx, "r1", dedupe.Requester{UserID: 42, Checked: checked}))
	ok(t, "RememberRequester", s.RememberRequester(ctx, "r2", dedupe.Requester{UserID: 7, Conflict: true, Checked: checked}))
	want("r1", dedupe.Requester{UserID: 42, Checked: checked}, true)
	want("r2", dedupe.Requester{UserID: 7, Conflict: true, Checked: checked}, true)

	ok(t, "ForgetRequester", s.ForgetRequester(ctx, "r1"))
	want("r1", dedupe.Requester{}, false)
	ok(t, "ForgetRequester of an unknown key", s.ForgetRequester(ctx, "nobody"))

	later := checked.Add(time.Hour)
	clock.Add(time.Hour)
	ok(t, "RememberRequester again", s.RememberRequester(ctx, "r2", dedupe.Requester{UserID: 8, Checked: later}))
	want("r2", dedupe.Requester{UserID: 8, Checked: later}, true)

	// A claim of the same text is another record.
	c, err := s.Claim(ctx, dedupe.ClaimRequest{ID: "r2", Deadline: clock.Now().Add(deadline)})
	if err != nil || c.Outcome != dedupe.Claimed {
		t.Fatalf("Claim(r2) = %+v, %v", c, err)
	}
	want("r2", dedupe.Requester{UserID: 8, Checked: later}, true)

	clock.Add(dedupe.RequesterRetention - time.Second)
	want("r2", dedupe.Requester{UserID: 8, Checked: later}, true)
	clock.Add(time.Second)
	want("r2", dedupe.Requester{}, false)
}
