package pacing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/pacing"
)

// sleeper moves clock on instead of sleeping, and counts the time slept.
func sleeper(clock *clocktest.Clock, slept *time.Duration) func(context.Context, time.Duration) error {
	return func(_ context.Context, d time.Duration) error {
		*slept += d
		clock.Add(d)
		return nil
	}
}

func TestIntervalSpacesABurst(t *testing.T) {
	for _, rpm := range []int{10, 100, 400} {
		clock := clocktest.New()
		var slept time.Duration
		p := &pacing.Interval{PerMinute: rpm, Now: clock.Now, Sleep: sleeper(clock, &slept)}
		start := clock.Now()
		calls := 3 * rpm
		for range calls {
			if err := p.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		// 3 minutes' worth of calls take (3 minutes - one interval): the
		// first goes at once.
		want := 3*time.Minute - time.Minute/time.Duration(rpm)
		if got := clock.Now().Sub(start); got != want || slept != want {
			t.Errorf("%d a minute: %d calls took %v (slept %v), want %v", rpm, calls, got, slept, want)
		}
	}
}

func TestIntervalIdleTimeIsNotBanked(t *testing.T) {
	clock := clocktest.New()
	var slept time.Duration
	p := &pacing.Interval{PerMinute: 60, Now: clock.Now, Sleep: sleeper(clock, &slept)}
	p.Wait(context.Background())
	clock.Add(time.Hour)
	p.Wait(context.Background())
	p.Wait(context.Background())
	if slept != time.Second {
		t.Errorf("slept %v after an idle hour, want 1s: an idle hour must not allow a burst", slept)
	}
}

func TestIntervalStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := &pacing.Interval{PerMinute: 1}
	if err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	// The real sleeper returns when its context ends.
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	p.Wait(context.Background())
	if err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
}
