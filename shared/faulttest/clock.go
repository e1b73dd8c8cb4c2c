// Package faulttest drives the bridge's durability tests: a virtual clock,
// a seeded fault injector in front of the API stand-ins, senders that retry
// the way Braze and Zendesk do, and a retry queue pump that hands a moto SQS
// queue's messages to the functions as Lambda's event source would, on
// virtual time.
//
// Time is virtual for the senders and for the queue's visibility, so that a
// run covering hours of retries and backoffs takes seconds; only what a
// fault itself needs (a slow answer outlasting an attempt's timeout) takes
// real time.
package faulttest

import (
	"sync"
	"time"
)

// Clock is a virtual clock: it stands still until it is set forward.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's reading; use it as a Now field.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t; it never goes back.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }
