package zendesk_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// method is one client call against a stand-in holding Ada (whose id
// fixes the paths) and a ticket of hers.
type method struct {
	name string
	call wantCall // the request each attempt makes
	run  func(ctx context.Context, c *zendesk.Client) error
}

func methods(ada, ticket int64) []method {
	user := zendesktest.UserPath(ada)
	return []method{
		{"FindUserByExternalID", wantCall{Method: "GET", Path: zendesktest.SearchUsersPath, RawQuery: "external_id=user-123"},
			func(ctx context.Context, c *zendesk.Client) error {
				u, err := c.FindUserByExternalID(ctx, "user-123")
				if err == nil && (u == nil || u.ID != ada) {
					return errors.New("did not find Ada")
				}
				return err
			}},
		{"FindUserByEmail", wantCall{Method: "GET", Path: zendesktest.SearchUsersPath, RawQuery: "query=email%3Aada%40example.com"},
			func(ctx context.Context, c *zendesk.Client) error {
				u, err := c.FindUserByEmail(ctx, "ada@example.com")
				if err == nil && (u == nil || u.ID != ada) {
					return errors.New("did not find Ada")
				}
				return err
			}},
		{"CreateUser", wantCall{Method: "POST", Path: zendesktest.CreateUserPath, Body: `{"user":{"name":"Bo","email":"bo@example.com"}}`},
			func(ctx context.Context, c *zendesk.Client) error {
				u, err := c.CreateUser(ctx, zendesk.User{Name: "Bo", Email: "bo@example.com"})
				if err == nil && (u.ID == 0 || u.Email != "bo@example.com") {
					return errors.New("did not create Bo")
				}
				return err
			}},
		{"SetExternalID", wantCall{Method: "PUT", Path: user, Body: `{"user":{"external_id":"user-9"}}`},
			func(ctx context.Context, c *zendesk.Client) error {
				return c.SetExternalID(ctx, ada, "user-9")
			}},
		{"GetUser", wantCall{Method: "GET", Path: user},
			func(ctx context.Context, c *zendesk.Client) error {
				u, err := c.GetUser(ctx, ada)
				if err == nil && u.ExternalID != "user-123" {
					return errors.New("did not read Ada")
				}
				return err
			}},
		{"GetTicket", wantCall{Method: "GET", Path: zendesktest.TicketPath(ticket), RawQuery: "include=users"},
			func(ctx context.Context, c *zendesk.Client) error {
				tk, err := c.GetTicket(ctx, ticket)
				if err == nil && (tk.Requester == nil || tk.Requester.ID != ada) {
					return errors.New("did not read the ticket with Ada")
				}
				return err
			}},
	}
}

func TestEveryCallFailsAndRetriesAlike(t *testing.T) {
	for _, tc := range []struct {
		name     string
		script   []zendesktest.Reply
		badCreds bool
		attempts int                // requests made
		check    func(error) string // "" when err is right
		minTime  time.Duration
	}{
		{name: "fine", attempts: 1, check: noError},
		{name: "401", badCreds: true, attempts: 1, check: func(err error) string {
			if !errors.Is(err, zendesk.ErrUnauthorized) || errors.Is(err, zendesk.ErrNotFound) {
				return "want ErrUnauthorized only"
			}
			if strings.Contains(err.Error(), "wrong-token") {
				return "the error text holds the token"
			}
			return ""
		}},
		{name: "429 with Retry-After, then fine", script: []zendesktest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "1"}, Body: `{"error":"TooManyRequests"}`}},
			attempts: 2, check: noError, minTime: 900 * time.Millisecond},
		{name: "5xx twice, then fine", script: []zendesktest.Reply{{Status: 500, Body: `{"error":"boom"}`}, {Status: 503, Body: `<html>down</html>`}},
			attempts: 3, check: noError},
		{name: "5xx every time", script: []zendesktest.Reply{{Status: 502}, {Status: 502}, {Status: 502}},
			attempts: 3, check: status(502)},
		{name: "429 longer than the policy allows", script: []zendesktest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "120"}}},
			attempts: 1, check: func(err error) string {
				var oot *retry.OutOfTimeError
				if !errors.As(err, &oot) || oot.Wait != 120*time.Second {
					return "want an OutOfTimeError asking for 120s"
				}
				return status(429)(err)
			}},
		{name: "scripted non-JSON 200", script: []zendesktest.Reply{{Status: 200, Body: "<html>welcome</html>"}},
			attempts: 1, check: status(502)},
		{name: "scripted 404", script: []zendesktest.Reply{{Status: 404, Body: `{"error":"RecordNotFound","description":"Not found"}`}},
			attempts: 1, check: func(err error) string {
				if !errors.Is(err, zendesk.ErrNotFound) || errors.Is(err, zendesk.ErrUnauthorized) {
					return "want ErrNotFound"
				}
				return status(404)(err)
			}},
		{name: "422 is not retried", script: []zendesktest.Reply{{Status: 422, Body: `{"error":"RecordInvalid","details":{"base":[{"description":"x"}]}}`}},
			attempts: 1, check: func(err error) string {
				if errors.Is(err, zendesk.ErrEmailTaken) || errors.Is(err, zendesk.ErrExternalIDTaken) {
					return "a 422 without duplicate details matched a Taken error"
				}
				return status(422)(err)
			}},
	} {
		for _, m := range methods(1001, 1003) {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				c, zd := newClient(t)
				if ada := zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"}); ada != 1001 {
					t.Fatalf("Ada's id is %d; the table assumes 1001", ada)
				}
				zd.AddUser(zendesktest.User{Name: "Agent", Email: agent})
				if id := zd.AddTicket(map[string]any{"requester_id": 1001, "comment": map[string]any{"body": "x"}}); id != 1003 {
					t.Fatalf("the ticket's id is %d; the table assumes 1003", id)
				}
				zd.Script(m.call.Path, tc.script...)
				if tc.badCreds {
					c.Auth = zendesk.APIToken{Email: agent, Token: "wrong-token"}
				}
				start := time.Now()
				err := m.run(context.Background(), c)
				if msg := tc.check(err); msg != "" {
					t.Fatalf("err = %v: %s", err, msg)
				}
				if took := time.Since(start); took < tc.minTime {
					t.Errorf("took %s, want at least %s (Retry-After)", took, tc.minTime)
				}
				if tc.badCreds {
					// The stand-in saw the wrong token; checkCalls expects the right one.
					if n := len(zd.Requests()); n != tc.attempts {
						t.Errorf("%d requests, want %d", n, tc.attempts)
					}
					return
				}
				checkCalls(t, zd, repeat(m.call, tc.attempts)...)
			})
		}
	}
}

func noError(err error) string {
	if err != nil {
		return "want no error"
	}
	return ""
}

func status(want int) func(error) string {
	return func(err error) string {
		var ze *zendesk.Error
		if !errors.As(err, &ze) || ze.Status != want {
			return "want a *zendesk.Error with status " + http.StatusText(want)
		}
		return ""
	}
}

func TestCallsRespectTheDeadline(t *testing.T) {
	for _, m := range methods(1001, 1003) {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c, zd := newClient(t)
			zd.Script(m.call.Path, zendesktest.Reply{Status: 200, Body: `{}`, Delay: 10 * time.Second})
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := m.run(ctx, c)
			var ze *zendesk.Error
			if !errors.As(err, &ze) || !ze.Timeout() {
				t.Fatalf("err = %v, want a timeout", err)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("returned after %s", took)
			}
			// Whether to try again is the caller's context's to say, not
			// the error's: once it is done, no second attempt goes out.
			if n := len(zd.Requests()); n != 1 {
				t.Errorf("%d requests after the deadline passed, want 1", n)
			}
		})
	}
}

// A transport error names the URL; the search's query (an email address)
// must not come with it.
func TestTransportErrorLeavesOutTheQuery(t *testing.T) {
	zd := zendesktest.New(agent, token)
	base, _ := url.Parse(zd.URL)
	zd.Close()
	c := zendesk.New(base, nil, cred)
	c.Retry = retry.Policy{Attempts: 2, Base: time.Millisecond}
	_, err := c.FindUserByEmail(context.Background(), "secret.person+x@example.com")
	var ze *zendesk.Error
	if !errors.As(err, &ze) || ze.Status != 0 || ze.Err == nil {
		t.Fatalf("err = %v, want a transport failure", err)
	}
	msg := err.Error()
	for _, leak := range []string{"secret.person", "example.com", "query", token} {
		if strings.Contains(msg, leak) {
			t.Errorf("error %q contains %q", msg, leak)
		}
	}
	if !strings.Contains(msg, zendesktest.SearchUsersPath) {
		t.Errorf("error %q does not say which call failed", msg)
	}
	if again, _ := ze.Retryable(); !again {
		t.Error("a refused connection is not retryable")
	}
}

// An attempt that outlasts the HTTP client's own timeout is tried again
// while the caller's context has time: the timeout wraps
// DeadlineExceeded, but it is the attempt's, not the caller's.
func TestTimedOutAttemptIsRetried(t *testing.T) {
	c, zd := newClient(t)
	c.HTTP.Timeout = 100 * time.Millisecond
	zd.AddUser(zendesktest.User{ID: 1001, Name: "Ada", ExternalID: "user-123"})
	zd.Script(zendesktest.UserPath(1001), zendesktest.Reply{Status: 200, Body: `{}`, Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := c.GetUser(ctx, 1001)
	if err != nil || u.ExternalID != "user-123" {
		t.Fatalf("GetUser = %+v, %v; want the user after a second attempt", u, err)
	}
	if n := len(zd.RequestsTo(zendesktest.UserPath(1001))); n != 2 {
		t.Errorf("attempts = %d, want 2", n)
	}
}
