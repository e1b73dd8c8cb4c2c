// Package pacing spends one budget of Zendesk API calls a minute across
// every container of the bridge, so that the bridge never meets a 429 of
// its own making and leaves the rest of the account's limit (agents'
// apps, other integrations) alone.
//
// The budget is counted in short fixed windows that all containers share
// (a counter per window: in memory for one container, in the dedupe
// table for all). A window of Window holds PerWindow(perMinute) calls,
// few enough that any minute, however it falls across windows, holds no
// more than perMinute: Zendesk's minute need not line up with ours.
package pacing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/retry"
)

// Window is the length of one counting window.
const Window = 3 * time.Second

// windowsPerMinute is how many windows any minute touches at most.
const windowsPerMinute = int(time.Minute/Window) + 1

// PerWindow is the calls one window may hold for a budget of perMinute
// calls a minute: at least 1, so a tiny budget still moves.
func PerWindow(perMinute int) int {
	return max(1, perMinute/windowsPerMinute)
}

// Counter counts the calls made in each window, for every caller that
// shares it.
type Counter interface {
	// Take counts one call in window unless it holds limit already, and
	// reports whether it did. An error says nothing about the window.
	Take(ctx context.Context, window int64, limit int) (bool, error)
}

// Budget paces calls to PerMinute a minute over Counter. Its Wait has
// the shape every pacer of the bridge has (a reconciliation run's too).
type Budget struct {
	Counter   Counter
	PerMinute int
	Now       func() time.Time                                 // nil: time.Now
	Sleep     func(ctx context.Context, d time.Duration) error // nil: a timer
	// Unpaced, when set, hears of a Counter that failed: the call then
	// goes unpaced (Zendesk's Retry-After still holds it back) rather
	// than not at all.
	Unpaced func(err error)
}

// ExhaustedError is a budget spent until after the caller's deadline.
type ExhaustedError struct{ Wait time.Duration }

// RetryAfter is how long until the budget has room again.
func (e *ExhaustedError) RetryAfter() time.Duration { return e.Wait }

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("the bridge's Zendesk budget is spent for the next %s", e.Wait.Round(time.Millisecond))
}

// Wait returns once a call may be made, counted in the budget: at once
// while the current window has room, else at the start of the next
// window with room. It fails with *ExhaustedError, without waiting, when
// that is past ctx's deadline.
func (b *Budget) Wait(ctx context.Context) error {
	if b == nil || b.PerMinute <= 0 {
		return nil
	}
	limit := PerWindow(b.PerMinute)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := b.now()
		w := now.UnixMilli() / Window.Milliseconds()
		ok, err := b.Counter.Take(ctx, w, limit)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if b.Unpaced != nil {
				b.Unpaced(err)
			}
			return nil
		}
		if ok {
			return nil
		}
		wait := time.UnixMilli((w + 1) * Window.Milliseconds()).Sub(now)
		if deadline, has := ctx.Deadline(); has && time.Until(deadline) < wait {
			return &ExhaustedError{Wait: wait}
		}
		if err := b.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (b *Budget) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b *Budget) sleep(ctx context.Context, d time.Duration) error {
	if b.Sleep != nil {
		return b.Sleep(ctx, d)
	}
	return retry.Sleep(ctx, d)
}

// PerMinuteFromEnv reads a budget's calls a minute from the variable
// name: 0 (no pacing) when it is unset, an error naming it when it is
// not a whole number of at least 1.
func PerMinuteFromEnv(name, value string) (int, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a whole number of Zendesk API requests a minute, such as 400", name)
	}
	return n, nil
}
