package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/faulttest"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const (
	oauthClient = "braze_bridge_reader"
	oauthSecret = "e2e-reader-client-secret"
)

// startOAuth runs the function on OAuth alone: the stand-in has switched
// API tokens off, as Zendesk will on 30 April 2027.
func startOAuth(t *testing.T, allowed ...string) (*e2e, *faulttest.Clock) {
	t.Helper()
	bz := brazetest.New(apiKey)
	t.Cleanup(bz.Close)
	bz.AssumeProfilesExist()
	e := startWith(t, bz, map[string]string{"braze_api_key": apiKey, "zendesk_webhook_secret": hookSecret,
		"zendesk_oauth_client_id": oauthClient, "zendesk_oauth_client_secret": oauthSecret})
	// Before the function's first request: tokens age on clock.
	clock := faulttest.NewClock(time.Now())
	e.zd.Now = clock.Now
	e.zd.AddOAuthClient(oauthClient, oauthSecret, allowed...)
	e.zd.DisableAPITokens(true)
	return e, clock
}

func TestOAuthReadsTicketsAndRequesters(t *testing.T) {
	e, clock := startOAuth(t)
	send := func(id int64, what string) {
		t.Helper()
		e.zd.AddTicket(map[string]any{"id": id, "subject": "Hi", "status": "solved", "requester_id": zendesktest.SampleRequesterID})
		ev := event(t, "zendesk-to-braze-recommended.json")
		ev.Body = strings.Replace(ev.Body, `"ticket_id": "4211"`, fmt.Sprintf(`"ticket_id": "%d"`, id), 1)
		ev.Headers["x-zendesk-webhook-invocation-id"] = fmt.Sprint("oauth-", id)
		if err := apigw.SignZendesk(&ev, hookSecret, time.Now()); err != nil {
			t.Fatal(err)
		}
		if r := e.fn.Invoke(t, ev); r.StatusCode != 200 {
			t.Fatalf("%s: %d %s", what, r.StatusCode, r.Body)
		}
	}
	for i := range 4 {
		send(int64(5000+i), "warm container")
	}
	if n := e.zd.TokensMinted(); n != 1 {
		t.Fatalf("%d tokens for 4 deliveries, want 1", n)
	}
	e.zd.RevokeTokens()
	send(5100, "token revoked")
	clock.Advance(3 * time.Hour)
	send(5101, "token expired")
	if n := e.zd.TokensMinted(); n != 3 {
		t.Errorf("%d tokens minted, want 3", n)
	}
	if got := len(e.bz.Events()); got != 6 {
		t.Errorf("%d Braze events for 6 deliveries", got)
	}
	tokenReq := e.zd.RequestsTo(zendesktest.TokensPath)[0]
	if !strings.Contains(string(tokenReq.Body), `"scope":"tickets:read users:read"`) {
		t.Errorf("token request %s: want the read scopes only", tokenReq.Body)
	}
	logs := e.fn.Logs()
	for _, q := range e.zd.Requests() {
		auth := q.Header.Get("Authorization")
		if strings.HasPrefix(auth, "Basic") {
			t.Fatalf("%s %s carried an API token", q.Method, q.Path)
		}
		if tok, ok := strings.CutPrefix(auth, "Bearer "); ok && strings.Contains(logs, tok) {
			t.Error("the logs carry an access token")
		}
	}
	if strings.Contains(logs, oauthSecret) {
		t.Error("the logs carry the client secret")
	}
}

func TestOAuthScopeRefusedNamesIt(t *testing.T) {
	e, _ := startOAuth(t, "tickets:read") // the client may not read users
	r := e.fn.Invoke(t, event(t, "zendesk-to-braze-recommended.json"))
	msg, _ := lambdatest.JSON(t, r)["error"].(string)
	if r.StatusCode != 502 || !strings.Contains(msg, "users:read") {
		t.Fatalf("%d %q, want 502 naming users:read", r.StatusCode, msg)
	}
	if len(e.bz.Requests()) != 0 {
		t.Error("Braze was called")
	}
	if !strings.Contains(e.fn.Logs(), `"CredentialFailures":1`) {
		t.Error("no credential failure was counted")
	}
}
