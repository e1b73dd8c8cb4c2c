package pacing

import (
	"context"
	"sync"
	"time"

	"github.com/brazezendesk/bridge/shared/retry"
)

// Interval is a local pacer: it lets at most PerMinute calls a minute of
// one container through, evenly spaced, for work that should take only
// part of the shared Budget (a reconciliation run). A burst of work is
// spread over the minute rather than spent at its start. It is safe for
// concurrent use.
type Interval struct {
	PerMinute int
	// Now and Sleep are the clock and the wait; nil means the real ones.
	// Tests swap them so as not to wait.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next time.Time // when the next call may go
}

// Wait returns when the next call may be made, or ctx's error when ctx
// ends first: a caller out of time stops rather than overspends.
func (p *Interval) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	now := p.now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(time.Minute / time.Duration(max(p.PerMinute, 1)))
	p.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return p.sleep(ctx, d)
	}
	return nil
}

func (p *Interval) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Interval) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return retry.Sleep(ctx, d)
}
