package zendesktest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// rateLimit is the plan's API limit as Zendesk applies it: requests a
// minute for the whole account, whoever makes them. Zendesk answers 429
// with Retry-After in seconds, and every answer carries X-Rate-Limit and
// X-Rate-Limit-Remaining (developer.zendesk.com, "Rate limits"; Team 200,
// Growth and Professional 400, Enterprise 700, Enterprise Plus or the
// High Volume add-on 2,500). The window slides (the strictest reading of
// "a minute"), on the server's clock.
type rateLimit struct {
	perMinute int
	recent    []time.Time // requests let through in the last minute, oldest first
	refused   int
}

// SetRateLimit applies the plan's limit of perMinute requests a minute
// (0: none) to every request from now on, across every caller.
func (s *Server) SetRateLimit(perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rate = rateLimit{perMinute: perMinute}
}

// RateLimited is how many requests the limit refused with a 429: calls
// beyond the plan's budget, never scripted replies.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rate.refused
}

// limited counts the request against the limit, and answers 429 when it
// is over; s.mu is held.
func (s *Server) limited(w http.ResponseWriter) bool {
	rl := &s.rate
	if rl.perMinute <= 0 {
		return false
	}
	now := s.now()
	i := 0
	for i < len(rl.recent) && !now.Before(rl.recent[i].Add(time.Minute)) {
		i++
	}
	rl.recent = rl.recent[i:]
	w.Header().Set("X-Rate-Limit", strconv.Itoa(rl.perMinute))
	if len(rl.recent) >= rl.perMinute {
		rl.refused++
		wait := rl.recent[0].Add(time.Minute).Sub(now)
		w.Header().Set("X-Rate-Limit-Remaining", "0")
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		// Zendesk's 429 is plain text, not its JSON error shape.
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte("Number of allowed API requests per minute exceeded"))
		return true
	}
	rl.recent = append(rl.recent, now)
	w.Header().Set("X-Rate-Limit-Remaining", strconv.Itoa(rl.perMinute-len(rl.recent)))
	return false
}
