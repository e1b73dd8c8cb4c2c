package faulttest

import (
	"sync"
	"time"

	"github.com/brazezendesk/bridge/shared/mototest"
)

// Windows switches a fault proxy by virtual time: from each of At it fails
// requests with the matching mode for Length, then passes them again. A
// window starts a few milliseconds into the first round at or after its
// time, and ends a few milliseconds into the first round after it, so that
// some calls of those rounds meet the fault and others do not: a claim
// made before it and a completion refused in it, say.
type Windows struct {
	Proxy  *mototest.FaultProxy
	At     []time.Time
	Length time.Duration
	Modes  []mototest.Mode

	mu      sync.Mutex
	mode    mototest.Mode // what the proxy does now
	gen     int
	pending *time.Timer
	next    mototest.Mode // what the pending switch sets
	answers Counts[int]
}

// switchAfter is how far into a round a window starts or ends.
const switchAfter = 30 * time.Millisecond

// Round sets the proxy for the round starting at now; give it to Run.Round.
func (w *Windows) Round(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	if w.pending != nil { // a switch the last round was too short for
		w.pending.Stop()
		w.pending = nil
		w.set(w.next)
	}
	want := mototest.Pass
	for i, at := range w.At {
		if !now.Before(at) && now.Before(at.Add(w.Length)) {
			want = w.Modes[i]
		}
	}
	if want.String() == w.current() {
		return
	}
	gen := w.gen
	w.next = want
	w.pending = time.AfterFunc(switchAfter, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.gen == gen && w.pending != nil {
			w.pending = nil
			w.set(w.next)
		}
	})
}

// current names what the proxy does now. w.mu is held.
func (w *Windows) current() string {
	if w.mode.String() == "" {
		return mototest.Pass.String()
	}
	return w.mode.String()
}

func (w *Windows) set(m mototest.Mode) {
	w.mode = m
	w.Proxy.Set(m)
}

// Stop passes every request from now on.
func (w *Windows) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	if w.pending != nil {
		w.pending.Stop()
		w.pending = nil
	}
	w.set(mototest.Pass)
}

// Record counts a, when it was given while the proxy failed requests.
func (w *Windows) Record(a Answer) {
	w.mu.Lock()
	faulty := w.current() != mototest.Pass.String()
	w.mu.Unlock()
	if faulty {
		w.answers.Add(a.Status)
	}
}

// Struck is how many answers were given while the proxy failed requests.
func (w *Windows) Struck() int {
	n := 0
	for _, c := range w.answers.Map() {
		n += c
	}
	return n
}

// Answers tallies the answers given while the proxy failed requests.
func (w *Windows) Answers() string { return w.answers.String() }
