package zendesk_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const (
	agent = "agent@example.com"
	token = "zd-token-1"
)

var cred = zendesk.APIToken{Email: agent, Token: token}

// wantAuth is Zendesk's API token scheme, spelled out independently of the
// client: base64("agent@example.com/token:zd-token-1").
var wantAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte("agent@example.com/token:zd-token-1"))

// fastRetry keeps the policy's shape but backs off in milliseconds, so
// that only a server's Retry-After costs a test real time.
var fastRetry = retry.Policy{Attempts: 3, Base: 2 * time.Millisecond, Max: 5 * time.Second}

func newClient(t *testing.T) (*zendesk.Client, *zendesktest.Server) {
	t.Helper()
	zd := zendesktest.New(agent, token)
	t.Cleanup(zd.Close)
	base, err := url.Parse(zd.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := zendesk.New(base, zd.Client(), cred)
	c.Retry = fastRetry
	return c, zd
}

// wantCall is what one recorded request must be. Body, when set, is
// compared as JSON; a GET must have none at all.
type wantCall struct {
	Method   string
	Path     string
	RawQuery string
	Body     string
}

// checkCalls asserts every request the stand-in saw, headers included.
func checkCalls(t *testing.T, zd *zendesktest.Server, want ...wantCall) {
	t.Helper()
	got := zd.Requests()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Method != w.Method || g.Path != w.Path || g.RawQuery != w.RawQuery {
			t.Errorf("request %d = %s %s?%s, want %s %s?%s", i, g.Method, g.Path, g.RawQuery, w.Method, w.Path, w.RawQuery)
		}
		if a := g.Header.Values("Authorization"); len(a) != 1 || a[0] != wantAuth {
			t.Errorf("request %d: Authorization = %q", i, a)
		}
		if a := g.Header.Get("Accept"); a != "application/json" {
			t.Errorf("request %d: Accept = %q", i, a)
		}
		if w.Method == http.MethodGet {
			if ct, has := g.Header["Content-Type"]; has || len(g.Body) != 0 || g.Header.Get("Content-Length") != "" {
				t.Errorf("request %d: a GET with Content-Type %q, Content-Length %q, body %q", i, ct, g.Header.Get("Content-Length"), g.Body)
			}
			continue
		}
		if ct := g.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("request %d: Content-Type = %q", i, ct)
		}
		if !sameJSON(g.Body, []byte(w.Body)) {
			t.Errorf("request %d: body %s, want %s", i, g.Body, w.Body)
		}
	}
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ca, _ := json.Marshal(x)
	cb, _ := json.Marshal(y)
	return bytes.Equal(ca, cb)
}

// repeat is a call made n times, for the retry tests.
func repeat(c wantCall, n int) []wantCall {
	out := make([]wantCall, n)
	for i := range out {
		out[i] = c
	}
	return out
}
