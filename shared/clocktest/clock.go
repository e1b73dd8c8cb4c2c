// Package clocktest is a clock for tests that moves only when told to, so
// that tests of time-bound behaviour neither sleep nor race the real one.
package clocktest

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use. Its zero value is not usable; call New.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock standing at a fixed, arbitrary time.
func New() *Clock { return &Clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

// Now is the clock's time; pass it where a func() time.Time is wanted.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
