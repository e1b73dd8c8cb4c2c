package pacing_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/pacing"
)

// simClock is a clock that sleepers move forward to when they wake, never
// back: concurrent sleepers share one timeline.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func newSimClock() *simClock { return &simClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)} }

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return nil
}

var ctx = context.Background()

func TestPerWindow(t *testing.T) {
	for _, tc := range []struct{ rpm, want int }{{200, 9}, {400, 19}, {700, 33}, {2500, 119}, {10, 1}, {0, 1}} {
		if got := pacing.PerWindow(tc.rpm); got != tc.want {
			t.Errorf("PerWindow(%d) = %d, want %d", tc.rpm, got, tc.want)
		}
		// However a minute falls across windows, it holds no more than rpm.
		if tc.rpm >= 21 && pacing.PerWindow(tc.rpm)*(int(time.Minute/pacing.Window)+1) > tc.rpm {
			t.Errorf("PerWindow(%d) lets a minute hold more than %d", tc.rpm, tc.rpm)
		}
	}
}

// counters are the counters under test, each fresh.
func counters(t *testing.T) map[string]func() pacing.Counter {
	m := mototest.Start(t)
	var n atomic.Int64
	return map[string]func() pacing.Counter{
		"memory": func() pacing.Counter { return pacing.NewMemory() },
		"dynamodb": func() pacing.Counter {
			name := fmt.Sprintf("pace-%d", n.Add(1))
			return &pacing.DynamoDB{Client: m.CreateTable(t, name), Table: name, Name: "zendesk"}
		},
	}
}

func TestCounterContract(t *testing.T) {
	for name, fresh := range counters(t) {
		t.Run(name, func(t *testing.T) {
			c := fresh()
			for i := range 3 {
				if ok, err := c.Take(ctx, 10, 3); !ok || err != nil {
					t.Fatalf("take %d of 3: %v, %v", i, ok, err)
				}
			}
			if ok, err := c.Take(ctx, 10, 3); ok || err != nil {
				t.Fatalf("a fourth take in a window of 3: %v, %v", ok, err)
			}
			if ok, err := c.Take(ctx, 11, 3); !ok || err != nil {
				t.Fatalf("the next window: %v, %v", ok, err)
			}
			if ok, _ := c.Take(ctx, 10, 4); !ok {
				t.Fatal("a window counts calls, whatever limit asked before")
			}
		})
	}
}

// Several containers draining at once through one shared counter never
// make more than the budget's calls in any minute. (Their sleeps share
// one simulated timeline, which moves on by each sleep, so how close to
// the budget they keep is measured with one container below.)
func TestBudgetHoldsAcrossContainers(t *testing.T) {
	for name, fresh := range counters(t) {
		t.Run(name, func(t *testing.T) {
			const rpm, containers, callsEach = 200, 4, 100
			clock := newSimClock()
			shared := fresh()
			var mu sync.Mutex
			var at []time.Time
			var wg sync.WaitGroup
			for range containers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b := &pacing.Budget{Counter: shared, PerMinute: rpm, Now: clock.Now, Sleep: clock.Sleep}
					for range callsEach {
						if err := b.Wait(ctx); err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						at = append(at, clock.Now())
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
			for i := range at {
				j := sort.Search(len(at), func(k int) bool { return !at[k].Before(at[i].Add(time.Minute)) })
				if j-i > rpm {
					t.Fatalf("%d calls in the minute from %s, budget %d", j-i, at[i].Format(time.TimeOnly), rpm)
				}
			}
			span := at[len(at)-1].Sub(at[0])
			if min := time.Duration(float64(len(at))/rpm*float64(time.Minute)) * 8 / 10; span < min {
				t.Fatalf("%d calls in %s: faster than the budget", len(at), span)
			}
		})
	}
}

func TestBudgetSpentPastTheDeadline(t *testing.T) {
	clock := newSimClock()
	b := &pacing.Budget{Counter: pacing.NewMemory(), PerMinute: 21, Now: clock.Now, Sleep: clock.Sleep}
	if err := b.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	var ex *pacing.ExhaustedError
	if err := b.Wait(short); !errors.As(err, &ex) || ex.Wait <= 0 || ex.Wait > pacing.Window {
		t.Fatalf("Wait = %v, want ExhaustedError with the wait to the next window", err)
	}
}

type failing struct{}

func (failing) Take(context.Context, int64, int) (bool, error) {
	return false, errors.New("table down")
}

// A counter that fails lets the call go, and says so: pacing is a
// courtesy, Zendesk's Retry-After the rule.
func TestBudgetUnpacedWhenTheCounterFails(t *testing.T) {
	var heard error
	b := &pacing.Budget{Counter: failing{}, PerMinute: 100, Unpaced: func(err error) { heard = err }}
	if err := b.Wait(ctx); err != nil || heard == nil {
		t.Fatalf("Wait = %v, heard %v", err, heard)
	}
	var none *pacing.Budget
	if err := none.Wait(ctx); err != nil {
		t.Fatalf("a nil budget paces nothing: %v", err)
	}
}

// One container alone uses nearly all the budget: 95 % of it at 400.
func TestBudgetThroughput(t *testing.T) {
	clock := newSimClock()
	b := &pacing.Budget{Counter: pacing.NewMemory(), PerMinute: 400, Now: clock.Now, Sleep: clock.Sleep}
	start := clock.Now()
	for range 1900 {
		if err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if took := clock.Now().Sub(start); took < 4*time.Minute+50*time.Second || took > 5*time.Minute {
		t.Fatalf("1,900 calls at 400 a minute took %s, want about 5 minutes", took)
	}
}

func TestPerMinuteFromEnv(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		bad  bool
	}{{"", 0, false}, {" 400 ", 400, false}, {"0", 0, true}, {"-5", 0, true}, {"400rpm", 0, true}, {"4e2", 0, true}} {
		got, err := pacing.PerMinuteFromEnv("ZENDESK_REQUESTS_PER_MINUTE", tc.in)
		if got != tc.want || (err != nil) != tc.bad {
			t.Errorf("PerMinuteFromEnv(%q) = %d, %v", tc.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "ZENDESK_REQUESTS_PER_MINUTE") {
			t.Errorf("the error does not name the variable: %v", err)
		}
	}
}
