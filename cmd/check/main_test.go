package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// The credentials of the tests, each a value that must never be printed.
const (
	clientID      = "braze_bridge_client"
	clientSecret  = "cs-0f3c9a7e-secret-value"
	agentEmail    = "agent@example.com"
	apiToken      = "zd-api-token-value"
	brazeKey      = "0b2f7c1e-4d5a-4e8b-9c3d-2a1f0e9d8c7b" // the shape of a Braze REST key
	webhookSecret = "zd-webhook-signing-secret"
	webhookToken  = "braze-webhook-bearer-token-value"
)

// env is a Zendesk and a Braze stand-in that accept the test's credentials.
type env struct {
	zd *zendesktest.Server
	bz *brazetest.Server
}

func start(t *testing.T) env {
	t.Helper()
	zd := zendesktest.New(agentEmail, apiToken)
	zd.AddOAuthClient(clientID, clientSecret)
	t.Cleanup(zd.Close)
	bz := brazetest.New(brazeKey)
	t.Cleanup(bz.Close)
	return env{zd: zd, bz: bz}
}

// oauthSecret is a secrets file of both functions, on OAuth.
func oauthSecret() map[string]string {
	return map[string]string{
		zendesk.KeyOAuthClientID:     clientID,
		zendesk.KeyOAuthClientSecret: clientSecret,
		"braze_api_key":              brazeKey,
		"zendesk_webhook_secret":     webhookSecret,
		"braze_webhook_token":        webhookToken,
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	c := map[string]string{}
	for k, v := range m {
		c[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(c, kv[i])
		} else {
			c[kv[i]] = kv[i+1]
		}
	}
	return c
}

func secretsFile(t *testing.T, v map[string]string) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// check runs the command against the stand-ins with a local secrets file.
func (e env) check(t *testing.T, v map[string]string, args ...string) (string, error) {
	t.Helper()
	args = append([]string{"-secrets", secretsFile(t, v), "-zendesk", e.zd.URL, "-braze", e.bz.URL}, args...)
	var out bytes.Buffer
	err := run(context.Background(), args, &out)
	e.noSecretIn(t, out.String())
	return out.String(), err
}

var bearer = regexp.MustCompile(`^Bearer (.+)$`)

// noSecretIn fails the test when out holds any secret value of the test,
// or any access token the stand-in saw.
func (e env) noSecretIn(t *testing.T, out string) {
	t.Helper()
	// The client id is an identifier, not a secret (Zendesk's stand-in
	// names the client's owner after it); the check never prints it itself.
	secret := []string{clientSecret, apiToken, brazeKey, webhookSecret, webhookToken, zendesk.TestSigningSecret}
	for _, r := range e.zd.Requests() {
		if m := bearer.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			secret = append(secret, m[1])
		}
	}
	for _, s := range secret {
		if strings.Contains(out, s) {
			t.Errorf("the output holds a secret or token (%.4s…):\n%s", s, out)
		}
	}
}

func contains(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("the output lacks %q:\n%s", w, out)
		}
	}
}

// TestOAuthAllGood: both functions of a local secrets file, on OAuth: a
// token minted for each function with its own scopes, whom it acts as,
// the Braze key proven without a write, the signing secret checked.
func TestOAuthAllGood(t *testing.T) {
	e := start(t)
	out, err := e.check(t, oauthSecret())
	if err != nil {
		t.Fatalf("err = %v\n%s", err, out)
	}
	contains(t, out,
		"BrazeToZendesk: all good", "ZendeskToBraze: all good",
		"minted with the scopes tickets:read tickets:write users:read users:write, valid until",
		"minted with the scopes tickets:read users:read, valid until",
		"the credentials act as", "files tickets as this user", "reads tickets and their requesters as this user",
		"accepted braze_api_key for /users/track",
		"zendesk_webhook_secret is set, and is not Zendesk's published test secret",
		"braze_webhook_token is set")
	if strings.Contains(out, "FAIL") || strings.Contains(out, "WARN") {
		t.Errorf("a problem reported:\n%s", out)
	}
	if n := e.zd.TokensMinted(); n != 2 {
		t.Errorf("%d tokens minted, want one per function", n)
	}
	// The tokens were used (so the check for them in the output means
	// something), and never an API token.
	seen := 0
	for _, r := range e.zd.Requests() {
		if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
			seen++
		} else if a != "" {
			t.Errorf("a call with %.6s… credentials", a)
		}
	}
	if seen != 2 {
		t.Errorf("%d calls with a token, want a users/me per function", seen)
	}
	// The token request is Zendesk's client credentials grant, with each
	// function's scopes, as the functions send it.
	var scopes []string
	for _, r := range e.zd.RequestsTo(zendesktest.TokensPath) {
		var body struct {
			GrantType string `json:"grant_type"`
			Scope     string `json:"scope"`
		}
		if json.Unmarshal(r.Body, &body) != nil || body.GrantType != "client_credentials" {
			t.Errorf("token request %s", r.Body)
		}
		scopes = append(scopes, body.Scope)
	}
	if strings.Join(scopes, "|") != "tickets:read tickets:write users:read users:write|tickets:read users:read" {
		t.Errorf("scopes asked: %q", scopes)
	}
	if n := len(e.bz.Attributes()) + len(e.bz.Events()) + len(e.bz.Purchases()); n != 0 {
		t.Errorf("the check wrote %d objects to Braze", n)
	}
	if len(e.zd.Tickets()) != 0 {
		t.Errorf("the check filed a ticket")
	}
}

// TestAPITokenFallbackWarns: a secret still on an API token works, with a
// warning that names the date and how to switch; OAuth wins when both are
// there.
func TestAPITokenFallbackWarns(t *testing.T) {
	e := start(t)
	legacy := with(oauthSecret(), zendesk.KeyOAuthClientID, "", zendesk.KeyOAuthClientSecret, "",
		zendesk.KeyEmail, agentEmail, zendesk.KeyAPIToken, apiToken)
	out, err := e.check(t, legacy, "-fn", "BrazeToZendesk")
	if err != nil {
		t.Fatalf("err = %v\n%s", err, out)
	}
	contains(t, out, "WARN", "API-token fallback", "30 April 2027", "Confidential",
		"put zendesk_oauth_client_id and zendesk_oauth_client_secret in", "BrazeToZendesk: works, with 1 warning",
		"the credentials act as")
	if n := e.zd.TokensMinted(); n != 0 {
		t.Errorf("%d tokens minted on the API token", n)
	}

	both := with(legacy, zendesk.KeyOAuthClientID, clientID, zendesk.KeyOAuthClientSecret, clientSecret)
	out, err = e.check(t, both, "-fn", "ZendeskToBraze")
	if err != nil || strings.Contains(out, "WARN") || !strings.Contains(out, "minted with the scopes tickets:read users:read") {
		t.Errorf("with both kinds, err = %v:\n%s", err, out)
	}
}

// TestProblems: each failure is reported in plain words with what to
// fix, the check exits non-zero, and nothing secret is printed.
func TestProblems(t *testing.T) {
	forbidden := `{"error": {"title": "Forbidden", "message": "You are missing the following required scopes: users:read"}}`
	for _, tc := range []struct {
		name   string
		fn     string
		secret map[string]string
		setup  func(e env)
		want   []string
	}{
		{"invalid_client: a wrong client secret", "BrazeToZendesk",
			with(oauthSecret(), zendesk.KeyOAuthClientSecret, "not-the-secret"), nil,
			[]string{"FAIL", "invalid_client", "the client's Identifier (not its name or number)", "shown once"}},
		{"invalid_client: an unknown client", "ZendeskToBraze",
			with(oauthSecret(), zendesk.KeyOAuthClientID, "no_such_client"), nil,
			[]string{"FAIL", "invalid_client", "put zendesk_oauth_client_id and zendesk_oauth_client_secret in"}},
		{"invalid_scope: a client restricted to reading", "BrazeToZendesk", with(oauthSecret(), zendesk.KeyOAuthClientID, "reading_client"),
			func(e env) { e.zd.AddOAuthClient("reading_client", clientSecret, "tickets:read", "users:read") },
			[]string{"FAIL", "invalid_scope", "allowed scopes include tickets:read tickets:write users:read users:write"}},
		{"a call refused for want of a scope", "ZendeskToBraze", oauthSecret(),
			func(e env) { e.zd.Script("/api/v2/users/me.json", zendesktest.Reply{Status: 403, Body: forbidden}) },
			[]string{"FAIL", "lacks the scope users:read (403)", "allow users:read for the OAuth client"}},
		{"the token acts as an end user", "BrazeToZendesk", oauthSecret(),
			func(e env) {
				e.zd.Script("/api/v2/users/me.json", zendesktest.Reply{Status: 200,
					Body: `{"user": {"id": 77, "name": "Eve Enduser", "email": "eve@example.com", "role": "end-user", "active": true}}`})
			},
			[]string{"FAIL", "Eve Enduser (user 77, role end-user), who is not an agent or admin", "dedicated Zendesk admin"}},
		{"an API token Zendesk no longer honours", "BrazeToZendesk",
			with(oauthSecret(), zendesk.KeyOAuthClientID, "", zendesk.KeyOAuthClientSecret, "", zendesk.KeyEmail, agentEmail, zendesk.KeyAPIToken, apiToken),
			func(e env) { e.zd.DisableAPITokens(true) },
			[]string{"FAIL", "Zendesk refused zendesk_email / zendesk_api_token", "stop working on 30 April 2027", "Add OAuth client"}},
		{"no Zendesk credentials at all", "ZendeskToBraze",
			with(oauthSecret(), zendesk.KeyOAuthClientID, "", zendesk.KeyOAuthClientSecret, ""), nil,
			[]string{"FAIL", "the secret has no Zendesk credentials", "Add OAuth client"}},
		{"only half of the OAuth client", "BrazeToZendesk",
			with(oauthSecret(), zendesk.KeyOAuthClientSecret, ""), nil,
			[]string{"FAIL", "the secret has no Zendesk credentials"}},
		{"Braze: a key Braze does not know (401)", "ZendeskToBraze",
			with(oauthSecret(), "braze_api_key", "not-a-braze-key"), nil,
			[]string{"FAIL", "Braze does not know braze_api_key (401", "copy the REST API key again"}},
		{"Braze: a key of another instance (404)", "ZendeskToBraze",
			with(oauthSecret(), "braze_api_key", "1b2f7c1e-4d5a-4e8b-9c3d-2a1f0e9d8c7b"), nil,
			[]string{"FAIL", "does not know braze_api_key (404", "another Braze instance"}},
		{"Braze: a key without users.track (403)", "ZendeskToBraze", oauthSecret(),
			func(e env) { e.bz.DenyTrack(true) },
			[]string{"FAIL", "Braze refused braze_api_key for /users/track (403", "users.track permission"}},
		{"Braze: no key", "ZendeskToBraze", with(oauthSecret(), "braze_api_key", ""), nil,
			[]string{"FAIL", "braze_api_key is empty", "users.track"}},
		{"Zendesk's published test secret", "ZendeskToBraze",
			with(oauthSecret(), "zendesk_webhook_secret", zendesk.TestSigningSecret), nil,
			[]string{"FAIL", "zendesk_webhook_secret is Zendesk's published test secret", "Reveal secret"}},
		{"no signing secret", "ZendeskToBraze", with(oauthSecret(), "zendesk_webhook_secret", ""), nil,
			[]string{"FAIL", "zendesk_webhook_secret is empty", "Reveal secret"}},
		{"no Braze webhook token", "BrazeToZendesk", with(oauthSecret(), "braze_webhook_token", ""), nil,
			[]string{"FAIL", "braze_webhook_token is empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			out, err := e.check(t, tc.secret, "-fn", tc.fn)
			if !errors.Is(err, errProblems) {
				t.Errorf("err = %v, want errProblems", err)
			}
			contains(t, out, tc.want...)
			contains(t, out, tc.fn+": 1 to fix")
			if n := len(e.bz.Attributes()) + len(e.bz.Events()) + len(e.bz.Purchases()); n != 0 {
				t.Errorf("the check wrote %d objects to Braze", n)
			}
		})
	}
}

// TestDeployedSecret reads the stack's secret from Secrets Manager, named
// as make secrets names it.
func TestDeployedSecret(t *testing.T) {
	m := mototest.Start(t)
	e := start(t)
	m.Put(t, "bridge/braze-to-zendesk", map[string]string{
		zendesk.KeyOAuthClientID: clientID, zendesk.KeyOAuthClientSecret: clientSecret,
		"braze_webhook_token": webhookToken, zendesk.KeyEmail: "", zendesk.KeyAPIToken: "",
	})
	m.Put(t, "bridge/zendesk-to-braze", with(oauthSecret(), zendesk.KeyOAuthClientSecret, "rotated-but-not-here"))
	check := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"-zendesk", e.zd.URL, "-braze", e.bz.URL}, args...), &out)
		e.noSecretIn(t, out.String())
		for _, s := range []string{"rotated-but-not-here"} {
			if strings.Contains(out.String(), s) {
				t.Errorf("the output holds a secret:\n%s", out.String())
			}
		}
		return out.String(), err
	}

	out, err := check("-fn", "BrazeToZendeskFunction", "-stack", "bridge")
	if err != nil {
		t.Fatalf("err = %v\n%s", err, out)
	}
	contains(t, out, "BrazeToZendesk: secret bridge/braze-to-zendesk", "BrazeToZendesk: all good")

	out, err = check("-fn", "ZendeskToBraze", "-stack", "bridge")
	if !errors.Is(err, errProblems) {
		t.Errorf("err = %v", err)
	}
	contains(t, out, "invalid_client", "make secrets FN=ZendeskToBraze STACK=bridge KEYS=zendesk_oauth_client_id,zendesk_oauth_client_secret",
		"make check-credentials FN=ZendeskToBraze again")

	out, err = check("-fn", "BrazeToZendesk", "-stack", "nope")
	if !errors.Is(err, errProblems) {
		t.Errorf("err = %v", err)
	}
	contains(t, out, "does not exist", "the secret is nope/braze-to-zendesk: check STACK")
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-zendesk", "acme"}, "-fn must be BrazeToZendesk or ZendeskToBraze"},
		{[]string{"-fn", "Other", "-zendesk", "acme"}, "-fn must be"},
		{[]string{"-fn", "BrazeToZendesk"}, "-zendesk is needed"},
		{[]string{"-fn", "ZendeskToBraze", "-zendesk", "acme"}, "-braze is needed"},
		{[]string{"-secrets", "x.json", "-zendesk", "acme"}, "-braze is needed"},
		{[]string{"-fn", "BrazeToZendesk", "-zendesk", "acme", "extra"}, "unexpected arguments"},
	} {
		err := run(context.Background(), tc.args, &bytes.Buffer{})
		if err == nil || errors.Is(err, errProblems) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}
