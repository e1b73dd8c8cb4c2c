package braze

import (
	"context"
	"net/http"
	"time"

	"github.com/brazezendesk/bridge/shared/httpjson"
)

// CheckKey proves that apiKey may call /users/track without writing to any
// profile: it posts an empty object. Braze answers a key it does not know
// with 401 or 404 and a key it may not use there with 403 (its fatal
// errors: "Unknown or missing REST API Key", "Unknown REST API Key", "The
// REST API Key you are using does not have sufficient permissions"), and
// only a request past those checks gets its body read, which for {} is
// refused as 400 "Valid data must be provided in the 'attributes',
// 'events', or 'purchases' fields." with nothing written. So a 400 (or a
// 2xx, which an empty body cannot have written anything with) means the key
// works; anything else is an *Error, retried as Send retries.
func (c *Client) CheckKey(ctx context.Context, apiKey string) error {
	h := http.Header{"Authorization": {"Bearer " + apiKey}}
	return c.Retry.Do(ctx, func(ctx context.Context) error {
		resp, err := httpjson.Post(ctx, c.HTTP, c.Base.JoinPath("/users/track").String(), h, []byte("{}"))
		if err != nil {
			return &Error{Err: err}
		}
		if resp.OK() || resp.Status == http.StatusBadRequest {
			return nil
		}
		return apiError(resp, time.Now())
	})
}
