package httpjson

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		status          int
		err             error
		transient, late bool
	}{
		{0, io.ErrUnexpectedEOF, true, false},
		// An attempt's own timeout is worth another attempt; whether one
		// fits is the caller's context's to say.
		{0, fmt.Errorf("post: %w", context.DeadlineExceeded), true, true},
		{0, context.Canceled, true, false},
		{429, nil, true, false},
		{500, nil, true, false},
		{503, nil, true, false},
		{400, nil, false, false},
		{401, nil, false, false},
		{409, nil, false, false},
		{422, nil, false, false},
	} {
		if got := Transient(tc.status, tc.err); got != tc.transient {
			t.Errorf("Transient(%d, %v) = %v", tc.status, tc.err, got)
		}
		if got := TimedOut(tc.status, tc.err); got != tc.late {
			t.Errorf("TimedOut(%d, %v) = %v", tc.status, tc.err, got)
		}
	}
}

// An http.Client's Timeout is an attempt's, not the caller's: transient,
// and timed out.
func TestClientTimeoutIsTransient(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	hc := &http.Client{Timeout: 50 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Post(ctx, hc, srv.URL, nil, []byte(`{}`))
	if err == nil {
		t.Fatal("no error from a server that never answers")
	}
	if !Transient(0, err) || !TimedOut(0, err) || ctx.Err() != nil {
		t.Errorf("client timeout %v: transient %v, timed out %v, caller's context %v", err, Transient(0, err), TimedOut(0, err), ctx.Err())
	}
}
