package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const (
	secretID  = "bridge/braze-to-zendesk"
	agent     = "agent@example.com"
	zdToken   = "zd-e2e-token"
	hookToken = "local-braze-webhook-token" // what the events/ files send
)

type e2e struct {
	fn   *lambdatest.Function
	zd   *zendesktest.Server
	moto *mototest.Moto
}

func start(t *testing.T, env ...string) *e2e {
	t.Helper()
	moto := mototest.Start(t)
	moto.Put(t, secretID, map[string]string{"zendesk_email": agent, "zendesk_api_token": zdToken, "braze_webhook_token": hookToken})
	zd := zendesktest.New(agent, zdToken)
	t.Cleanup(zd.Close)
	vars := append(moto.Env(), "SECRET_ID="+secretID, "ZENDESK_BASE_URL="+zd.URL, "AWS_LAMBDA_LOG_LEVEL=DEBUG")
	fn := lambdatest.Start(t, lambdatest.Build(t, "braze-to-zendesk"), append(vars, env...)...)
	return &e2e{fn: fn, zd: zd, moto: moto}
}

// TestEvents invokes the real bootstrap under the emulator with every
// events/braze-to-zendesk*.json file, as `sam local invoke` would.
func TestEvents(t *testing.T) {
	want := map[string]struct {
		status     int
		externalID string
		ticket     func(t *testing.T, tk map[string]any)
	}{
		"braze-to-zendesk.json": {201, "user-123", func(t *testing.T, tk map[string]any) {
			if tk["status"] != "new" || !strings.HasPrefix(tk["comment"].(map[string]any)["body"].(string), "The user answered No") {
				t.Errorf("ticket = %v", tk)
			}
		}},
		"braze-to-zendesk-clean.json":     {201, "user-456", nil},
		"braze-to-zendesk-base64.json":    {201, "user-789", nil},
		"braze-to-zendesk-bad-token.json": {401, "", nil},
	}
	files := lambdatest.EventFiles(t, "braze-to-zendesk", want)
	env := start(t)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			exp := want[name]
			before := len(env.zd.Tickets())
			resp := env.fn.Invoke(t, lambdatest.LoadEvent(t, path))
			out := lambdatest.JSON(t, resp)
			if resp.StatusCode != exp.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, exp.status, resp.Body)
			}
			if exp.status != 201 {
				if len(env.zd.Tickets()) != before {
					t.Error("a refused request reached Zendesk")
				}
				return
			}
			tks := env.zd.Tickets()
			if len(tks) != before+1 {
				t.Fatalf("tickets = %d, want %d", len(tks), before+1)
			}
			tk := tks[len(tks)-1]
			if out["ticket_id"] != tk["id"] {
				t.Errorf("ticket_id = %v, Zendesk made %v", out["ticket_id"], tk["id"])
			}
			var requester *zendesktest.User
			for _, u := range env.zd.Users() {
				if u.ExternalID == exp.externalID {
					requester = &u
				}
			}
			if requester == nil || tk["requester_id"] != float64(requester.ID) {
				t.Errorf("ticket requester_id = %v, want the user with external_id %s (%v)", tk["requester_id"], exp.externalID, env.zd.Users())
			}
			if exp.ticket != nil {
				exp.ticket(t, tk)
			}
		})
	}
	// Replaying the seed event (a Braze retry) files no second ticket.
	n := len(env.zd.Tickets())
	resp := env.fn.Invoke(t, lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "braze-to-zendesk.json")))
	if resp.StatusCode != 201 || len(env.zd.Tickets()) != n {
		t.Errorf("replay: status %d, tickets %d → %d", resp.StatusCode, n, len(env.zd.Tickets()))
	}
	for _, s := range []string{zdToken, hookToken, "Bearer", "Basic"} {
		if strings.Contains(env.fn.Logs(), s) {
			t.Errorf("the function's logs contain %q", s)
		}
	}
}

func TestRotationThroughSecretsManager(t *testing.T) {
	env := start(t)
	ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "braze-to-zendesk-clean.json"))
	if r := env.fn.Invoke(t, ev); r.StatusCode != 201 {
		t.Fatalf("first: %d %s", r.StatusCode, r.Body)
	}
	env.moto.Put(t, secretID, map[string]string{"zendesk_email": agent, "zendesk_api_token": "rotated", "braze_webhook_token": hookToken})
	env.zd.SetCredentials(agent, "rotated")
	ev.Headers["idempotency-key"] = "after-rotation"
	if r := env.fn.Invoke(t, ev); r.StatusCode != 201 {
		t.Fatalf("after rotation: %d %s", r.StatusCode, r.Body)
	}
}

// TestRotatedWebhookTokenRightAfterColdStart: a braze_webhook_token rotated
// just after the container's cold start read the secret works on its first
// use (Braze does not retry a 401), while a wrong token right after it is
// refused without another read.
func TestRotatedWebhookTokenRightAfterColdStart(t *testing.T) {
	env := start(t)
	ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "braze-to-zendesk-clean.json"))
	if r := env.fn.Invoke(t, ev); r.StatusCode != 201 { // the cold start reads the secret
		t.Fatalf("first: %d %s", r.StatusCode, r.Body)
	}
	env.moto.Put(t, secretID, map[string]string{"zendesk_email": agent, "zendesk_api_token": zdToken, "braze_webhook_token": "rotated-hook-token"})
	ev.Headers["authorization"] = "Bearer rotated-hook-token"
	ev.Headers["idempotency-key"] = "after-rotation"
	if r := env.fn.Invoke(t, ev); r.StatusCode != 201 {
		t.Fatalf("the rotated token's first use: %d %s, want 201", r.StatusCode, r.Body)
	}
	ev.Headers["authorization"] = "Bearer " + hookToken // the old one, now wrong
	ev.Headers["idempotency-key"] = "old-token"
	if r := env.fn.Invoke(t, ev); r.StatusCode != 401 {
		t.Fatalf("the old token: %d %s, want 401", r.StatusCode, r.Body)
	}
}

func TestMisconfiguration(t *testing.T) {
	ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "braze-to-zendesk-clean.json"))
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"secret does not exist", []string{"SECRET_ID=bridge/nope"}, "bridge/nope does not exist"},
		{"no Zendesk host", []string{"ZENDESK_BASE_URL=", "ZENDESK_SUBDOMAIN="}, "ZENDESK_SUBDOMAIN is not set"},
		{"plain http elsewhere", []string{"ZENDESK_BASE_URL=http://zendesk.example.com"}, "only for a loopback host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := start(t, tc.env...)
			for range 2 { // the process keeps serving
				r := env.fn.Invoke(t, ev)
				if r.StatusCode != 500 || !strings.Contains(lambdatest.JSON(t, r)["error"].(string), tc.want) {
					t.Fatalf("got %d %s, want 500 saying %q", r.StatusCode, r.Body, tc.want)
				}
			}
			if len(env.zd.Requests()) != 0 {
				t.Error("Zendesk was called")
			}
		})
	}
}

func TestOversizedBody(t *testing.T) {
	env := start(t)
	ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "braze-to-zendesk-clean.json"))
	ev.Body = `{"ticket": {"comment": {"body": "` + strings.Repeat("x", 256<<10) + `"}}}`
	r := env.fn.Invoke(t, ev)
	if r.StatusCode != 413 {
		t.Fatalf("status = %d, want 413", r.StatusCode)
	}
}

// A passing Secrets Manager fault, seen from Braze through the built
// function: 503 with Retry-After (which Braze retries), a message saying
// which fault and never the SDK's, Zendesk untouched; then recovery
// without a restart.
func TestSecretsManagerFaults(t *testing.T) {
	moto := mototest.Start(t)
	moto.Put(t, secretID, map[string]string{"zendesk_email": agent, "zendesk_api_token": zdToken, "braze_webhook_token": hookToken})
	proxy := mototest.StartFaultProxy(t, moto)
	zd := zendesktest.New(agent, zdToken)
	t.Cleanup(zd.Close)
	vars := append(proxy.Env(), "SECRET_ID="+secretID, "ZENDESK_BASE_URL="+zd.URL)
	fn := lambdatest.Start(t, lambdatest.Build(t, "braze-to-zendesk"), vars...)
	ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "braze-to-zendesk-clean.json"))

	for _, tc := range []struct {
		mode mototest.Mode
		says string
	}{
		{mototest.Throttle, "throttling"},
		{mototest.ServerError, "failed"},
		{mototest.CloseConn, "could not be reached"},
		{mototest.Hang, "in time"},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			proxy.Set(tc.mode)
			r := fn.Invoke(t, ev)
			msg, _ := lambdatest.JSON(t, r)["error"].(string)
			if r.StatusCode != 503 || r.Headers["retry-after"] == "" || !strings.Contains(msg, tc.says) {
				t.Fatalf("%d %v %s, want 503 with Retry-After saying %q", r.StatusCode, r.Headers, r.Body, tc.says)
			}
			for _, leak := range []string{"RequestID", "operation error", "api error", "arn:", "ThrottlingException", "127.0.0.1"} {
				if strings.Contains(r.Body, leak) {
					t.Errorf("the answer carries SDK text %q: %s", leak, r.Body)
				}
			}
		})
	}
	if len(zd.Requests()) != 0 {
		t.Error("Zendesk was called without a secret")
	}
	proxy.Set(mototest.Pass)
	if r := fn.Invoke(t, ev); r.StatusCode != 201 {
		t.Fatalf("after Secrets Manager recovered: %d %s", r.StatusCode, r.Body)
	}
	if strings.Contains(fn.Logs(), hookToken) || strings.Contains(fn.Logs(), zdToken) {
		t.Error("the logs carry a secret")
	}
}

// TestZendeskIdentityQuirks runs the built function against a stand-in
// that behaves as Zendesk's reference says: external ids compared ignoring
// case, email identities beyond the primary address, and a taken external
// id's 422 filed under "name".
func TestZendeskIdentityQuirks(t *testing.T) {
	env := start(t)
	env.zd.ExternalIDTakenUnder = "name"
	upper := env.zd.AddUser(zendesktest.User{Name: "Upper", Email: "upper@example.com", ExternalID: "Abc"})
	xena := env.zd.AddUser(zendesktest.User{Name: "Xena", Email: "xena@example.com", ExternalID: "u1"})
	env.zd.AddEmailIdentity(xena, "x.work@example.com")
	flo := env.zd.AddUser(zendesktest.User{Name: "Flo", ExternalID: "u9"})
	body := func(requester string) string {
		return `{"ticket": {"subject": "Help", ` + requester + `, "comment": {"body": "It \"broke\" \\ again"}}}`
	}
	for i, tc := range []struct {
		name, body  string
		searchEmpty bool // Zendesk's search has not seen the user yet
		check       func(t *testing.T, tk map[string]any)
	}{
		{"external id held in another case", body(`"requester_id": "abc", "requester": {"email": "lower@example.com"}`), false,
			func(t *testing.T, tk map[string]any) {
				if id := int64(tk["requester_id"].(float64)); id == upper {
					t.Error("abc's ticket was filed under Abc's user")
				}
				if u := userOf(t, env.zd, int64(tk["requester_id"].(float64))); u.ExternalID != "" || u.Email != "lower@example.com" {
					t.Errorf("abc's requester %+v, want lower@example.com without an external id", u)
				}
			}},
		{"email-only requester at a secondary address", body(`"requester": {"email": "x.work@example.com"}`), false,
			func(t *testing.T, tk map[string]any) {
				if id := int64(tk["requester_id"].(float64)); id != xena {
					t.Errorf("filed under %d, want %d", id, xena)
				}
			}},
		{"external id taken meanwhile, 422 under name", body(`"requester_id": "u9"`), true,
			func(t *testing.T, tk map[string]any) {
				if id := int64(tk["requester_id"].(float64)); id != flo {
					t.Errorf("filed under %d, want %d", id, flo)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.searchEmpty {
				env.zd.Script(zendesktest.SearchUsersPath, zendesktest.Reply{Status: 200, Body: `{"users": [], "count": 0, "next_page": null, "previous_page": null}`})
			}
			before := len(env.zd.Tickets())
			r := env.fn.Invoke(t, brazeWebhook(i, tc.body, fmt.Sprintf("quirk-%d", i)))
			if r.StatusCode != 201 {
				t.Fatalf("%d %s, want 201", r.StatusCode, r.Body)
			}
			tks := env.zd.Tickets()
			if len(tks) != before+1 {
				t.Fatalf("tickets %d, want %d", len(tks), before+1)
			}
			tc.check(t, tks[len(tks)-1])
		})
	}
}

func userOf(t *testing.T, zd *zendesktest.Server, id int64) zendesktest.User {
	t.Helper()
	for _, u := range zd.Users() {
		if u.ID == id {
			return u
		}
	}
	t.Fatalf("no user %d", id)
	return zendesktest.User{}
}
