package braze

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/braze/brazetest"
)

func TestCheckKey(t *testing.T) {
	const key = "0b2f7c1e-4d5a-4e8b-9c3d-2a1f0e9d8c7b"
	for _, tc := range []struct {
		name    string
		key     string
		deny    bool
		script  []brazetest.Reply
		want    int // 0: the key works
		refused bool
	}{
		{"works", key, false, nil, 0, false},
		{"missing", "", false, nil, http.StatusUnauthorized, true},
		{"unknown", "1b2f7c1e-4d5a-4e8b-9c3d-2a1f0e9d8c7b", false, nil, http.StatusNotFound, true},
		{"without users.track", key, true, nil, http.StatusForbidden, false},
		{"rate limited, then works", key, false, []brazetest.Reply{{Status: 429, Body: `{"message":"Over rate limit"}`}}, 0, false},
		{"failing", key, false, []brazetest.Reply{{Status: 500}, {Status: 502}, {Status: 503}}, http.StatusServiceUnavailable, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := brazetest.New(key)
			defer s.Close()
			s.DenyTrack(tc.deny)
			s.Script(brazetest.TrackPath, tc.script...)
			base, _ := url.Parse(s.URL)
			c := New(base, s.Client())
			c.Retry.Base, c.Retry.Max = time.Millisecond, time.Millisecond
			err := c.CheckKey(context.Background(), tc.key)
			var be *Error
			switch {
			case tc.want == 0 && err != nil:
				t.Fatalf("err = %v", err)
			case tc.want != 0 && (!errors.As(err, &be) || be.Status != tc.want):
				t.Fatalf("err = %v, want status %d", err, tc.want)
			case tc.want != 0 && errors.Is(err, ErrUnauthorized) != tc.refused:
				t.Errorf("errors.Is(ErrUnauthorized) = %v", !tc.refused)
			}
			if x, y, z := len(s.Attributes()), len(s.Events()), len(s.Purchases()); x+y+z != 0 {
				t.Errorf("the check wrote %d attributes, %d events, %d purchases", x, y, z)
			}
			for _, r := range s.RequestsTo(brazetest.TrackPath) {
				if string(r.Body) != "{}" || r.Method != http.MethodPost {
					t.Errorf("sent %s %s", r.Method, r.Body)
				}
			}
		})
	}
}
