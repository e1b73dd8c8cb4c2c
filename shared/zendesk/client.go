package zendesk

import (
	"context"
	"encoding/base64"
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

// Credentials are an agent's email and API token.
type Credentials struct {
	Email string
	Token string
}

func (c Credentials) authorization() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.Email+"/token:"+c.Token))
}

// DefaultRetry fits Zendesk's advice: honour Retry-After, back off on 5xx.
// A Retry-After is waited out whenever it fits in the time left.
var DefaultRetry = retry.Policy{Attempts: 3, Base: 300 * time.Millisecond, Max: 25 * time.Second, Reserve: time.Second}

// Client calls one Zendesk account.
type Client struct {
	Base  *url.URL
	HTTP  *http.Client
	Retry retry.Policy
}

// New returns a client for base with the default retry policy.
func New(base *url.URL, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{Base: base, HTTP: hc, Retry: DefaultRetry}
}

// AgentURL is the link an agent opens to see ticket id.
func (c *Client) AgentURL(id int64) string {
	return fmt.Sprintf("%s/agent/tickets/%d", strings.TrimRight(c.Base.String(), "/"), id)
}

// post sends body with retries and decodes a 2xx answer into out.
func (c *Client) post(ctx context.Context, op, path string, cred Credentials, body []byte, key string, out any) (http.Header, error) {
	return c.call(ctx, op, http.MethodPost, path, nil, cred, body, key, out)
}

// get reads path?query with retries and decodes a 2xx answer into out.
// Reads carry no body, so they are safe to send again.
func (c *Client) get(ctx context.Context, op, path string, query url.Values, cred Credentials, out any) error {
	_, err := c.call(ctx, op, http.MethodGet, path, query, cred, nil, "", out)
	return err
}

// call sends one request (a nil body sends none) under the retry policy and
// decodes a 2xx answer into out. The answer is decoded once the retries are
// over: a 2xx means Zendesk did the work, so an unreadable answer is
// reported, never sent again (that could create a second user).
func (c *Client) call(ctx context.Context, op, method, path string, query url.Values, cred Credentials, body []byte, key string, out any) (http.Header, error) {
	h := http.Header{"Authorization": {cred.authorization()}}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	u := c.Base.JoinPath(path)
	u.RawQuery = query.Encode()
	var resp *httpjson.Response
	err := c.Retry.Do(ctx, func(ctx context.Context) error {
		r, err := httpjson.Do(ctx, c.HTTP, method, u.String(), h, body)
		if err != nil {
			return &Error{Op: op, Err: withoutQuery(err)}
		}
		if !r.OK() {
			return apiError(op, r)
		}
		resp = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := decode(op, resp.Body, out); err != nil {
		return nil, err
	}
	return resp.Header, nil
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
