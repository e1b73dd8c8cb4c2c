package faulttest

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Answer is what a sender got back from one attempt. Header names are
// lower-case.
type Answer struct {
	Status int
	Header map[string]string
	Body   []byte
}

// Retry is a sender's retry policy: after its n-th attempt was answered a,
// whether it tries again, and after how long.
type Retry interface {
	Next(n int, a Answer) (wait time.Duration, again bool)
}

// BrazeSchedule is when Braze retries a webhook, after each failed attempt:
// five retries over about half an hour.
var BrazeSchedule = []time.Duration{30 * time.Second, 90 * time.Second, 4 * time.Minute, 9 * time.Minute, 15 * time.Minute}

// BrazeRetry retries like a Braze webhook: on 408, 429 and 5xx only, on
// BrazeSchedule.
type BrazeRetry struct{}

// Next implements Retry.
func (BrazeRetry) Next(n int, a Answer) (time.Duration, bool) {
	if a.Status != 408 && a.Status != 429 && a.Status < 500 || n > len(BrazeSchedule) {
		return 0, false
	}
	return BrazeSchedule[n-1], true
}

// ZendeskRetries is how many times Zendesk retries a webhook call.
const ZendeskRetries = 3

// ZendeskRetry retries like a Zendesk webhook, a few times within seconds:
// a 409; a 429 or 503 only when its Retry-After is under 60 seconds (after
// that wait); no answer in time (status 0).
type ZendeskRetry struct{}

// Next implements Retry.
func (ZendeskRetry) Next(n int, a Answer) (time.Duration, bool) {
	if n > ZendeskRetries {
		return 0, false
	}
	switch a.Status {
	case 0, 409:
		return time.Duration(n) * 2 * time.Second, true
	case 429, 503:
		s, err := strconv.Atoi(a.Header["retry-after"])
		if err != nil || s >= 60 || s < 0 {
			return 0, false
		}
		return max(time.Duration(s)*time.Second, time.Second), true
	}
	return 0, false
}

// Delivery is one webhook a sender delivers, with its attempts.
type Delivery struct {
	N        int       // its index, 0 to Run.Deliveries-1
	Arrives  time.Time // when its first attempt is made
	Answers  []Answer  // one per attempt, in order
	GaveUp   bool      // the last answer was a failure the sender does not retry
	next     time.Time
	finished bool
}

// Last is the answer to the last attempt.
func (d *Delivery) Last() Answer { return d.Answers[len(d.Answers)-1] }

// Run makes Deliveries deliveries, Wave of them at a time every WaveEvery of
// virtual time, each to a random one of Containers containers per attempt,
// retried as Retry says. Between rounds of attempts the Pump, when set,
// delivers the retry queue; the clock then jumps to the next attempt or the
// next record's visibility.
type Run struct {
	Clock      *Clock
	Deliveries int
	Wave       int
	WaveEvery  time.Duration
	Workers    int    // attempts in flight at once
	Containers int    // attempts go to a random one of them
	Seed       uint64 // picks the containers
	Retry      Retry
	// Send makes one attempt of d on container c at the clock's time.
	Send func(ctx context.Context, d *Delivery, c int) Answer
	// Pump, when set, delivers the retry queue after each round.
	Pump *Pump
	// Round, when set, runs at the start of each round with the virtual
	// time, e.g. to switch a fault proxy.
	Round func(now time.Time)
	// Limit bounds the virtual time the run may take; 0 means 48 hours.
	Limit time.Duration

	Answers Counts[int] // every attempt's answer, by status
	Rounds  int
}

// Go makes the deliveries and returns them when every sender is done and
// the retry queue is empty of visible or postponed records.
func (r *Run) Go(t testing.TB) []*Delivery {
	t.Helper()
	start := r.Clock.Now()
	limit := r.Limit
	if limit == 0 {
		limit = 48 * time.Hour
	}
	rng := rand.New(rand.NewPCG(r.Seed, r.Seed+1))
	ds := make([]*Delivery, r.Deliveries)
	for i := range ds {
		at := start.Add(time.Duration(i/max(r.Wave, 1)) * r.WaveEvery)
		ds[i] = &Delivery{N: i, Arrives: at, next: at}
	}
	for {
		now := r.Clock.Now()
		if now.Sub(start) > limit {
			t.Fatalf("the run did not settle within %s of virtual time", limit)
		}
		r.Rounds++
		if r.Round != nil {
			r.Round(now)
		}
		var due []*Delivery
		for _, d := range ds {
			if !d.finished && !d.next.After(now) {
				due = append(due, d)
			}
		}
		containers := make([]int, len(due))
		for i := range due {
			containers[i] = rng.IntN(max(r.Containers, 1))
		}
		r.attempts(due, containers, now)
		if r.Pump != nil {
			r.Pump.Round(t)
		}
		var next time.Time
		for _, d := range ds {
			if !d.finished && (next.IsZero() || d.next.Before(next)) {
				next = d.next
			}
		}
		if r.Pump != nil {
			if at, ok := r.Pump.NextDue(); ok && (next.IsZero() || at.Before(next)) {
				next = at
			}
		}
		if next.IsZero() && (r.Pump == nil || r.Pump.Flush(t) == 0) {
			return ds
		}
		if next.IsZero() {
			continue // the last look found records: deliver what they left
		}
		if soonest := now.Add(time.Second); next.Before(soonest) {
			next = soonest // time moves on, however soon something is due
		}
		r.Clock.Set(next)
	}
}

// attempts makes the due attempts, Workers at a time.
func (r *Run) attempts(due []*Delivery, containers []int, now time.Time) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(r.Workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				d := due[i]
				a := r.Send(context.Background(), d, containers[i])
				r.Answers.Add(a.Status)
				d.Answers = append(d.Answers, a)
				if wait, again := r.Retry.Next(len(d.Answers), a); again {
					d.next = now.Add(wait)
					continue
				}
				d.finished = true
				d.GaveUp = a.Status == 0 || a.Status >= 300
			}
		}()
	}
	for i := range due {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// Summary tallies the deliveries' outcomes: how many ended with each
// status, and how many senders gave up.
func Summary(ds []*Delivery) (final *Counts[int], gaveUp int) {
	final = &Counts[int]{}
	for _, d := range ds {
		final.Add(d.Last().Status)
		if d.GaveUp {
			gaveUp++
		}
	}
	return final, gaveUp
}
