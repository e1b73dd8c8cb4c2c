package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/brazezendesk/bridge/shared/secrets"
)

// UnavailableRetryAfter is the Retry-After, in seconds, of the 503 that
// answers a secret that could not be read because of a passing fault.
const UnavailableRetryAfter = 5

const (
	// maxRemembered bounds the distinct misconfigurations remembered for
	// logging once: past it, new ones are not remembered, and are logged at
	// most once per logEvery.
	maxRemembered = 64
	// logEvery is the least time between two log lines of a kind that is
	// not logged once per message.
	logEvery = 10 * time.Second
)

// Misconfig answers requests that cannot be served because a variable or
// the secret is missing or malformed, or because the secret could not be
// read just now. Each distinct problem is logged once per container, not
// once per request, and the process keeps serving so that fixing the secret
// is enough. The zero value is ready to use and safe for concurrent use.
type Misconfig struct {
	Log *slog.Logger
	// Now is the clock that rate-limits logging; nil means time.Now.
	Now func() time.Time

	mu          sync.Mutex
	seen        map[string]struct{} // misconfigurations logged, at most maxRemembered
	lastWarn    time.Time           // last passing fault logged
	lastUnknown time.Time           // last misconfiguration logged past maxRemembered
}

// Fail logs err and returns the answer for it.
//
// A secret that could not be read because of a passing fault (an
// *secrets.UnavailableError) is a 503 with Retry-After and the error's
// sanitized message; it is logged at WARN with its cause at most once per 10
// seconds. Anything else is a 500 naming the problem, logged at ERROR the
// first time it is seen. err must name what is missing, never a value; the
// answer carries only err's message, never the causes it wraps.
func (m *Misconfig) Fail(ctx context.Context, err error) Response {
	var ue *secrets.UnavailableError
	if errors.As(err, &ue) {
		if m.Log != nil && m.allowWarn() {
			m.Log.WarnContext(ctx, "secret unavailable", logAttrs(ue.Error(), ue)...)
		}
		return Fail(&Error{Status: http.StatusServiceUnavailable, Message: ue.Error(), RetryAfter: UnavailableRetryAfter})
	}
	msg := err.Error()
	if m.Log != nil && m.allowError(msg) {
		m.Log.ErrorContext(ctx, "misconfigured", logAttrs(msg, err)...)
	}
	return Fail(Errorf(http.StatusInternalServerError, "the function is misconfigured: "+msg))
}

// Unconfigured is a Handler for a function whose variables are wrong: it
// answers every request with the problem.
func (m *Misconfig) Unconfigured(err error) Handler {
	return HandlerFunc(func(ctx context.Context, _ Request) Response { return m.Fail(ctx, err) })
}

// Remembered is how many distinct misconfigurations are remembered as
// logged; it never exceeds 64.
func (m *Misconfig) Remembered() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

func (m *Misconfig) allowWarn() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.every(&m.lastWarn)
}

// allowError reports whether the misconfiguration msg is to be logged: the
// first time it is seen while fewer than maxRemembered are remembered, and
// otherwise at most once per logEvery for all the ones not remembered.
func (m *Misconfig) allowError(msg string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.seen[msg]; dup {
		return false
	}
	if len(m.seen) < maxRemembered {
		if m.seen == nil {
			m.seen = make(map[string]struct{})
		}
		m.seen[msg] = struct{}{}
		return true
	}
	return m.every(&m.lastUnknown)
}

// every reports whether logEvery has passed since *last, and if so sets it
// to now. m.mu is held.
func (m *Misconfig) every(last *time.Time) bool {
	now := time.Now()
	if m.Now != nil {
		now = m.Now()
	}
	if !last.IsZero() && now.Sub(*last) < logEvery {
		return false
	}
	*last = now
	return true
}

// logAttrs is the error's message, and the first cause behind it that the
// message does not already say (the SDK's error, for the operator), if any.
func logAttrs(msg string, err error) []any {
	attrs := []any{"error", msg}
	for cause := errors.Unwrap(err); cause != nil; cause = errors.Unwrap(cause) {
		if c := cause.Error(); c != "" && !strings.Contains(msg, c) {
			return append(attrs, "cause", c)
		}
	}
	return attrs
}
