package dedupe_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/dedupe"
)

func TestMemoryContract(t *testing.T) {
	runContract(t, func(_ *testing.T, now func() time.Time) store {
		m := dedupe.NewMemory()
		m.Now = now
		return m
	})
}

// A full store drops expired records first, then the one expiring first,
// and never the record it is writing.
func TestMemoryCap(t *testing.T) {
	clock := clocktest.New()
	m := dedupe.NewMemory()
	m.Now, m.Cap = clock.Now, 3
	s := subject{store: m, clock: clock}

	for _, id := range []string{"a", "b", "c"} {
		c := s.want(t, s.req(id), dedupe.Claimed, 0)
		ok(t, "Complete", m.Complete(ctx, id, c.Token))
		clock.Add(time.Second)
	}
	s.want(t, s.req("d"), dedupe.Claimed, 0) // full: a, expiring first, goes
	s.want(t, s.req("a"), dedupe.Claimed, 0) // and now b
	s.want(t, s.req("c"), dedupe.Duplicate, 0)

	clock.Add(dedupe.QueuedRetention)
	for i := range 3 { // expired records make room
		s.want(t, s.req(fmt.Sprint("n", i)), dedupe.Claimed, 0)
	}
	for i := range 3 {
		s.want(t, s.req(fmt.Sprint("n", i)), dedupe.Busy, 0)
	}
}
