package dedupe_test

import (
	"maps"
	"testing"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/mototest"
)

// Every operation's cost in calls to DynamoDB, on the paths that matter:
// a delivery is two calls, and a claim is one unless it must take a
// record over.
func TestDynamoDBCalls(t *testing.T) {
	m := mototest.Start(t)
	s, _, sp, _ := spied(t, m)
	calls := func(what string, want map[string]int, do func()) {
		t.Helper()
		sp.counts()
		do()
		got, total := sp.counts()
		t.Logf("%-50s %d call(s) %v", what, total, got)
		if !maps.Equal(got, want) {
			t.Errorf("%s made calls %v, want %v", what, got, want)
		}
	}
	put, update, get, transact := "PutItem", "UpdateItem", "GetItem", "TransactWriteItems"
	one := func(op string) map[string]int { return map[string]int{op: 1} }
	var c dedupe.Claim

	calls("a single-batch delivery: Claim + Complete", map[string]int{put: 1, update: 1}, func() {
		c = s.want(t, s.req("a"), dedupe.Claimed, 0)
		ok(t, "Complete", s.Complete(ctx, "a", c.Token))
	})
	calls("Claim with a replay key", one(transact), func() { c = s.want(t, s.replay("b", "sig-b"), dedupe.Claimed, 0) })
	calls("Progress", one(update), func() { ok(t, "Progress", s.Progress(ctx, "b", c.Token, 1)) })
	calls("Claim: busy", one(put), func() { s.want(t, s.req("b"), dedupe.Busy, 0) })
	calls("Claim with a replay key: busy", one(transact), func() { s.want(t, s.replay("b", "sig-b2"), dedupe.Busy, 0) })
	calls("Claim: duplicate", one(put), func() { s.want(t, s.req("a"), dedupe.Duplicate, 0) })
	calls("Claim with another id's replay key", one(transact), func() { s.want(t, s.replay("x", "sig-b"), dedupe.Duplicate, 0) })
	calls("Release", one(update), func() { ok(t, "Release", s.Release(ctx, "b", c.Token)) })
	calls("Claim taking a released claim over", map[string]int{put: 1, update: 1}, func() {
		c = s.want(t, s.req("b"), dedupe.Claimed, 1)
	})
	calls("Queue", one(update), func() { ok(t, "Queue", s.Queue(ctx, "b", c.Token)) })
	calls("Claim of a queued delivery from the queue", map[string]int{put: 1, update: 1}, func() {
		c = s.want(t, fromQueue(s.req("b")), dedupe.Claimed, 1)
	})
	calls("Release", one(update), func() { ok(t, "Release", s.Release(ctx, "b", c.Token)) })
	calls("Claim with a replay key taking a claim over", map[string]int{transact: 2}, func() {
		c = s.want(t, s.replay("b", "sig-b3"), dedupe.Claimed, 1)
	})
	calls("ErrLost", one(update), func() { lost(t, "Complete", s.Complete(ctx, "a", c.Token)) })
	calls("FiledTicket", one(get), func() { s.FiledTicket(ctx, "k") })
	calls("RememberTicket", one(put), func() { ok(t, "RememberTicket", s.RememberTicket(ctx, "k", 1)) })
	s.clock.Add(dedupe.Retention)
	calls("Claim of an expired record", one(put), func() { s.want(t, s.req("a"), dedupe.Claimed, 0) })
}
