package httpjson

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// Transient reports whether a failed call may succeed if tried again: a
// rate limit, a server failure, or no answer at all (status 0; err is the
// transport failure then), an attempt's own timeout included. Whether
// there is time left to try again is not the error's to say: the caller
// decides that from its own context (see retry.Policy.Do).
func Transient(status int, err error) bool {
	if status == 0 {
		return err != nil
	}
	return status == http.StatusTooManyRequests || status >= 500
}

// TimedOut reports whether a call got no answer because time ran out: its
// attempt's timeout or its context's deadline.
func TimedOut(status int, err error) bool {
	if status != 0 {
		return false
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
