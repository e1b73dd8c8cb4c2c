package zendesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/httpjson"
	"github.com/brazezendesk/bridge/shared/retry"
)

// DefaultRetry fits Zendesk's advice: honour Retry-After, back off on 5xx.
// A Retry-After is waited out whenever it fits in the time left.
var DefaultRetry = retry.Policy{Attempts: 3, Base: 300 * time.Millisecond, Max: 25 * time.Second, Reserve: time.Second}

// Client calls one Zendesk account, authenticated by Auth.
type Client struct {
	Base  *url.URL
	HTTP  *http.Client
	Auth  Authenticator
	Retry retry.Policy
	// Pace, when set, is waited on before every request: the budget of
	// calls a minute the bridge shares with every container.
	Pace Pacer
}

// Pacer spaces the client's requests: Wait returns when the next may go,
// or fails when it cannot go in time.
type Pacer interface {
	Wait(ctx context.Context) error
}

// New returns a client for base with the default retry policy.
func New(base *url.URL, hc *http.Client, auth Authenticator) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{Base: base, HTTP: hc, Auth: auth, Retry: DefaultRetry}
}

// AgentURL is the link an agent opens to see ticket id.
func (c *Client) AgentURL(id int64) string {
	return fmt.Sprintf("%s/agent/tickets/%d", strings.TrimRight(c.Base.String(), "/"), id)
}

// post sends body with retries and decodes a 2xx answer into out.
func (c *Client) post(ctx context.Context, op, path string, body []byte, key string, out any) (http.Header, error) {
	return c.call(ctx, op, http.MethodPost, path, nil, body, key, out)
}

// get reads path?query with retries and decodes a 2xx answer into out.
// Reads carry no body, so they are safe to send again.
func (c *Client) get(ctx context.Context, op, path string, query url.Values, out any) error {
	_, err := c.call(ctx, op, http.MethodGet, path, query, nil, "", out)
	return err
}

// call sends one request (a nil body sends none) under the retry policy and
// decodes a 2xx answer into out. The answer is decoded once the retries are
// over: a 2xx means Zendesk did the work, so an unreadable answer is
// reported, never sent again (that could create a second user).
//
// A 401 tells the authenticator, which renews the token or rereads the
// secret, and the call is sent once more; Zendesk did nothing with a
// request it refused, so that is safe for a write too.
func (c *Client) call(ctx context.Context, op, method, path string, query url.Values, body []byte, key string, out any) (http.Header, error) {
	u := c.Base.JoinPath(path)
	u.RawQuery = query.Encode()
	// A secret or client that is wrong fails before any try; a token
	// request that met a passing fault is the first try's failure.
	auth, authErr := c.Auth.Authorization(ctx)
	if authErr != nil && !passing(authErr) {
		return nil, authErr
	}
	var resp *httpjson.Response
	renewed := false
	err := c.Retry.Do(ctx, func(ctx context.Context) error {
		for {
			if authErr != nil {
				err := authErr
				authErr = nil
				return err
			}
			if auth == "" {
				a, err := c.Auth.Authorization(ctx)
				if err != nil {
					return err
				}
				auth = a
			}
			h := http.Header{"Authorization": {auth}}
			if key != "" {
				h.Set("Idempotency-Key", key)
			}
			if err := c.pace(ctx, op); err != nil {
				return err
			}
			r, err := httpjson.Do(ctx, c.HTTP, method, u.String(), h, body)
			if err != nil {
				return &Error{Op: op, Err: withoutQuery(err)}
			}
			if r.OK() {
				resp = r
				return nil
			}
			e := apiError(op, r)
			if r.Status != http.StatusUnauthorized || renewed {
				return refusal(e, auth)
			}
			renewed = true
			if again, err := c.Auth.Refused(ctx, auth); err != nil {
				return err
			} else if !again {
				return refusal(e, auth)
			}
			auth = ""
		}
	})
	if err != nil {
		return nil, err
	}
	if err := decode(op, resp.Body, out); err != nil {
		return nil, err
	}
	return resp.Header, nil
}

// pace waits for the budget. A budget spent past the deadline reads as
// Zendesk's own 429 would, with the wait as its Retry-After: the caller
// queues the work or tells its sender when to come back.
func (c *Client) pace(ctx context.Context, op string) error {
	if c.Pace == nil {
		return nil
	}
	err := c.Pace.Wait(ctx)
	if err == nil || ctx.Err() != nil {
		return err
	}
	e := &Error{Op: op, Status: http.StatusTooManyRequests, Description: "the bridge's own budget of Zendesk calls is spent for now"}
	var w interface{ RetryAfter() time.Duration }
	if errors.As(err, &w) {
		e.RetryAfter = w.RetryAfter()
	}
	return e
}

// passing reports a failure to authenticate that may pass: a token request
// that met a rate limit, a server failure or no answer.
func passing(err error) bool {
	var ze *Error
	var ce *CredentialError
	if errors.As(err, &ce) || !errors.As(err, &ze) {
		return false
	}
	again, _ := ze.Retryable()
	return again || ze.Timeout()
}

// refusal names what an operator must fix when Zendesk refuses the
// credentials (a 401 after they were renewed) or a token's scope (a 403
// naming the scopes missing); any other failure is e as it is.
func refusal(e *Error, auth string) error {
	switch {
	case e.Status == http.StatusUnauthorized && strings.HasPrefix(auth, "Bearer "):
		return &CredentialError{Err: e, Keys: []string{KeyOAuthClientID, KeyOAuthClientSecret},
			Reason: "Zendesk refused a freshly minted OAuth token: check that the OAuth client in " + KeyOAuthClientID +
				" belongs to this Zendesk account and that its owner is an active admin"}
	case e.Status == http.StatusUnauthorized:
		return &CredentialError{Err: e, Keys: []string{KeyEmail, KeyAPIToken},
			Reason: "Zendesk rejected " + KeyEmail + " / " + KeyAPIToken + " from the secret, also after reading it again " +
				"(API tokens are switched off on 30 April 2027): fill " + KeyOAuthClientID + " and " + KeyOAuthClientSecret + " instead"}
	case e.Status == http.StatusForbidden:
		if scopes := missingScope(e); len(scopes) > 0 {
			return &CredentialError{Err: e, Scopes: scopes,
				Reason: "Zendesk refused to " + e.Op + ": the OAuth token lacks the scope " + strings.Join(scopes, " ") +
					"; allow it for the client in " + KeyOAuthClientID}
		}
	}
	return e
}

// withoutQuery drops the query from a transport error's URL: a search
// carries an email address there, which has no place in a log line.
func withoutQuery(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return &url.Error{Op: ue.Op, URL: "(unparsable URL)", Err: ue.Err}
	}
	u.RawQuery, u.ForceQuery = "", false
	return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
}

// decode reads a 2xx answer. One that is not JSON, or not of the shape
// expected, is a 502: Zendesk (or a proxy before it) answered wrongly.
func decode(op string, body []byte, out any) error {
	err := json.Unmarshal(body, out)
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Status: http.StatusBadGateway, Description: "the answer was not JSON"}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		e.Description = fmt.Sprintf("the answer was not the JSON expected (%s was a %s)", te.Field, te.Value)
	} else if json.Valid(body) {
		e.Description = "the answer was not the JSON expected"
	}
	return e
}

// shapeError is a 2xx answer that decoded but lacks what the call needs.
func shapeError(op, what string) *Error {
	return &Error{Op: op, Status: http.StatusBadGateway, Description: "the answer had no " + what}
}
