package zendesktest_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const (
	clientID     = "braze-bridge"
	clientSecret = `s3cr"et\value`
	bridgeScopes = "tickets:read tickets:write users:read users:write"
)

var (
	invalidToken  = `{"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."}`
	invalidClient = `{"error":"invalid_client","error_description":"The client identifier provided is invalid, the client failed to authenticate, the client did not include its credentials, provided multiple client credentials, or used unsupported credentials type."}`
	invalidScope  = `{"error":"invalid_scope","error_description":"The requested scope is invalid, unknown, or malformed."}`
)

// clock is a settable server clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newOAuthServer(t *testing.T) (*zendesktest.Server, *clock, int64) {
	t.Helper()
	s, ada := newServer(t)
	c := &clock{t: time.Date(2027, 5, 1, 9, 0, 0, 0, time.UTC)}
	s.Now = c.now
	s.AddOAuthClient(clientID, clientSecret, strings.Fields(bridgeScopes)...)
	return s, c, ada
}

// tokenBody is the JSON body Zendesk documents for the grant.
func tokenBody(id, secret, scope string, extra ...string) string {
	b := `{"grant_type":"client_credentials","client_id":` + quote(id) + `,"client_secret":` + quote(secret) + `,"scope":` + quote(scope)
	for _, e := range extra {
		b += "," + e
	}
	return b + "}"
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// mint asks for a token and fails the test unless one is issued.
func mintFor(t *testing.T, s *zendesktest.Server, scope string) string {
	t.Helper()
	got := do(t, s, "POST", zendesktest.TokensPath, "", "application/json", tokenBody(clientID, clientSecret, scope))
	tok, _ := got.body["access_token"].(string)
	if got.status != http.StatusCreated || tok == "" {
		t.Fatalf("mint: %d %s", got.status, got.raw)
	}
	return tok
}

func TestMintToken(t *testing.T) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}, "scope": {"tickets:read users:read"}}.Encode()
	for _, tc := range []struct {
		name, ct, body string
		lifetime       time.Duration
		scope          string
		expiresIn      float64
	}{
		{"JSON, no expires_in: the longest", "application/json", tokenBody(clientID, clientSecret, bridgeScopes), 0, bridgeScopes, 172800},
		{"JSON with charset", "application/json; charset=utf-8", tokenBody(clientID, clientSecret, "users:read"), 0, "users:read", 172800},
		{"server lifetime set", "application/json", tokenBody(clientID, clientSecret, "users:read"), time.Hour, "users:read", 3600},
		{"expires_in asked", "application/json", tokenBody(clientID, clientSecret, "users:read", `"expires_in":600`), 0, "users:read", 600},
		{"shortest", "application/json", tokenBody(clientID, clientSecret, "users:read", `"expires_in":300`), 0, "users:read", 300},
		{"longest", "application/json", tokenBody(clientID, clientSecret, "users:read", `"expires_in":172800`), 0, "users:read", 172800},
		{"form body", "application/x-www-form-urlencoded", form, 0, "tickets:read users:read", 172800},
		{"form expires_in", "application/x-www-form-urlencoded", form + "&expires_in=900", 0, "tickets:read users:read", 900},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := newOAuthServer(t)
			s.TokenLifetime = tc.lifetime
			got := do(t, s, "POST", zendesktest.TokensPath, "", tc.ct, tc.body)
			if got.status != http.StatusCreated {
				t.Fatalf("%d %s, want 201", got.status, got.raw)
			}
			tok, _ := got.body["access_token"].(string)
			if len(tok) < 32 || got.body["token_type"] != "bearer" || got.body["scope"] != tc.scope || got.body["expires_in"] != tc.expiresIn {
				t.Errorf("answer %s, want a bearer token for %q living %v s", got.raw, tc.scope, tc.expiresIn)
			}
			if _, ok := got.body["refresh_token"]; ok || len(got.body) != 4 {
				t.Errorf("answer %s has more than the four fields (client credentials get no refresh token)", got.raw)
			}
			if n := s.TokensMinted(); n != 1 {
				t.Errorf("TokensMinted %d, want 1", n)
			}
			if a := get(t, s, zendesktest.MePath); a.status != 200 {
				t.Errorf("Basic auth after minting: %d", a.status)
			}
			if a := do(t, s, "GET", zendesktest.MePath, "Bearer "+tok, "", ""); a.status != 200 {
				t.Errorf("the minted token: %d %s", a.status, a.raw)
			}
		})
	}
}

func TestTokenRequestRefused(t *testing.T) {
	badExpiry := `{"error":"invalid_request","error_description":"expires_in must be between 300 and 172800 seconds."}`
	invalidRequest := `{"error":"invalid_request","error_description":"The request is missing a required parameter or is otherwise malformed."}`
	unsupportedGrant := `{"error":"unsupported_grant_type","error_description":"The authorization grant type is not supported by the authorization server."}`
	for _, tc := range []struct {
		name, method, ct, body string
		status                 int
		want                   string
	}{
		{"unknown client", "POST", "application/json", tokenBody("someone", clientSecret, "users:read"), 401, invalidClient},
		{"wrong secret", "POST", "application/json", tokenBody(clientID, "guess", "users:read"), 401, invalidClient},
		{"secret of another case", "POST", "application/json", tokenBody(clientID, strings.ToUpper(clientSecret), "users:read"), 401, invalidClient},
		{"no secret", "POST", "application/json", `{"grant_type":"client_credentials","client_id":"braze-bridge","scope":"users:read"}`, 401, invalidClient},
		{"client id's case", "POST", "application/json", tokenBody(strings.ToUpper(clientID), clientSecret, "users:read"), 401, invalidClient},
		{"scope the client does not allow", "POST", "application/json", tokenBody(clientID, clientSecret, "tickets:read organizations:read"), 400, invalidScope},
		{"broad read on a restricted client", "POST", "application/json", tokenBody(clientID, clientSecret, "read"), 400, invalidScope},
		{"impersonate", "POST", "application/json", tokenBody(clientID, clientSecret, "users:read impersonate"), 400, invalidScope},
		{"scope Zendesk does not know", "POST", "application/json", tokenBody(clientID, clientSecret, "tickets:delete"), 400, invalidScope},
		{"comma-separated scopes", "POST", "application/json", tokenBody(clientID, clientSecret, "tickets:read,users:read"), 400, invalidScope},
		{"no scope", "POST", "application/json", tokenBody(clientID, clientSecret, " "), 400, invalidScope},
		{"password grant", "POST", "application/json", strings.Replace(tokenBody(clientID, clientSecret, "users:read"), "client_credentials", "password", 1), 400, unsupportedGrant},
		{"no grant_type", "POST", "application/json", `{"client_id":"braze-bridge","client_secret":"x","scope":"users:read"}`, 400, unsupportedGrant},
		{"expires_in too short", "POST", "application/json", tokenBody(clientID, clientSecret, "users:read", `"expires_in":299`), 400, badExpiry},
		{"expires_in too long", "POST", "application/json", tokenBody(clientID, clientSecret, "users:read", `"expires_in":172801`), 400, badExpiry},
		{"expires_in fractional", "POST", "application/json", tokenBody(clientID, clientSecret, "users:read", `"expires_in":600.5`), 400, invalidRequest},
		{"expires_in words", "POST", "application/json", tokenBody(clientID, clientSecret, "users:read", `"expires_in":"an hour"`), 400, invalidRequest},
		{"not JSON", "POST", "application/json", `{"grant_type":`, 400, invalidRequest},
		{"plain text", "POST", "text/plain", tokenBody(clientID, clientSecret, "users:read"), 400, invalidRequest},
		{"GET", "GET", "", "", 405, `{"error":"MethodNotAllowed"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := newOAuthServer(t)
			got := do(t, s, tc.method, zendesktest.TokensPath, "", tc.ct, tc.body)
			if got.status != tc.status {
				t.Errorf("%d, want %d", got.status, tc.status)
			}
			sameJSON(t, got.raw, tc.want)
			if n := s.TokensMinted(); n != 0 {
				t.Errorf("TokensMinted %d after a refusal", n)
			}
		})
	}
}

func TestPublicClientGetsNoClientCredentials(t *testing.T) {
	s, _, _ := newOAuthServer(t)
	s.AddPublicOAuthClient("mobile-app")
	for _, secret := range []string{"", "anything"} {
		got := do(t, s, "POST", zendesktest.TokensPath, "", "application/json", tokenBody("mobile-app", secret, "users:read"))
		if got.status != 400 {
			t.Errorf("%d, want 400", got.status)
		}
		sameJSON(t, got.raw, `{"error":"unauthorized_client","error_description":"The authenticated client is not authorized to use the access grant type provided."}`)
	}
	if n := s.TokensMinted(); n != 0 {
		t.Errorf("a public client got %d tokens", n)
	}
}

func TestUnrestrictedClientTakesAnyKnownScope(t *testing.T) {
	s, _, _ := newOAuthServer(t)
	s.AddOAuthClient("wide", "w") // no allowed scopes: any
	for _, scope := range []string{"read write", "organizations:write hc:read", "tickets:read users:read"} {
		got := do(t, s, "POST", zendesktest.TokensPath, "", "application/json", tokenBody("wide", "w", scope))
		if got.status != 201 {
			t.Errorf("%q: %d %s", scope, got.status, got.raw)
		}
	}
	got := do(t, s, "POST", zendesktest.TokensPath, "", "application/json", tokenBody("wide", "w", "everything"))
	if got.status != 400 {
		t.Errorf("unknown scope: %d", got.status)
	}
	sameJSON(t, got.raw, invalidScope)
}

// bearer sends one call with a bearer token.
func withToken(t *testing.T, s *zendesktest.Server, tok, method, target, body string) answer {
	t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return do(t, s, method, target, "Bearer "+tok, ct, body)
}

func wantInvalidToken(t *testing.T, got answer) {
	t.Helper()
	if got.status != 401 {
		t.Errorf("%d %s, want 401", got.status, got.raw)
	}
	sameJSON(t, got.raw, invalidToken)
	if h := got.header.Get("WWW-Authenticate"); !strings.Contains(h, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q", h)
	}
}

func TestTokenLifecycle(t *testing.T) {
	s, c, ada := newOAuthServer(t)
	tok := do(t, s, "POST", zendesktest.TokensPath, "", "application/json", tokenBody(clientID, clientSecret, bridgeScopes, `"expires_in":300`)).body["access_token"].(string)

	// Reused for many calls: one token, many answers.
	for range 5 {
		if got := withToken(t, s, tok, "GET", zendesktest.UserPath(ada), ""); got.status != 200 {
			t.Fatalf("reuse: %d %s", got.status, got.raw)
		}
	}
	c.advance(299 * time.Second)
	if got := withToken(t, s, tok, "GET", zendesktest.UserPath(ada), ""); got.status != 200 {
		t.Fatalf("a second before expiry: %d", got.status)
	}
	c.advance(time.Second)
	wantInvalidToken(t, withToken(t, s, tok, "GET", zendesktest.UserPath(ada), ""))

	// A fresh token works; revoking ends it and every other one.
	tok2, tok3 := mintFor(t, s, bridgeScopes), mintFor(t, s, "users:read")
	if n := s.TokensMinted(); n != 3 {
		t.Errorf("TokensMinted %d, want 3", n)
	}
	s.RevokeTokens()
	for _, tk := range []string{tok2, tok3} {
		wantInvalidToken(t, withToken(t, s, tk, "POST", zendesktest.TicketsPath, `{"ticket":{"requester_id":`+itoa(ada)+`,"comment":{"body":"x"}}}`))
	}
	if n := len(s.Tickets()); n != 0 {
		t.Errorf("a revoked token filed %d tickets", n)
	}
	tok4 := mintFor(t, s, bridgeScopes)
	if got := withToken(t, s, tok4, "GET", zendesktest.UserPath(ada), ""); got.status != 200 {
		t.Errorf("after revocation, a new token: %d", got.status)
	}

	// Malformed bearer values are unknown tokens.
	for _, bad := range []string{"x", tok4[1:], strings.ToUpper(tok4), `"` + tok4 + `"`} {
		wantInvalidToken(t, withToken(t, s, bad, "GET", zendesktest.UserPath(ada), ""))
	}
}

func TestSecretRotation(t *testing.T) {
	s, _, ada := newOAuthServer(t)
	old := mintFor(t, s, bridgeScopes)
	s.SetOAuthClientSecret(clientID, "new-secret")
	got := do(t, s, "POST", zendesktest.TokensPath, "", "application/json", tokenBody(clientID, clientSecret, bridgeScopes))
	if got.status != 401 {
		t.Errorf("old secret: %d, want 401", got.status)
	}
	sameJSON(t, got.raw, invalidClient)
	got = do(t, s, "POST", zendesktest.TokensPath, "", "application/json", tokenBody(clientID, "new-secret", bridgeScopes))
	if got.status != 201 {
		t.Errorf("new secret: %d %s", got.status, got.raw)
	}
	if got := withToken(t, s, old, "GET", zendesktest.UserPath(ada), ""); got.status != 200 {
		t.Errorf("a token minted before the rotation: %d", got.status)
	}
}

func TestScopePerEndpoint(t *testing.T) {
	s, _, ada := newOAuthServer(t)
	s.AddOAuthClient("wide", "w")
	tk := s.AddTicket(map[string]any{"requester_id": ada})
	routes := []struct {
		method, target, body, need string
	}{
		{"GET", zendesktest.SearchUsersPath + "?external_id=user-123", "", "users:read"},
		{"GET", zendesktest.UserPath(ada), "", "users:read"},
		{"PUT", zendesktest.UserPath(ada), `{"user":{"name":"Ada L"}}`, "users:write"},
		{"POST", zendesktest.CreateUserPath, `{"user":{"name":"Bo"}}`, "users:write"},
		{"POST", zendesktest.UsersPath, `{"user":{"name":"Cy","external_id":"cy"}}`, "users:write"},
		{"POST", zendesktest.TicketsPath, `{"ticket":{"requester_id":` + itoa(ada) + `,"comment":{"body":"x"}}}`, "tickets:write"},
		{"GET", zendesktest.TicketPath(tk), "", "tickets:read"},
		{"GET", zendesktest.TicketsPath + "?external_id=none", "", "tickets:read"},
	}
	for _, scope := range []string{"tickets:read", "tickets:write", "users:read", "users:write", "read", "write"} {
		tok := do(t, s, "POST", zendesktest.TokensPath, "", "application/json", tokenBody("wide", "w", scope)).body["access_token"].(string)
		for _, r := range routes {
			t.Run(scope+" "+r.method+" "+r.target, func(t *testing.T) {
				_, access, _ := strings.Cut(r.need, ":")
				got := withToken(t, s, tok, r.method, r.target, r.body)
				if scope == r.need || scope == access {
					if got.status >= 300 {
						t.Errorf("%d %s, want success", got.status, got.raw)
					}
					return
				}
				if got.status != 403 {
					t.Errorf("%d %s, want 403", got.status, got.raw)
				}
				sameJSON(t, got.raw, `{"error":"Forbidden","description":"You are missing the following required scopes: `+r.need+`"}`)
			})
		}
	}
}

func TestAPITokensDeactivated(t *testing.T) {
	s, _, ada := newOAuthServer(t)
	tok := mintFor(t, s, bridgeScopes)
	s.DisableAPITokens(true)
	got := get(t, s, zendesktest.UserPath(ada))
	if got.status != 401 {
		t.Errorf("Basic with API tokens deactivated: %d, want 401", got.status)
	}
	sameJSON(t, got.raw, `{"error":"Couldn't authenticate you"}`)
	if got := send(t, s, "POST", zendesktest.TicketsPath, `{"ticket":{"requester_id":`+itoa(ada)+`,"comment":{"body":"x"}}}`); got.status != 401 || len(s.Tickets()) != 0 {
		t.Errorf("Basic filed a ticket with API tokens deactivated: %d", got.status)
	}
	if got := withToken(t, s, tok, "GET", zendesktest.UserPath(ada), ""); got.status != 200 {
		t.Errorf("OAuth with API tokens deactivated: %d", got.status)
	}
	s.DisableAPITokens(false)
	if got := get(t, s, zendesktest.UserPath(ada)); got.status != 200 {
		t.Errorf("Basic after reactivating: %d", got.status)
	}
}

func TestUsersMe(t *testing.T) {
	s, _, _ := newOAuthServer(t)
	s.AddOAuthClient("other", "o")
	got := withToken(t, s, mintFor(t, s, "users:read"), "GET", zendesktest.MePath, "")
	u, _ := got.body["user"].(map[string]any)
	id, _ := u["id"].(float64)
	name, _ := u["name"].(string)
	if got.status != 200 || u["role"] != "admin" || id < 900000 || !strings.Contains(name, clientID) {
		t.Errorf("bearer me: %d %s, want the client's owner, an admin", got.status, got.raw)
	}
	for _, a := range s.Users() {
		if float64(a.ID) == id {
			t.Errorf("the owner's id %v is a requester's", id)
		}
	}
	// Tokens act as the owner only of the client that minted them.
	other := do(t, s, "POST", zendesktest.TokensPath, "", "application/json", tokenBody("other", "o", "tickets:read")).body["access_token"].(string)
	got2 := withToken(t, s, other, "GET", zendesktest.MePath, "")
	if u2, _ := got2.body["user"].(map[string]any); got2.status != 200 || u2["id"] == u["id"] {
		t.Errorf("another client's owner: %d %s", got2.status, got2.raw)
	}
	got = get(t, s, zendesktest.MePath)
	u, _ = got.body["user"].(map[string]any)
	if got.status != 200 || u["email"] != agent {
		t.Errorf("Basic me: %d %s, want the API token's agent", got.status, got.raw)
	}
	if n := len(s.Users()); n != 1 {
		t.Errorf("asking who I am made users: %d", n)
	}
}

// The token endpoint's faults are scriptable like any path, and token
// requests are recorded (so tests can check what a client sent).
func TestTokenEndpointScripted(t *testing.T) {
	s, _, _ := newOAuthServer(t)
	s.Script(zendesktest.TokensPath,
		zendesktest.Reply{Status: 429, Header: map[string]string{"Retry-After": "7"}, Body: `{"error":"TooManyRequests"}`},
		zendesktest.Reply{Status: 503, Body: `{"error":"ServiceUnavailable"}`},
	)
	body := tokenBody(clientID, clientSecret, bridgeScopes)
	if got := do(t, s, "POST", zendesktest.TokensPath, "", "application/json", body); got.status != 429 || got.header.Get("Retry-After") != "7" {
		t.Errorf("first: %d %v", got.status, got.header)
	}
	if got := do(t, s, "POST", zendesktest.TokensPath, "", "application/json", body); got.status != 503 {
		t.Errorf("second: %d", got.status)
	}
	mintFor(t, s, bridgeScopes)
	if n := s.TokensMinted(); n != 1 {
		t.Errorf("TokensMinted %d, want 1 (scripted answers mint nothing)", n)
	}
	reqs := s.RequestsTo(zendesktest.TokensPath)
	if len(reqs) != 3 || string(reqs[0].Body) != body {
		t.Errorf("recorded %d token requests", len(reqs))
	}
}
