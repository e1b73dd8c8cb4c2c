package webhook

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
)

// Misconfig answers requests that cannot be served because a variable or
// the secret is missing or malformed. Each distinct problem is logged once
// per container, not once per request, and the process keeps serving so
// that fixing the secret is enough.
type Misconfig struct {
	Log  *slog.Logger
	seen sync.Map
}

// Fail logs err the first time it is seen and returns a 500 naming it.
// err must name what is missing, never a value.
func (m *Misconfig) Fail(ctx context.Context, err error) Response {
	if _, dup := m.seen.LoadOrStore(err.Error(), struct{}{}); !dup && m.Log != nil {
		m.Log.ErrorContext(ctx, "misconfigured", "error", err.Error())
	}
	return Fail(Errorf(http.StatusInternalServerError, "the function is misconfigured: "+err.Error()))
}

// Unconfigured is a Handler for a function whose variables are wrong: it
// answers every request with the problem.
func (m *Misconfig) Unconfigured(err error) Handler {
	return HandlerFunc(func(ctx context.Context, _ Request) Response { return m.Fail(ctx, err) })
}
