package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const (
	secretID   = "bridge/zendesk-to-braze"
	apiKey     = "braze-e2e-key"
	hookSecret = "local-zendesk-webhook-secret" // what the events/ files are signed with
	zdAgent    = "agent@example.com"
	zdToken    = "zd-e2e-read-token"
)

type e2e struct {
	fn   *lambdatest.Function
	bz   *brazetest.Server
	zd   *zendesktest.Server
	moto *mototest.Moto
}

func secret() map[string]string {
	return map[string]string{"braze_api_key": apiKey, "zendesk_webhook_secret": hookSecret,
		"zendesk_email": zdAgent, "zendesk_api_token": zdToken}
}

func start(t *testing.T, env ...string) *e2e {
	t.Helper()
	bz := brazetest.New(apiKey)
	t.Cleanup(bz.Close)
	bz.AssumeProfilesExist() // every requester here is a Braze user
	return startWith(t, bz, secret(), env...)
}

// startWith runs the built function against bz, with the secret given.
func startWith(t *testing.T, bz *brazetest.Server, sec map[string]string, env ...string) *e2e {
	t.Helper()
	moto := mototest.Start(t)
	moto.Put(t, secretID, sec)
	zd := zendesktest.New(zdAgent, zdToken)
	zd.AddSamples()
	t.Cleanup(zd.Close)
	vars := append(moto.Env(), "SECRET_ID="+secretID, "BRAZE_REST_ENDPOINT="+bz.URL, "ZENDESK_BASE_URL="+zd.URL, "AWS_LAMBDA_LOG_LEVEL=DEBUG")
	fn := lambdatest.Start(t, lambdatest.Build(t, "zendesk-to-braze"), append(vars, env...)...)
	return &e2e{fn: fn, bz: bz, zd: zd, moto: moto}
}

// event loads an events/ file and signs it now, as Zendesk would send it;
// the bad-signature sample is signed with another secret.
func event(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", name))
	secret := hookSecret
	if strings.Contains(name, "bad-signature") {
		secret = "not-the-secret"
	}
	if err := apigw.SignZendesk(&ev, secret, time.Now()); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestEvents(t *testing.T) {
	want := map[string]struct {
		status int
		check  func(t *testing.T, bz *brazetest.Server)
	}{
		"zendesk-to-braze.json": {200, func(t *testing.T, bz *brazetest.Server) {
			ev := bz.Events()[len(bz.Events())-1]
			props := ev["properties"].(map[string]any)
			if ev["name"] != "zendesk_ticket_solved" || ev["external_id"] != "user-123" || props["ticket_id"] != float64(4211) {
				t.Errorf("event = %v", ev)
			}
			if _, kept := props["satisfaction"]; kept {
				t.Error("an unrendered placeholder became a property")
			}
		}},
		"zendesk-to-braze-users-track.json": {200, func(t *testing.T, bz *brazetest.Server) {
			// The body's own attributes, as written: no support state is
			// added to a /users/track body.
			a := bz.Attributes()
			if last := a[len(a)-1]; last["zendesk_last_ticket_status"] != "Solved" || last["zendesk_open_tickets"] != nil {
				t.Errorf("attributes = %v", a)
			}
		}},
		"zendesk-to-braze-bad-signature.json": {401, nil},
		"zendesk-to-braze-ticket-status-changed.json": {200, func(t *testing.T, bz *brazetest.Server) {
			ev := bz.Events()[len(bz.Events())-1]
			props := ev["properties"].(map[string]any)
			if ev["name"] != "zendesk_ticket_solved" || ev["external_id"] != "user-123" || props["ticket_id"] != float64(4211) ||
				props["subject"] != `My 27" monitor "flickers" \ again` || props["previous_status"] != "open" {
				t.Errorf("event = %v", ev)
			}
		}},
		"zendesk-to-braze-recommended.json": {200, func(t *testing.T, bz *brazetest.Server) {
			ev := bz.Events()[len(bz.Events())-1]
			props := ev["properties"].(map[string]any)
			if ev["name"] != "zendesk_ticket_solved" || ev["external_id"] != "user-123" || props["subject"] != `My 27" monitor "flickers" \ again` {
				t.Errorf("event = %v", ev)
			}
		}},
		"zendesk-to-braze-user-created.json": {200, nil},
		"zendesk-to-braze-comment-added.json": {200, func(t *testing.T, bz *brazetest.Server) {
			ev := bz.Events()[len(bz.Events())-1]
			props := ev["properties"].(map[string]any)
			if ev["name"] != "zendesk_ticket_comment_added" || ev["external_id"] != "user-123" || props["public"] != true || props["author_is_staff"] != false {
				t.Errorf("event = %v", ev)
			}
		}},
		// An internal note is no customer event: nothing is sent.
		"zendesk-to-braze-internal-note.json": {200, nil},
	}
	files := lambdatest.EventFiles(t, "zendesk-to-braze", want)
	env := start(t)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			exp := want[name]
			before := len(env.bz.Requests())
			resp := env.fn.Invoke(t, event(t, name))
			lambdatest.JSON(t, resp)
			if resp.StatusCode != exp.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, exp.status, resp.Body)
			}
			if exp.check == nil {
				if len(env.bz.Requests()) != before {
					t.Error("a refused or ignored request reached Braze")
				}
				return
			}
			exp.check(t, env.bz)
		})
	}

	// A Zendesk retry (same invocation id, fresh signature) is not sent again.
	n := len(env.bz.Requests())
	resp := env.fn.Invoke(t, event(t, "zendesk-to-braze.json"))
	if resp.StatusCode != 200 || lambdatest.JSON(t, resp)["duplicate"] != true || len(env.bz.Requests()) != n {
		t.Errorf("retry: %d %s, braze calls %d → %d", resp.StatusCode, resp.Body, n, len(env.bz.Requests()))
	}
	for _, s := range []string{apiKey, hookSecret, "Bearer"} {
		if strings.Contains(env.fn.Logs(), s) {
			t.Errorf("the function's logs contain %q", s)
		}
	}
}

func TestStaleSampleIsRefused(t *testing.T) {
	env := start(t)
	// As committed, the sample's signature is older than five minutes.
	ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "zendesk-to-braze.json"))
	if r := env.fn.Invoke(t, ev); r.StatusCode != 401 || !strings.Contains(lambdatest.JSON(t, r)["error"].(string), "5 minutes") {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
}

// TestRotatedSigningSecretRightAfterColdStart: a zendesk_webhook_secret
// rotated just after the container's cold start read the secret works on
// its first use (Zendesk does not retry a 401).
func TestRotatedSigningSecretRightAfterColdStart(t *testing.T) {
	env := start(t)
	if r := env.fn.Invoke(t, event(t, "zendesk-to-braze.json")); r.StatusCode != 200 { // the cold start reads the secret
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	rotated := secret()
	rotated["zendesk_webhook_secret"] = "rotated-signing-secret"
	env.moto.Put(t, secretID, rotated)
	ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "zendesk-to-braze-users-track.json"))
	if err := apigw.SignZendesk(&ev, "rotated-signing-secret", time.Now()); err != nil {
		t.Fatal(err)
	}
	if r := env.fn.Invoke(t, ev); r.StatusCode != 200 {
		t.Fatalf("the rotated secret's first use: %d %s, want 200", r.StatusCode, r.Body)
	}
}

func TestRotationAndMisconfiguration(t *testing.T) {
	env := start(t)
	if r := env.fn.Invoke(t, event(t, "zendesk-to-braze.json")); r.StatusCode != 200 {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	rotated := secret()
	rotated["braze_api_key"] = "rotated"
	env.moto.Put(t, secretID, rotated)
	env.bz.SetAPIKey("rotated")
	ev := event(t, "zendesk-to-braze-users-track.json")
	if r := env.fn.Invoke(t, ev); r.StatusCode != 200 {
		t.Fatalf("after rotation: %d %s", r.StatusCode, r.Body)
	}

	for _, tc := range []struct{ name, env, want string }{
		{"endpoint not Braze", "BRAZE_REST_ENDPOINT=https://example.com", "BRAZE_REST_ENDPOINT must be a Braze REST endpoint"},
		{"endpoint missing", "BRAZE_REST_ENDPOINT=", "BRAZE_REST_ENDPOINT is not set"},
		{"secret id missing", "SECRET_ID=", "SECRET_ID is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := start(t, tc.env)
			r := env.fn.Invoke(t, event(t, "zendesk-to-braze.json"))
			if r.StatusCode != 500 || !strings.Contains(lambdatest.JSON(t, r)["error"].(string), tc.want) {
				t.Fatalf("%d %s, want 500 saying %q", r.StatusCode, r.Body, tc.want)
			}
		})
	}
}

// TestSendPrivateComments: with SEND_PRIVATE_COMMENTS=yes the internal-note
// sample reaches Braze under its own event name, never the public one; a
// value that is not yes or no is a 500 naming the variable.
func TestSendPrivateComments(t *testing.T) {
	env := start(t, "SEND_PRIVATE_COMMENTS=yes")
	r := env.fn.Invoke(t, event(t, "zendesk-to-braze-internal-note.json"))
	if r.StatusCode != 200 {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	evs := env.bz.Events()
	if len(evs) != 1 {
		t.Fatalf("events = %v", evs)
	}
	props := evs[0]["properties"].(map[string]any)
	if evs[0]["name"] != "zendesk_ticket_private_comment_added" || evs[0]["external_id"] != "user-123" || props["public"] != false || props["author_is_staff"] != true {
		t.Errorf("event = %v", evs[0])
	}

	bad := start(t, "SEND_PRIVATE_COMMENTS=maybe")
	r = bad.fn.Invoke(t, event(t, "zendesk-to-braze-comment-added.json"))
	if msg, _ := lambdatest.JSON(t, r)["error"].(string); r.StatusCode != 500 || !strings.Contains(msg, "SEND_PRIVATE_COMMENTS") {
		t.Errorf("%d %s, want 500 naming SEND_PRIVATE_COMMENTS", r.StatusCode, r.Body)
	}
}
