package dedupe_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/dedupe"
)

// store is what every store provides.
type store interface {
	dedupe.Store
	dedupe.Tickets
}

// subject is a fresh store under test and the clock it reads.
type subject struct {
	store
	clock *clocktest.Clock
}

// deadline is how long a claim in these tests lasts before it counts as
// abandoned: an invocation's time.
const deadline = 10 * time.Second

// runContract runs the behaviour every store shares, each case on a fresh
// store that reads now. Memory defines it; DynamoDB must match it.
func runContract(t *testing.T, newStore func(t *testing.T, now func() time.Time) store) {
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			clock := clocktest.New()
			c.run(t, subject{store: newStore(t, clock.Now), clock: clock})
		})
	}
}

var ctx = context.Background()

// req asks for id with a deadline of one invocation from now.
func (s subject) req(id string) dedupe.ClaimRequest {
	return dedupe.ClaimRequest{ID: id, Deadline: s.clock.Now().Add(deadline)}
}

// replay asks for id carrying the signature sig, valid five minutes.
func (s subject) replay(id, sig string) dedupe.ClaimRequest {
	r := s.req(id)
	r.Replay, r.ReplayUntil = sig, s.clock.Now().Add(5*time.Minute)
	return r
}

func fromQueue(r dedupe.ClaimRequest) dedupe.ClaimRequest { r.FromQueue = true; return r }

// want claims r and fails unless the outcome and batches are as given.
func (s subject) want(t *testing.T, r dedupe.ClaimRequest, outcome dedupe.Outcome, batches int) dedupe.Claim {
	t.Helper()
	c, err := s.Claim(ctx, r)
	if err != nil {
		t.Fatalf("Claim(%s) = %v", r.ID, err)
	}
	if c.Outcome != outcome || c.Batches != batches {
		t.Fatalf("Claim(%s) = %v with %d batches, want %v with %d", r.ID, c.Outcome, c.Batches, outcome, batches)
	}
	if (c.Token != "") != (outcome == dedupe.Claimed) {
		t.Fatalf("Claim(%s) = %v with token %q", r.ID, c.Outcome, c.Token)
	}
	return c
}

// ok fails unless err is nil.
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v", what, err)
	}
}

// lost fails unless err is ErrLost.
func lost(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, dedupe.ErrLost) {
		t.Fatalf("%s = %v, want ErrLost", what, err)
	}
}

var contract = []struct {
	name string
	run  func(t *testing.T, s subject)
}{
	{"claim, busy, duplicate", func(t *testing.T, s subject) {
		c := s.want(t, s.req("a"), dedupe.Claimed, 0)
		s.want(t, s.req("a"), dedupe.Busy, 0)
		s.want(t, fromQueue(s.req("a")), dedupe.Busy, 0)
		s.want(t, s.req("b"), dedupe.Claimed, 0) // ids are independent
		ok(t, "Complete", s.Complete(ctx, "a", c.Token))
		s.want(t, s.req("a"), dedupe.Duplicate, 0)
		s.want(t, fromQueue(s.req("a")), dedupe.Duplicate, 0)
	}},
	{"busy until the deadline, abandoned at it, batches kept", func(t *testing.T, s subject) {
		old := s.want(t, s.req("a"), dedupe.Claimed, 0)
		ok(t, "Progress", s.Progress(ctx, "a", old.Token, 2))
		s.clock.Add(deadline - time.Second)
		s.want(t, s.req("a"), dedupe.Busy, 0)
		s.clock.Add(time.Second)
		c := s.want(t, s.req("a"), dedupe.Claimed, 2)
		if c.Token == old.Token {
			t.Fatal("the takeover kept the abandoned claim's token")
		}
		s.want(t, s.req("a"), dedupe.Busy, 0) // the new claim's own deadline
		ok(t, "Progress", s.Progress(ctx, "a", c.Token, 3))
		ok(t, "Complete", s.Complete(ctx, "a", c.Token))
		s.want(t, s.req("a"), dedupe.Duplicate, 0)
	}},
	{"ErrLost after a takeover", func(t *testing.T, s subject) {
		old := s.want(t, s.req("a"), dedupe.Claimed, 0)
		s.clock.Add(deadline)
		c := s.want(t, s.req("a"), dedupe.Claimed, 0)
		lost(t, "Progress", s.Progress(ctx, "a", old.Token, 1))
		lost(t, "Complete", s.Complete(ctx, "a", old.Token))
		lost(t, "Queue", s.Queue(ctx, "a", old.Token))
		lost(t, "Release", s.Release(ctx, "a", old.Token))
		s.want(t, s.req("a"), dedupe.Busy, 0) // the old token changed nothing
		ok(t, "Progress", s.Progress(ctx, "a", c.Token, 1))
		lost(t, "Progress of an unknown id", s.Progress(ctx, "nobody", c.Token, 1))
		lost(t, "Complete with a made-up token", s.Complete(ctx, "a", "made-up"))
	}},
	{"a completed or queued claim is no longer held", func(t *testing.T, s subject) {
		c := s.want(t, s.req("a"), dedupe.Claimed, 0)
		ok(t, "Complete", s.Complete(ctx, "a", c.Token))
		lost(t, "Progress after Complete", s.Progress(ctx, "a", c.Token, 1))
		lost(t, "Release after Complete", s.Release(ctx, "a", c.Token))
		lost(t, "Queue after Complete", s.Queue(ctx, "a", c.Token))
		q := s.want(t, s.req("b"), dedupe.Claimed, 0)
		ok(t, "Queue", s.Queue(ctx, "b", q.Token))
		lost(t, "Complete after Queue", s.Complete(ctx, "b", q.Token))
		lost(t, "Release after Queue", s.Release(ctx, "b", q.Token))
		// A write repeated because its answer was lost lands once.
		ok(t, "Complete again", s.Complete(ctx, "a", c.Token))
		ok(t, "Queue again", s.Queue(ctx, "b", q.Token))
		s.want(t, s.req("a"), dedupe.Duplicate, 0)
		s.want(t, s.req("b"), dedupe.Duplicate, 0)
	}},
	{"release then reclaim keeping batches", func(t *testing.T, s subject) {
		old := s.want(t, s.req("a"), dedupe.Claimed, 0)
		ok(t, "Progress", s.Progress(ctx, "a", old.Token, 1))
		ok(t, "Release", s.Release(ctx, "a", old.Token))
		c := s.want(t, s.req("a"), dedupe.Claimed, 1) // at once: the clock has not moved
		lost(t, "Complete of the released claim", s.Complete(ctx, "a", old.Token))
		ok(t, "Release", s.Release(ctx, "a", c.Token))
		s.want(t, fromQueue(s.req("a")), dedupe.Claimed, 1)
	}},
	{"queued: a duplicate for senders, claimable by the queue", func(t *testing.T, s subject) {
		c := s.want(t, s.req("a"), dedupe.Claimed, 0)
		ok(t, "Progress", s.Progress(ctx, "a", c.Token, 1))
		ok(t, "Queue", s.Queue(ctx, "a", c.Token))
		s.want(t, s.req("a"), dedupe.Duplicate, 0)
		q := s.want(t, fromQueue(s.req("a")), dedupe.Claimed, 1)
		s.want(t, fromQueue(s.req("a")), dedupe.Busy, 0) // the queue delivered the record twice
		s.want(t, s.req("a"), dedupe.Busy, 0)
		ok(t, "Queue again", s.Queue(ctx, "a", q.Token)) // still failing: back on the queue
		q = s.want(t, fromQueue(s.req("a")), dedupe.Claimed, 1)
		ok(t, "Complete", s.Complete(ctx, "a", q.Token))
		s.want(t, fromQueue(s.req("a")), dedupe.Duplicate, 0)
		s.want(t, s.req("a"), dedupe.Duplicate, 0)
	}},
	{"replay key refused for another id, accepted for the same", func(t *testing.T, s subject) {
		c := s.want(t, s.replay("a", "sig1"), dedupe.Claimed, 0)
		s.want(t, s.replay("b", "sig1"), dedupe.Duplicate, 0)
		s.want(t, fromQueue(s.replay("b", "sig1")), dedupe.Duplicate, 0)
		s.want(t, s.req("b"), dedupe.Claimed, 0) // the refused claim wrote nothing
		s.want(t, s.replay("a", "sig1"), dedupe.Busy, 0)
		ok(t, "Release", s.Release(ctx, "a", c.Token))
		// Zendesk's retry of the same invocation signs it anew.
		c = s.want(t, s.replay("a", "sig2"), dedupe.Claimed, 0)
		ok(t, "Release", s.Release(ctx, "a", c.Token))
		c = s.want(t, s.replay("a", "sig1"), dedupe.Claimed, 0)
		ok(t, "Complete", s.Complete(ctx, "a", c.Token))
		s.want(t, s.replay("c", "sig2"), dedupe.Duplicate, 0)
		s.want(t, s.replay("a", "sig3"), dedupe.Duplicate, 0) // the invocation is done
		// A replay refused even where the invocation itself is claimable.
		s.want(t, s.replay("d", "sig4"), dedupe.Claimed, 0)
		s.want(t, s.replay("e", "sig4"), dedupe.Duplicate, 0)
	}},
	{"replay key expires with its window", func(t *testing.T, s subject) {
		c := s.want(t, s.replay("a", "sig1"), dedupe.Claimed, 0)
		ok(t, "Complete", s.Complete(ctx, "a", c.Token))
		s.clock.Add(5*time.Minute - time.Second)
		s.want(t, s.replay("b", "sig1"), dedupe.Duplicate, 0)
		s.clock.Add(time.Second)
		c = s.want(t, s.replay("b", "sig1"), dedupe.Claimed, 0)
		s.clock.Add(time.Second) // sig1 is now b's for five minutes
		s.want(t, s.replay("c", "sig1"), dedupe.Duplicate, 0)
	}},
	{"expiry from the stored expires_at", func(t *testing.T, s subject) {
		c := s.want(t, s.req("done"), dedupe.Claimed, 0)
		ok(t, "Progress", s.Progress(ctx, "done", c.Token, 3))
		ok(t, "Complete", s.Complete(ctx, "done", c.Token))
		q := s.want(t, s.req("queued"), dedupe.Claimed, 0)
		ok(t, "Queue", s.Queue(ctx, "queued", q.Token))
		p := s.want(t, s.req("stuck"), dedupe.Claimed, 0)

		s.clock.Add(dedupe.Retention - time.Second)
		s.want(t, s.req("done"), dedupe.Duplicate, 0)
		s.clock.Add(time.Second)
		// Forgotten, batches and all: a new delivery.
		s.want(t, s.req("done"), dedupe.Claimed, 0)

		s.clock.Add(dedupe.QueuedRetention - dedupe.Retention - time.Second)
		s.want(t, s.req("queued"), dedupe.Duplicate, 0)
		lost(t, "Progress just before the claim expires", s.Progress(ctx, "stuck", "made-up", 1))
		ok(t, "Progress just before the claim expires", s.Progress(ctx, "stuck", p.Token, 1))
		s.clock.Add(time.Second)
		s.want(t, s.req("queued"), dedupe.Claimed, 0)
		lost(t, "Complete of an expired claim", s.Complete(ctx, "stuck", p.Token))
		s.want(t, s.req("stuck"), dedupe.Claimed, 0)
	}},
	{"tickets remembered and expired", func(t *testing.T, s subject) {
		if id, found, err := s.FiledTicket(ctx, "k1"); err != nil || found || id != 0 {
			t.Fatalf("FiledTicket(unknown) = %d, %v, %v", id, found, err)
		}
		ok(t, "RememberTicket", s.RememberTicket(ctx, "k1", 42))
		ok(t, "RememberTicket", s.RememberTicket(ctx, "k2", 7))
		filed := func(key string, want int64, wantFound bool) {
			t.Helper()
			id, found, err := s.FiledTicket(ctx, key)
			if err != nil || found != wantFound || id != want {
				t.Fatalf("FiledTicket(%s) = %d, %v, %v; want %d, %v", key, id, found, err, want, wantFound)
			}
		}
		filed("k1", 42, true)
		filed("k2", 7, true)
		s.clock.Add(time.Hour)
		ok(t, "RememberTicket again", s.RememberTicket(ctx, "k2", 8))
		s.clock.Add(dedupe.TicketRetention - time.Hour - time.Second)
		filed("k1", 42, true)
		s.clock.Add(time.Second)
		filed("k1", 0, false)
		filed("k2", 8, true) // kept from when it was last remembered
		s.clock.Add(time.Hour)
		filed("k2", 0, false)
		// A ticket key and an invocation id of the same text are apart.
		s.want(t, s.req("k1"), dedupe.Claimed, 0)
		filed("k1", 0, false)
	}},
}
