package zendesk_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/faulttest"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const (
	clientID     = "braze_bridge"
	clientSecret = "oauth-client-secret-1"
)

// oauthRig is a client authenticated by a SecretAuth over secret, against a
// stand-in that knows the OAuth client, on one clock.
type oauthRig struct {
	zd     *zendesktest.Server
	secret faulttest.Secret
	cache  *secrets.Cache
	auth   *zendesk.SecretAuth
	c      *zendesk.Client
	logs   *bytes.Buffer
	clock  *faulttest.Clock
	legacy int
}

func newOAuthRig(t *testing.T, secret faulttest.Secret, scopes []string, allowed ...string) *oauthRig {
	t.Helper()
	zd := zendesktest.New(agent, token)
	t.Cleanup(zd.Close)
	zd.AddOAuthClient(clientID, clientSecret, allowed...)
	clock := faulttest.NewClock(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
	zd.Now = clock.Now
	base, err := url.Parse(zd.URL)
	if err != nil {
		t.Fatal(err)
	}
	r := &oauthRig{zd: zd, secret: secret, logs: &bytes.Buffer{}, clock: clock}
	r.cache = secrets.NewCache(secret, time.Hour)
	r.cache.Now = clock.Now
	r.auth = zendesk.NewSecretAuth(r.cache, base, zd.Client(), scopes, slog.New(slog.NewJSONHandler(r.logs, nil)))
	r.auth.Now = clock.Now
	r.auth.LegacyToken = func() { r.legacy++ }
	r.c = zendesk.New(base, zd.Client(), r.auth)
	r.c.Retry = fastRetry
	zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
	return r
}

func oauthSecret() faulttest.Secret {
	return faulttest.Secret{zendesk.KeyOAuthClientID: clientID, zendesk.KeyOAuthClientSecret: clientSecret}
}

// find is one read the tests make; any call would do.
func (r *oauthRig) find(t *testing.T) error {
	t.Helper()
	_, err := r.c.FindUserByExternalID(context.Background(), "user-123")
	return err
}

// schemes is the Authorization scheme of every API request (token
// requests excluded), in order.
func (r *oauthRig) schemes() []string {
	var out []string
	for _, q := range r.zd.Requests() {
		if q.Path == zendesktest.TokensPath {
			continue
		}
		scheme, _, _ := strings.Cut(q.Header.Get("Authorization"), " ")
		out = append(out, scheme)
	}
	return out
}

func TestOAuthTokenReusedUntilShortlyBeforeExpiry(t *testing.T) {
	r := newOAuthRig(t, oauthSecret(), zendesk.ScopesFileTickets)
	for range 20 {
		if err := r.find(t); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.zd.TokensMinted(); n != 1 {
		t.Fatalf("%d tokens minted for 20 calls, want 1", n)
	}
	tokenReqs := r.zd.RequestsTo(zendesktest.TokensPath)
	if len(tokenReqs) != 1 {
		t.Fatalf("%d token requests", len(tokenReqs))
	}
	body := string(tokenReqs[0].Body)
	for _, want := range []string{`"grant_type":"client_credentials"`, `"client_id":"` + clientID + `"`,
		`"scope":"tickets:read tickets:write users:read users:write"`, `"expires_in":7200`} {
		if !strings.Contains(body, want) {
			t.Errorf("token request %s lacks %s", body, want)
		}
	}
	// Asked for two hours: renewed before it runs out, never sent expired.
	r.clock.Advance(2*time.Hour - 13*time.Minute)
	if err := r.find(t); err != nil || r.zd.TokensMinted() != 1 {
		t.Fatalf("1h47m in: err %v, %d tokens", err, r.zd.TokensMinted())
	}
	r.clock.Advance(10 * time.Minute) // 3 minutes before expiry
	if err := r.find(t); err != nil || r.zd.TokensMinted() != 2 {
		t.Fatalf("3 minutes before expiry: err %v, %d tokens, want a new one", err, r.zd.TokensMinted())
	}
	// One request per call: none met a 401 and went again.
	if n := len(r.schemes()); n != 22 {
		t.Errorf("%d API requests for 22 calls", n)
	}
	if slices.Contains(r.schemes(), "Basic") {
		t.Error("an API call carried Basic auth")
	}
}

func TestOAuthTokenRefusedIsMintedAgainOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(r *oauthRig)
	}{
		{"revoked", func(r *oauthRig) { r.zd.RevokeTokens() }},
		// The bridge renews before expiry by its own clock; a Zendesk
		// whose clock runs ahead expires the token first.
		{"expired by Zendesk's clock", func(r *oauthRig) { r.zd.Now = func() time.Time { return r.clock.Now().Add(3 * time.Hour) } }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newOAuthRig(t, oauthSecret(), zendesk.ScopesFileTickets)
			if err := r.find(t); err != nil {
				t.Fatal(err)
			}
			tc.spoil(r)
			if err := r.find(t); err != nil {
				t.Fatalf("after the token was refused: %v", err)
			}
			if n := r.zd.TokensMinted(); n != 2 {
				t.Errorf("%d tokens minted, want 2", n)
			}
			// first call, the refused one, its retry
			if got := len(r.schemes()); got != 3 {
				t.Errorf("%d API calls, want 3", got)
			}
		})
	}
}

func TestOAuthRotatedClientSecretIsReadAgain(t *testing.T) {
	r := newOAuthRig(t, oauthSecret(), zendesk.ScopesFileTickets)
	if err := r.find(t); err != nil {
		t.Fatal(err)
	}
	// The operator makes a new client secret (Zendesk revokes the old
	// client's tokens with it) and fills it in the secret.
	r.zd.SetOAuthClientSecret(clientID, "oauth-client-secret-2")
	r.zd.RevokeTokens()
	r.secret[zendesk.KeyOAuthClientSecret] = "oauth-client-secret-2"
	if err := r.find(t); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
}

func TestOAuthRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secret  faulttest.Secret
		allowed []string
		setup   func(r *oauthRig)
		keys    []string
		scopes  []string
		says    string
	}{
		{name: "wrong client secret", secret: faulttest.Secret{zendesk.KeyOAuthClientID: clientID, zendesk.KeyOAuthClientSecret: "wrong"},
			keys: []string{zendesk.KeyOAuthClientID, zendesk.KeyOAuthClientSecret}, says: zendesk.KeyOAuthClientSecret},
		{name: "unknown client", secret: faulttest.Secret{zendesk.KeyOAuthClientID: "nobody", zendesk.KeyOAuthClientSecret: clientSecret},
			keys: []string{zendesk.KeyOAuthClientID, zendesk.KeyOAuthClientSecret}, says: zendesk.KeyOAuthClientID},
		{name: "scope the client may not have", secret: oauthSecret(), allowed: []string{"tickets:read", "users:read"},
			scopes: zendesk.ScopesFileTickets, says: "tickets:write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newOAuthRig(t, tc.secret, zendesk.ScopesFileTickets, tc.allowed...)
			err := r.find(t)
			var ce *zendesk.CredentialError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a CredentialError", err)
			}
			if !slices.Equal(ce.Keys, tc.keys) || !slices.Equal(ce.Scopes, tc.scopes) || !strings.Contains(ce.Reason, tc.says) {
				t.Errorf("keys %v scopes %v reason %q; want keys %v scopes %v, saying %q", ce.Keys, ce.Scopes, ce.Reason, tc.keys, tc.scopes, tc.says)
			}
			if strings.Contains(err.Error(), clientSecret) || strings.Contains(err.Error(), "wrong") {
				t.Errorf("the error carries the client secret: %v", err)
			}
			if len(r.schemes()) != 0 {
				t.Error("an API call went out without a token")
			}
		})
	}
}

func TestOAuthMissingScopeNamesIt(t *testing.T) {
	// A function minted for reading only, asked to write: Zendesk's 403.
	r := newOAuthRig(t, oauthSecret(), zendesk.ScopesReadTickets)
	_, err := r.c.CreateTicket(context.Background(), map[string]any{"subject": "x", "comment": map[string]any{"body": "y"}}, "k-1")
	var ce *zendesk.CredentialError
	if !errors.As(err, &ce) || !slices.Equal(ce.Scopes, []string{"tickets:write"}) || !strings.Contains(ce.Reason, "tickets:write") {
		t.Fatalf("err = %v, want a CredentialError naming tickets:write", err)
	}
	if len(r.zd.Tickets()) != 0 {
		t.Error("a ticket was filed")
	}
}

func TestOAuthTokenEndpointFaultsArePassing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replies []zendesktest.Reply
		ok      bool
	}{
		{"429 then a token", []zendesktest.Reply{{Status: 429, Header: map[string]string{"Retry-After": "0"}, Body: `{"error":"TooManyRequests"}`}}, true},
		{"503 then a token", []zendesktest.Reply{{Status: 503, Body: `{}`}}, true},
		{"503 throughout", slices.Repeat([]zendesktest.Reply{{Status: 503, Body: `{}`}}, 5), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newOAuthRig(t, oauthSecret(), zendesk.ScopesFileTickets)
			r.zd.Script(zendesktest.TokensPath, tc.replies...)
			err := r.find(t)
			if tc.ok {
				if err != nil {
					t.Fatalf("err = %v, want the retry to get a token", err)
				}
				return
			}
			var ze *zendesk.Error
			var ce *zendesk.CredentialError
			if errors.As(err, &ce) || !errors.As(err, &ze) {
				t.Fatalf("err = %v, want a passing *zendesk.Error", err)
			}
			if again, _ := ze.Retryable(); !again {
				t.Errorf("err = %v is not retryable", err)
			}
			if len(r.schemes()) != 0 {
				t.Error("an API call went out without a token")
			}
		})
	}
}

func TestCredentialKinds(t *testing.T) {
	both := oauthSecret()
	both[zendesk.KeyEmail], both[zendesk.KeyAPIToken] = agent, token
	for _, tc := range []struct {
		name   string
		secret faulttest.Secret
		scheme string
		legacy int
		err    string
	}{
		{"OAuth only", oauthSecret(), "Bearer", 0, ""},
		{"both: OAuth wins", both, "Bearer", 0, ""},
		{"API token only: the fallback, warned", faulttest.Secret{zendesk.KeyEmail: agent, zendesk.KeyAPIToken: token}, "Basic", 1, ""},
		{"neither", faulttest.Secret{zendesk.KeyEmail: agent}, "", 0, zendesk.KeyOAuthClientSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newOAuthRig(t, tc.secret, zendesk.ScopesFileTickets)
			for range 3 {
				err := r.find(t)
				if tc.err != "" {
					var ce *secrets.ConfigError
					if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), zendesk.KeyAPIToken) {
						t.Fatalf("err = %v, want a ConfigError naming %s and the fallback", err, tc.err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, s := range r.schemes() {
				if s != tc.scheme {
					t.Fatalf("schemes %v, want %s", r.schemes(), tc.scheme)
				}
			}
			warnings := strings.Count(r.logs.String(), "30 April 2027")
			if r.legacy != tc.legacy || warnings != tc.legacy {
				t.Errorf("legacy metric %d, warnings %d; want %d", r.legacy, warnings, tc.legacy)
			}
			for _, s := range []string{clientSecret, token} {
				if strings.Contains(r.logs.String(), s) {
					t.Errorf("the log carries a secret: %s", r.logs)
				}
			}
		})
	}
}
