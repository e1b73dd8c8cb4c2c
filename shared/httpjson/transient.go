package httpjson

import (
	"context"
	"errors"
	"net/http"
)

// Transient reports whether a failed call may succeed if tried again: a
// rate limit, a server failure, or no answer at all, unless the caller's
// own cancellation or deadline is why (status 0 means no answer; err is the
// transport failure then).
func Transient(status int, err error) bool {
	if status == 0 {
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	return status == http.StatusTooManyRequests || status >= 500
}

// TimedOut reports whether a call got no answer because its deadline passed.
func TimedOut(status int, err error) bool {
	return status == 0 && errors.Is(err, context.DeadlineExceeded)
}
