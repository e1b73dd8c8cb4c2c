package braze

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/brazezendesk/bridge/shared/httpjson"
	"github.com/brazezendesk/bridge/shared/retry"
)

// MaxObjects is the most objects the client puts in one /users/track
// request, all arrays together, and the default of
// BRAZE_OBJECTS_PER_REQUEST: Braze allows "up to 75 total objects combined
// across attributes, events, and purchases" (75 per array on legacy rate
// limits), so 75 in all stays inside both.
const MaxObjects = 75

// MAUObjects is the limit of customers on Braze's Monthly Active Users
// contracts: "each request may batch up to 50 updates combined across
// attribute, event, or purchase objects" (the /users/track reference for
// Monthly Active Users CY 24-25; a later revision, which adds Universal,
// Web and Mobile MAU, says 75). 50 is within both.
const MAUObjects = 50

// Object is one attributes, events or purchases entry.
type Object = map[string]any

// Track is a /users/track body.
type Track struct {
	Attributes []Object `json:"attributes,omitempty"`
	Events     []Object `json:"events,omitempty"`
	Purchases  []Object `json:"purchases,omitempty"`
}

// Len is the number of objects in t.
func (t Track) Len() int { return len(t.Attributes) + len(t.Events) + len(t.Purchases) }

// Result adds up Braze's answers to one Track.
type Result struct {
	AttributesProcessed int               `json:"attributes_processed"`
	EventsProcessed     int               `json:"events_processed"`
	PurchasesProcessed  int               `json:"purchases_processed"`
	Errors              []json.RawMessage `json:"errors,omitempty"` // minor errors, indexes into t's arrays
}

// DefaultRetry honours Braze's rate-limit reset and backs off on 5xx.
var DefaultRetry = retry.Policy{Attempts: 3, Base: 200 * time.Millisecond, Max: 5 * time.Second, Reserve: 500 * time.Millisecond}

// Client calls one Braze instance.
type Client struct {
	Base  *url.URL
	HTTP  *http.Client
	Retry retry.Policy
}

// New returns a client for the instance at base.
func New(base *url.URL, hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{Base: base, HTTP: hc, Retry: DefaultRetry}
}

// Batches splits t into bodies of at most limit objects (MaxObjects when
// limit is 0 or more than that), attributes first, then events, then
// purchases, keeping their order.
func Batches(t Track, limit int) []Track {
	if limit <= 0 || limit > MaxObjects {
		limit = MaxObjects
	}
	var out []Track
	cur := Track{}
	add := func(dst *[]Object, o Object) {
		*dst = append(*dst, o)
	}
	for _, arr := range []struct {
		src []Object
		dst func(*Track) *[]Object
	}{
		{t.Attributes, func(b *Track) *[]Object { return &b.Attributes }},
		{t.Events, func(b *Track) *[]Object { return &b.Events }},
		{t.Purchases, func(b *Track) *[]Object { return &b.Purchases }},
	} {
		for _, o := range arr.src {
			if cur.Len() == limit {
				out = append(out, cur)
				cur = Track{}
			}
			add(arr.dst(&cur), o)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur)
	}
	return out
}

// Send posts one batch (at most MaxObjects objects) with retries, its
// strings shortened to what Braze takes (Shorten). Minor errors' indexes
// are relative to the batch.
func (c *Client) Send(ctx context.Context, apiKey string, batch Track) (Result, error) {
	if n := batch.Len(); n == 0 || n > MaxObjects {
		return Result{}, fmt.Errorf("braze: a batch holds 1 to %d objects, not %d", MaxObjects, n)
	}
	// What Braze would refuse as too long is shortened, so that a long
	// ticket subject or tag does not cost the whole event.
	Shorten(batch)
	body, err := json.Marshal(batch)
	if err != nil {
		return Result{}, fmt.Errorf("encoding /users/track body: %w", err)
	}
	h := http.Header{"Authorization": {"Bearer " + apiKey}}
	var res Result
	err = c.Retry.Do(ctx, func(ctx context.Context) error {
		resp, err := httpjson.Post(ctx, c.HTTP, c.Base.JoinPath("/users/track").String(), h, body)
		if err != nil {
			return &Error{Err: err}
		}
		if !resp.OK() {
			return apiError(resp, time.Now())
		}
		res = Result{}
		if err := json.Unmarshal(resp.Body, &res); err != nil {
			return &Error{Status: http.StatusBadGateway, Message: "the answer was not JSON"}
		}
		return nil
	})
	return res, err
}
