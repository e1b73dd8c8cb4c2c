package zendesktest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TokensPath is where OAuth access tokens are minted.
const TokensPath = "/oauth/tokens"

// MePath answers who the request's credentials act as.
const MePath = "/api/v2/users/me.json"

// Bounds Zendesk puts on a client credentials token's expires_in, in
// seconds ("OAuth Tokens for Grant Types", client_credentials: 300 to
// 172,800).
const (
	MinTokenLifetime = 300 * time.Second
	MaxTokenLifetime = 172800 * time.Second
)

// knownScopes are the scopes Zendesk grants; a client credentials request
// for any other is invalid_scope. "impersonate" is left out on purpose: the
// bridge never asks for it.
var knownScopes = []string{"read", "write",
	"tickets:read", "tickets:write", "users:read", "users:write",
	"organizations:read", "organizations:write", "hc:read", "hc:write",
	"apps:read", "apps:write", "triggers:read", "triggers:write",
	"automations:read", "automations:write", "targets:read", "targets:write",
	"macros:read", "macros:write", "requests:read", "requests:write",
	"satisfaction_ratings:read", "satisfaction_ratings:write",
	"dynamic_content:read", "dynamic_content:write", "any_channel:write", "webhooks:read", "webhooks:write"}

type oauthClient struct {
	secret       string
	allowed      []string // none: any known scope
	owner        int64    // the admin who made it: tokens act as them
	confidential bool
}

type accessToken struct {
	client  string
	scopes  []string
	expires time.Time
	revoked bool
}

// AddOAuthClient registers a confidential OAuth client with secret, as an
// admin does in Admin Center (Apps and integrations → APIs → OAuth
// clients). allowed are the scopes it may be granted ("Allowed scopes");
// none: any. Its owner is an admin, kept apart from Users (which tests read
// as the requesters) and from their ids: tokens act as the owner, so
// tickets the bridge files are submitted by that admin.
func (s *Server) AddOAuthClient(id, secret string, allowed ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initOAuth()
	s.clients[id] = &oauthClient{secret: secret, allowed: allowed, owner: ownerIDs + int64(len(s.clients)), confidential: true}
}

// ownerIDs is where OAuth clients' owners are numbered, far from users'.
const ownerIDs = 900000

// AddPublicOAuthClient registers a public client: it may not use the
// client credentials grant.
func (s *Server) AddPublicOAuthClient(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initOAuth()
	s.clients[id] = &oauthClient{}
}

// SetOAuthClientSecret gives client id a new secret, as "Regenerate" in
// Admin Center does: the old one stops working at once.
func (s *Server) SetOAuthClientSecret(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; ok {
		c.secret = secret
	}
}

// RevokeTokens revokes every access token minted so far: each then
// answers 401 invalid_token.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.revoked = true
	}
}

// DisableAPITokens switches API tokens off (off: true), as Zendesk does
// for every account on 30 April 2027: Basic authentication then answers
// 401.
func (s *Server) DisableAPITokens(off bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiTokensOff = off
}

// TokensMinted is how many access tokens have been issued.
func (s *Server) TokensMinted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

func (s *Server) initOAuth() {
	if s.clients == nil {
		s.clients = map[string]*oauthClient{}
	}
	if s.tokens == nil {
		s.tokens = map[string]*accessToken{}
	}
}

// mint answers POST /oauth/tokens for the client credentials grant, with
// a JSON body as Zendesk documents it, or a form body, which it accepts
// too. Errors are RFC 6749 §5.2's {"error", "error_description"}.
func (s *Server) mint(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, map[string]any{"error": "MethodNotAllowed"})
		return
	}
	var req struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Scope        string `json:"scope"`
		ExpiresIn    *int64 `json:"expires_in"`
	}
	switch ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); strings.TrimSpace(ct) {
	case "application/json":
		if err := json.Unmarshal(body, &req); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request", "The request is missing a required parameter or is otherwise malformed.")
			return
		}
	case "application/x-www-form-urlencoded":
		f, err := url.ParseQuery(string(body))
		if err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request", "The request is missing a required parameter or is otherwise malformed.")
			return
		}
		req.GrantType, req.ClientID, req.ClientSecret, req.Scope = f.Get("grant_type"), f.Get("client_id"), f.Get("client_secret"), f.Get("scope")
		if v := f.Get("expires_in"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				oauthError(w, http.StatusBadRequest, "invalid_request", "expires_in must be a number of seconds.")
				return
			}
			req.ExpiresIn = &n
		}
	default:
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request is missing a required parameter or is otherwise malformed.")
		return
	}
	if req.GrantType != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	s.initOAuth()
	c, ok := s.clients[req.ClientID]
	if ok && !c.confidential {
		// The client credentials grant is for confidential clients only.
		oauthError(w, http.StatusBadRequest, "unauthorized_client", "The authenticated client is not authorized to use the access grant type provided.")
		return
	}
	if !ok || req.ClientSecret != c.secret {
		// RFC 6749 §5.2: invalid_client may be 401. The description is
		// Zendesk's own, as quoted in a Zendesk help-center thread on
		// "Using OAuth authentication with your application" (it is
		// rack-oauth2's default text, as invalid_token's is).
		oauthError(w, http.StatusUnauthorized, "invalid_client",
			"The client identifier provided is invalid, the client failed to authenticate, the client did not include its credentials, provided multiple client credentials, or used unsupported credentials type.")
		return
	}
	scopes := strings.Fields(req.Scope)
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	for _, sc := range scopes {
		if !slices.Contains(knownScopes, sc) || len(c.allowed) > 0 && !slices.Contains(c.allowed, sc) {
			oauthError(w, http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
			return
		}
	}
	lifetime := s.TokenLifetime
	if lifetime == 0 {
		lifetime = MaxTokenLifetime
	}
	if req.ExpiresIn != nil {
		lifetime = time.Duration(*req.ExpiresIn) * time.Second
		if lifetime < MinTokenLifetime || lifetime > MaxTokenLifetime {
			oauthError(w, http.StatusBadRequest, "invalid_request", "expires_in must be between 300 and 172800 seconds.")
			return
		}
	}
	raw := make([]byte, 20)
	_, _ = rand.Read(raw)
	tok := hex.EncodeToString(raw)
	s.tokens[tok] = &accessToken{client: req.ClientID, scopes: scopes, expires: s.now().Add(lifetime)}
	// No refresh token for this grant: a new token is minted instead.
	reply(w, http.StatusCreated, map[string]any{"access_token": tok, "token_type": "bearer",
		"scope": strings.Join(scopes, " "), "expires_in": int64(lifetime / time.Second)})
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	reply(w, status, map[string]any{"error": code, "error_description": desc})
}

// authenticate checks a request's credentials and returns the user they
// act as, with the scopes of a bearer token (nil for an API token, which
// may do anything its agent may). A refusal has been answered.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (client string, scopes []string, ok bool) {
	auth := r.Header.Get("Authorization")
	if tok, bearer := strings.CutPrefix(auth, "Bearer "); bearer {
		t := s.tokens[tok]
		if t == nil || t.revoked || !s.now().Before(t.expires) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="Zendesk", error="invalid_token", error_description="The access token is invalid"`)
			oauthError(w, http.StatusUnauthorized, "invalid_token", "The access token provided is expired, revoked, malformed or invalid for other reasons.")
			return "", nil, false
		}
		return t.client, t.scopes, true
	}
	if auth != s.auth || s.apiTokensOff {
		reply(w, http.StatusUnauthorized, map[string]any{"error": "Couldn't authenticate you"})
		return "", nil, false
	}
	return "", nil, true // the API token's agent
}

// requiredScope is the scope an endpoint needs of a bearer token.
func requiredScope(method, path string) string {
	resource := "tickets"
	if strings.HasPrefix(path, "/api/v2/users") {
		resource = "users"
	}
	if method == http.MethodGet {
		return resource + ":read"
	}
	return resource + ":write"
}

// granted reports whether scopes allow need: itself, or the broad read or
// write.
func granted(scopes []string, need string) bool {
	_, access, _ := strings.Cut(need, ":")
	return slices.Contains(scopes, need) || slices.Contains(scopes, access)
}

// me answers GET /api/v2/users/me.json: who the credentials act as, the
// OAuth client's owner or (client "") the API token's agent.
func (s *Server) me(w http.ResponseWriter, client string) {
	u := map[string]any{"id": 1, "name": "Agent", "email": s.agentEmail, "role": "admin"}
	if c := s.clients[client]; c != nil {
		u = map[string]any{"id": c.owner, "name": "Integration admin (" + client + ")", "email": client + "@integrations.example.com", "role": "admin"}
	}
	reply(w, http.StatusOK, map[string]any{"user": u})
}
