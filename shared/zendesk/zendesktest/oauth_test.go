package zendesktest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/faulttest"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const tokenRequest = `{"grant_type":"client_credentials","client_id":"bridge","client_secret":"s3cret","scope":"tickets:read users:read","expires_in":600}`

// mint asks for a token with body and returns the answer.
func mint(t *testing.T, s *zendesktest.Server, ct, body string) answer {
	t.Helper()
	return do(t, s, "POST", zendesktest.TokensPath, "", ct, body)
}

func bearer(t *testing.T, s *zendesktest.Server) string {
	t.Helper()
	a := mint(t, s, "application/json", tokenRequest)
	if a.status != 201 {
		t.Fatalf("mint: %d %s", a.status, a.raw)
	}
	return "Bearer " + a.body["access_token"].(string)
}

func TestTokenRequests(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		status         int
		error          string
	}{
		{"JSON, as documented", "application/json", tokenRequest, 201, ""},
		{"a form works too", "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=bridge&client_secret=s3cret&scope=tickets%3Aread", 201, ""},
		{"wrong secret", "application/json", strings.Replace(tokenRequest, "s3cret", "guess", 1), 401, "invalid_client"},
		{"unknown client", "application/json", strings.Replace(tokenRequest, `"bridge"`, `"nobody"`, 1), 401, "invalid_client"},
		{"scope the client may not have", "application/json", strings.Replace(tokenRequest, "users:read", "users:write", 1), 400, "invalid_scope"},
		{"scope Zendesk does not know", "application/json", strings.Replace(tokenRequest, "users:read", "everything", 1), 400, "invalid_scope"},
		{"another grant", "application/json", strings.Replace(tokenRequest, "client_credentials", "password", 1), 400, "unsupported_grant_type"},
		{"public client", "application/json", strings.Replace(tokenRequest, `"bridge"`, `"mobile"`, 1), 400, "unauthorized_client"},
		{"lifetime under 300 s", "application/json", strings.Replace(tokenRequest, "600", "60", 1), 400, "invalid_request"},
		{"lifetime over two days", "application/json", strings.Replace(tokenRequest, "600", "172801", 1), 400, "invalid_request"},
		{"not JSON", "application/json", "{", 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newServer(t)
			s.AddOAuthClient("bridge", "s3cret", "tickets:read", "tickets:write", "users:read")
			s.AddPublicOAuthClient("mobile")
			a := mint(t, s, tc.ct, tc.body)
			if a.status != tc.status {
				t.Fatalf("%d %s, want %d", a.status, a.raw, tc.status)
			}
			if tc.error != "" {
				if a.body["error"] != tc.error || a.body["error_description"] == nil {
					t.Errorf("answer %s, want error %s with a description", a.raw, tc.error)
				}
				if s.TokensMinted() != 0 {
					t.Error("a token was minted")
				}
				return
			}
			if a.body["token_type"] != "bearer" || a.body["access_token"] == "" || a.body["expires_in"] == nil || a.body["scope"] == nil {
				t.Errorf("answer %s lacks a field", a.raw)
			}
			if _, has := a.body["refresh_token"]; has {
				t.Error("the client credentials grant has no refresh token")
			}
		})
	}
}

func TestBearerTokens(t *testing.T) {
	s, ada := newServer(t)
	clock := faulttest.NewClock(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
	s.Now = clock.Now
	s.AddOAuthClient("bridge", "s3cret")
	tok := bearer(t, s)
	if a := do(t, s, "GET", zendesktest.UserPath(ada), tok, "", ""); a.status != 200 {
		t.Fatalf("read with a fresh token: %d %s", a.status, a.raw)
	}
	// The scopes are enforced per endpoint.
	a := do(t, s, "POST", zendesktest.TicketsPath, tok, "application/json", `{"ticket":{"comment":{"body":"x"}}}`)
	if a.status != 403 || !strings.Contains(a.raw, "missing the following required scopes: tickets:write") {
		t.Errorf("write with read scopes: %d %s", a.status, a.raw)
	}
	a = do(t, s, "PUT", zendesktest.UserPath(ada), tok, "application/json", `{"user":{"external_id":"x"}}`)
	if a.status != 403 || !strings.Contains(a.raw, "users:write") {
		t.Errorf("user write with read scopes: %d %s", a.status, a.raw)
	}
	// Who it acts as: the client's owner, an admin.
	if a := do(t, s, "GET", zendesktest.MePath, tok, "", ""); a.status != 200 || a.body["user"].(map[string]any)["role"] != "admin" {
		t.Errorf("me: %d %s", a.status, a.raw)
	}
	// Expiry, on the server's clock.
	clock.Advance(601 * time.Second)
	if a := do(t, s, "GET", zendesktest.UserPath(ada), tok, "", ""); a.status != 401 || a.body["error"] != "invalid_token" || a.header.Get("WWW-Authenticate") == "" {
		t.Errorf("expired: %d %v %s", a.status, a.header, a.raw)
	}
	// Revocation.
	tok = bearer(t, s)
	s.RevokeTokens()
	if a := do(t, s, "GET", zendesktest.UserPath(ada), tok, "", ""); a.status != 401 || a.body["error"] != "invalid_token" {
		t.Errorf("revoked: %d %s", a.status, a.raw)
	}
	// A new client secret: the old one is refused at once.
	s.SetOAuthClientSecret("bridge", "n3w")
	if a := mint(t, s, "application/json", tokenRequest); a.status != 401 || a.body["error"] != "invalid_client" {
		t.Errorf("old secret after rotation: %d %s", a.status, a.raw)
	}
	if n := s.TokensMinted(); n != 2 {
		t.Errorf("%d tokens minted, want 2", n)
	}
}

func TestAPITokensSwitchedOff(t *testing.T) {
	s, ada := newServer(t)
	if a := get(t, s, zendesktest.UserPath(ada)); a.status != 200 {
		t.Fatalf("API token before: %d", a.status)
	}
	if a := get(t, s, zendesktest.MePath); a.status != 200 || a.body["user"].(map[string]any)["email"] != agent {
		t.Errorf("me with the API token: %d %s", a.status, a.raw)
	}
	s.DisableAPITokens(true)
	if a := get(t, s, zendesktest.UserPath(ada)); a.status != 401 {
		t.Errorf("API token after 30 April 2027: %d %s, want 401", a.status, a.raw)
	}
}
