package zendesk

import (
	"context"
	"encoding/base64"
	"encoding/json"
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

// User is what create_or_update matches and sets. Zendesk matches on
// ExternalID when given, else on Email.
type User struct {
	Name       string `json:"name"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
}

// CreateOrUpdateUser creates the user or updates the one it matches, and
// returns its Zendesk id.
func (c *Client) CreateOrUpdateUser(ctx context.Context, cred Credentials, u User) (int64, error) {
	var out struct {
		User struct {
			ID int64 `json:"id"`
		} `json:"user"`
	}
	body, err := json.Marshal(map[string]User{"user": u})
	if err != nil {
		return 0, fmt.Errorf("encoding user: %w", err)
	}
	if _, err := c.post(ctx, "create or update user", "/api/v2/users/create_or_update.json", cred, body, "", &out); err != nil {
		return 0, err
	}
	if out.User.ID == 0 {
		return 0, &Error{Op: "create or update user", Status: http.StatusBadGateway, Description: "the answer had no user id"}
	}
	return out.User.ID, nil
}

// Ticket is what the bridge needs of a created ticket.
type Ticket struct {
	ID       int64
	Replayed bool // Zendesk answered from its idempotency record
}

// CreateTicket files ticket (the object inside {"ticket": …}) under the
// idempotency key, so that a retry with the same key returns the same ticket.
func (c *Client) CreateTicket(ctx context.Context, cred Credentials, ticket map[string]any, key string) (Ticket, error) {
	body, err := json.Marshal(map[string]any{"ticket": ticket})
	if err != nil {
		return Ticket{}, fmt.Errorf("encoding ticket: %w", err)
	}
	var out struct {
		Ticket struct {
			ID int64 `json:"id"`
		} `json:"ticket"`
	}
	h, err := c.post(ctx, "create ticket", "/api/v2/tickets.json", cred, body, key, &out)
	if err != nil {
		return Ticket{}, err
	}
	if out.Ticket.ID == 0 {
		return Ticket{}, &Error{Op: "create ticket", Status: http.StatusBadGateway, Description: "the answer had no ticket id"}
	}
	return Ticket{ID: out.Ticket.ID, Replayed: strings.EqualFold(h.Get("X-Idempotency-Lookup"), "hit")}, nil
}

// post sends body with retries and decodes a 2xx answer into out.
func (c *Client) post(ctx context.Context, op, path string, cred Credentials, body []byte, key string, out any) (http.Header, error) {
	h := http.Header{"Authorization": {cred.authorization()}}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	var header http.Header
	err := c.Retry.Do(ctx, func(ctx context.Context) error {
		resp, err := httpjson.Post(ctx, c.HTTP, c.Base.JoinPath(path).String(), h, body)
		if err != nil {
			return &Error{Op: op, Err: err}
		}
		if !resp.OK() {
			return apiError(op, resp)
		}
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return &Error{Op: op, Status: http.StatusBadGateway, Description: "the answer was not JSON"}
		}
		header = resp.Header
		return nil
	})
	return header, err
}
