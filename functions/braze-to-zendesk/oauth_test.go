package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/faulttest"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const (
	oauthClient = "braze_bridge"
	oauthSecret = "e2e-oauth-client-secret"
)

// oauthEnv is the function on OAuth alone: its secret holds the client,
// and the stand-in has switched API tokens off, as Zendesk will on 30
// April 2027. Zendesk's clock is clock, so tokens can expire.
type oauthEnv struct {
	*e2e
	clock *faulttest.Clock
}

func startOAuth(t *testing.T, secret map[string]string, allowed []string, env ...string) *oauthEnv {
	t.Helper()
	moto := mototest.Start(t)
	moto.Put(t, secretID, secret)
	clock := faulttest.NewClock(time.Now())
	zd := zendesktest.New(agent, zdToken)
	zd.Now = clock.Now
	zd.AddOAuthClient(oauthClient, oauthSecret, allowed...)
	zd.DisableAPITokens(true)
	t.Cleanup(zd.Close)
	vars := append(moto.Env(), "SECRET_ID="+secretID, "ZENDESK_BASE_URL="+zd.URL, "AWS_LAMBDA_LOG_LEVEL=DEBUG")
	fn := lambdatest.Start(t, lambdatest.Build(t, "braze-to-zendesk"), append(vars, env...)...)
	return &oauthEnv{e2e: &e2e{fn: fn, zd: zd, moto: moto}, clock: clock}
}

func oauthOnly() map[string]string {
	return map[string]string{"zendesk_oauth_client_id": oauthClient, "zendesk_oauth_client_secret": oauthSecret, "braze_webhook_token": hookToken}
}

// deliver sends the clean sample as delivery n (its own idempotency key).
func (e *oauthEnv) deliver(t *testing.T, n int) (int, map[string]any) {
	t.Helper()
	ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "braze-to-zendesk-clean.json"))
	ev.Headers["idempotency-key"] = fmt.Sprint("oauth-", n)
	r := e.fn.Invoke(t, ev)
	return r.StatusCode, lambdatest.JSON(t, r)
}

// accessTokens are the bearer tokens the function sent, to look for in logs.
func accessTokens(zd *zendesktest.Server) []string {
	var out []string
	for _, q := range zd.Requests() {
		if tok, ok := strings.CutPrefix(q.Header.Get("Authorization"), "Bearer "); ok {
			out = append(out, tok)
		}
	}
	return out
}

func TestOAuthTicketsFiledExactlyOnce(t *testing.T) {
	e := startOAuth(t, oauthOnly(), nil)
	n := 0
	deliver := func(what string) {
		t.Helper()
		n++
		if status, out := e.deliver(t, n); status != 201 {
			t.Fatalf("%s: %d %v", what, status, out)
		}
	}
	for range 5 {
		deliver("warm container")
	}
	if got := e.zd.TokensMinted(); got != 1 {
		t.Fatalf("%d tokens for 5 deliveries in one container, want 1", got)
	}
	e.zd.RevokeTokens()
	deliver("token revoked mid-stream")
	e.clock.Advance(3 * time.Hour) // past the token's two hours, on Zendesk's clock
	deliver("token expired between deliveries")
	// A new client secret, made in Zendesk and filled in Secrets Manager:
	// no redeploy.
	e.zd.SetOAuthClientSecret(oauthClient, "rotated-client-secret")
	e.zd.RevokeTokens()
	rotated := oauthOnly()
	rotated["zendesk_oauth_client_secret"] = "rotated-client-secret"
	e.moto.Put(t, secretID, rotated)
	deliver("client secret rotated")

	if got := len(e.zd.Tickets()); got != n {
		t.Errorf("%d tickets for %d deliveries", got, n)
	}
	if got := e.zd.TokensMinted(); got != 4 {
		t.Errorf("%d tokens minted, want 4 (first, after revocation, after expiry, after rotation)", got)
	}
	for _, q := range e.zd.Requests() {
		if strings.HasPrefix(q.Header.Get("Authorization"), "Basic") {
			t.Fatalf("%s %s carried an API token", q.Method, q.Path)
		}
	}
	logs := e.fn.Logs()
	for _, s := range append(accessTokens(e.zd), oauthSecret, "rotated-client-secret", hookToken) {
		if strings.Contains(logs, s) {
			t.Errorf("the logs carry a secret or token (%.6s…)", s)
		}
	}
}

func TestOAuthTokenEndpointFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reply  zendesktest.Reply
		status int
	}{
		{"throttled", zendesktest.Reply{Status: 429, Header: map[string]string{"Retry-After": "120"}, Body: `{"error":"TooManyRequests"}`}, 429},
		{"failing", zendesktest.Reply{Status: 503, Header: map[string]string{"Retry-After": "90"}, Body: `{}`}, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startOAuth(t, oauthOnly(), nil)
			// Zendesk asks for longer than the function has: no in-call retry.
			e.zd.Script(zendesktest.TokensPath, tc.reply)
			status, out := e.deliver(t, 1)
			if status != tc.status || out["retry_after"] == nil {
				t.Fatalf("%d %v, want %d with retry_after (Braze retries it)", status, out, tc.status)
			}
			if len(e.zd.Tickets()) != 0 {
				t.Fatal("a ticket was filed")
			}
			// Braze's retry, once the token endpoint answers.
			if status, out := e.deliver(t, 1); status != 201 {
				t.Fatalf("retry: %d %v", status, out)
			}
			if len(e.zd.Tickets()) != 1 {
				t.Errorf("%d tickets, want 1", len(e.zd.Tickets()))
			}
		})
	}
}

func TestOAuthRefusalsNameWhatToFix(t *testing.T) {
	wrong := oauthOnly()
	wrong["zendesk_oauth_client_secret"] = "not-the-secret"
	for _, tc := range []struct {
		name    string
		secret  map[string]string
		allowed []string
		says    []string
	}{
		{"invalid client", wrong, nil, []string{"zendesk_oauth_client_id", "zendesk_oauth_client_secret"}},
		{"invalid scope", oauthOnly(), []string{"tickets:read", "users:read", "users:write"}, []string{"tickets:write"}},
		{"no credentials", map[string]string{"braze_webhook_token": hookToken}, nil, []string{"zendesk_oauth_client_id", "zendesk_oauth_client_secret", "zendesk_api_token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startOAuth(t, tc.secret, tc.allowed)
			status, out := e.deliver(t, 1)
			msg, _ := out["error"].(string)
			want := 502
			if tc.name == "no credentials" {
				want = 500
			}
			if status != want {
				t.Fatalf("%d %v, want %d", status, out, want)
			}
			for _, s := range tc.says {
				if !strings.Contains(msg, s) {
					t.Errorf("%q does not name %s", msg, s)
				}
			}
			if strings.Contains(e.fn.Logs(), "not-the-secret") || strings.Contains(msg, "not-the-secret") {
				t.Error("the client secret was echoed")
			}
			if !strings.Contains(e.fn.Logs(), `"CredentialFailures":1`) {
				t.Error("no credential failure was counted")
			}
		})
	}
}

func TestAPITokenFallback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret map[string]string
		scheme string
		warns  int
	}{
		{"OAuth preferred over an API token", map[string]string{"zendesk_oauth_client_id": oauthClient, "zendesk_oauth_client_secret": oauthSecret,
			"zendesk_email": agent, "zendesk_api_token": zdToken, "braze_webhook_token": hookToken}, "Bearer", 0},
		{"API token alone: warned once per container", map[string]string{"zendesk_email": agent, "zendesk_api_token": zdToken,
			"braze_webhook_token": hookToken}, "Basic", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startOAuth(t, tc.secret, nil)
			e.zd.DisableAPITokens(false)
			for i := range 3 {
				if status, out := e.deliver(t, i); status != 201 {
					t.Fatalf("%d %v", status, out)
				}
			}
			for _, q := range e.zd.Requests() {
				if q.Path == zendesktest.TokensPath {
					continue
				}
				if got, _, _ := strings.Cut(q.Header.Get("Authorization"), " "); got != tc.scheme {
					t.Fatalf("%s %s carried %s, want %s", q.Method, q.Path, got, tc.scheme)
				}
			}
			logs := e.fn.Logs()
			if got := strings.Count(logs, "30 April 2027"); got != tc.warns {
				t.Errorf("%d warnings naming the switch-off date, want %d", got, tc.warns)
			}
			if got := strings.Count(logs, `"LegacyZendeskToken":1`); got != tc.warns {
				t.Errorf("%d LegacyZendeskToken metric lines, want %d", got, tc.warns)
			}
		})
	}
}
