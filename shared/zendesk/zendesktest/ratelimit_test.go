package zendesktest_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// The plan's limit holds across callers over a sliding minute on the
// server's clock: 429 with Retry-After (whole seconds until the oldest
// request leaves the minute), plain text, X-Rate-Limit headers throughout.
func TestRateLimit(t *testing.T) {
	s, _ := newServer(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	s.SetRateLimit(3)
	target := zendesktest.TicketsPath + "?external_id=x"
	for i := range 3 {
		a := get(t, s, target)
		if a.status != 200 || a.header.Get("X-Rate-Limit") != "3" || a.header.Get("X-Rate-Limit-Remaining") != itoa(int64(2-i)) {
			t.Fatalf("request %d: %d, X-Rate-Limit %q remaining %q", i, a.status, a.header.Get("X-Rate-Limit"), a.header.Get("X-Rate-Limit-Remaining"))
		}
		now = now.Add(10 * time.Second)
	}
	a := get(t, s, target)
	if a.status != 429 || a.header.Get("Retry-After") != "30" || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("over the limit: %d, Retry-After %q, Content-Type %q", a.status, a.header.Get("Retry-After"), a.header.Get("Content-Type"))
	}
	// A refused request is not counted; the first leaves the minute.
	now = now.Add(30 * time.Second)
	if a := get(t, s, target); a.status != 200 {
		t.Fatalf("after the oldest left the minute: %d", a.status)
	}
	if a := get(t, s, target); a.status != 429 {
		t.Fatalf("the limit again: %d", a.status)
	}
	if s.RateLimited() != 2 {
		t.Errorf("RateLimited = %d, want 2", s.RateLimited())
	}
	s.SetRateLimit(0)
	if a := get(t, s, target); a.status != 200 {
		t.Fatalf("no limit: %d", a.status)
	}
}

// Concurrent callers share one budget: the account's, not a connection's.
func TestRateLimitAcrossCallers(t *testing.T) {
	s, _ := newServer(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	s.SetRateLimit(50)
	var mu sync.Mutex
	ok := 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if a := get(t, s, zendesktest.TicketsPath+"?external_id=x"); a.status == 200 {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if ok != 50 || s.RateLimited() != 150 {
		t.Fatalf("%d let through and %d refused, want 50 and 150", ok, s.RateLimited())
	}
}
