package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

const (
	hookToken  = "local-braze-webhook-token"    // local/secrets.example.json
	hookSecret = "local-zendesk-webhook-secret" // local/secrets.example.json
)

// inRoot runs the test from the module root, where the command's default
// paths (local/, events/) are.
func inRoot(t *testing.T) {
	t.Helper()
	t.Chdir(lambdatest.Root(t))
}

// startAPI serves the local API on a free port with stand-ins and returns its base URL.
func startAPI(t *testing.T) string {
	t.Helper()
	inRoot(t)
	ctx, cancel := context.WithCancel(context.Background())
	o := options{addr: "127.0.0.1:0", secrets: "local/secrets.example.json"}
	r, err := start(ctx, o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-r.done; r.stop() })
	return r.base
}

func post(t *testing.T, url, contentType string, body []byte, headers ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s answered %d with a body that is not JSON: %q", url, resp.StatusCode, b)
	}
	return resp.StatusCode, resp.Header, out
}

const ticket = `{"ticket": {"requester_id": "user-9", "requester": {"email": "nine@example.com"}, "comment": {"body": "hello"}}}`

func TestLocalAPI(t *testing.T) {
	base := startAPI(t)
	now := time.Now().UTC().Format(time.RFC3339)
	flat := []byte(`{"status": "Solved", "external_id": "user-9", "ticket_id": "5"}`)
	signed := []string{zendesk.SignatureTimestampHeader, now, zendesk.SignatureHeader, zendesk.Sign(hookSecret, now, flat)}

	for _, tc := range []struct {
		name        string
		path        string
		contentType string
		body        []byte
		headers     []string
		status      int
	}{
		{"ticket filed", "/braze/tickets", "application/json", []byte(ticket), []string{"Authorization", "Bearer " + hookToken}, 201},
		{"binary content type arrives base64 and still works", "/braze/tickets", "application/octet-stream",
			[]byte(strings.Replace(ticket, "hello", "bytes", 1)), []string{"Authorization", "Bearer " + hookToken}, 201},
		{"wrong token", "/braze/tickets", "application/json", []byte(ticket), []string{"Authorization", "Bearer nope"}, 401},
		{"no token", "/braze/tickets", "application/json", []byte(ticket), nil, 401},
		{"not JSON", "/braze/tickets", "application/json", []byte(`{"ticket": `), []string{"Authorization", "Bearer " + hookToken}, 400},
		{"bad enum", "/braze/tickets", "application/json", []byte(strings.Replace(ticket, `"comment"`, `"priority": "asap", "comment"`, 1)),
			[]string{"Authorization", "Bearer " + hookToken}, 400},
		{"body over 256 KiB", "/braze/tickets", "application/json", bytes.Repeat([]byte("x"), 256<<10+1), []string{"Authorization", "Bearer " + hookToken}, 413},
		{"signed Zendesk body", "/zendesk/events", "application/json", flat, signed, 200},
		{"unsigned Zendesk body", "/zendesk/events", "application/json", flat, nil, 401},
		{"Zendesk body without identifier", "/zendesk/events", "application/json", []byte(`{"status": "solved"}`),
			[]string{zendesk.SignatureTimestampHeader, now, zendesk.SignatureHeader, zendesk.Sign(hookSecret, now, []byte(`{"status": "solved"}`))}, 400},
		{"unknown route", "/nope", "application/json", []byte(`{}`), nil, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, out := post(t, base+tc.path, tc.contentType, tc.body, tc.headers...)
			if status != tc.status {
				t.Fatalf("status = %d, want %d: %v", status, tc.status, out)
			}
			if status >= 400 && status != 404 && out["error"] == nil {
				t.Errorf("no error message: %v", out)
			}
			if h.Get("Content-Type") != "application/json" {
				t.Errorf("content type = %q", h.Get("Content-Type"))
			}
		})
	}

	// A GET is not a route of the HTTP API either.
	resp, err := http.Get(base + "/braze/tickets")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /braze/tickets = %d, want 404", resp.StatusCode)
	}
}

func TestDemo(t *testing.T) {
	inRoot(t)
	// The demo must not need port 3000 (make local's): hold it.
	if l, err := net.Listen("tcp", "127.0.0.1:3000"); err == nil {
		defer l.Close()
	}
	var out bytes.Buffer
	if err := demo(context.Background(), nil, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	// One round trip: the ticket filed is the one Braze hears was solved.
	for _, want := range []string{`"ticket_id": 9000004`, "solves ticket 9000004", "webhook for ticket 9000004",
		`"name": "zendesk_ticket_solved"`, `"external_id": "user-123"`, `"ticket_id": 9000004,`,
		"the bridge answered Braze 201", "the bridge answered Zendesk 200",
		// Zendesk is called on OAuth: one token, minted with the client
		// credentials grant, for the whole round trip.
		"Zendesk received POST /oauth/tokens → 201", `"grant_type": "client_credentials"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String()[strings.Index(out.String(), "Done:"):], "http://") {
		t.Errorf("the summary points at a stand-in that is gone: %s", out.String())
	}
	if n := strings.Count(out.String(), "POST /oauth/tokens"); n != 2 {
		t.Errorf("%d token requests, want one per function", n)
	}
	for _, secret := range []string{hookToken, hookSecret, "local-zendesk-oauth-client-secret", "local_braze_bridge", "access_token",
		"local-braze-api-key", "Authorization", "Bearer"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("demo output shows %q", secret)
		}
	}
}

func TestInvoke(t *testing.T) {
	inRoot(t)
	for _, tc := range []struct {
		fn, folder, event, want string
	}{
		{"BrazeToZendeskFunction", "braze-to-zendesk", "events/braze-to-zendesk.json", "Response 201"},
		{"ZendeskToBrazeFunction", "zendesk-to-braze", "events/zendesk-to-braze.json", "Response 200"},
		{"ZendeskToBrazeFunction", "zendesk-to-braze", "events/zendesk-to-braze-bad-signature.json", "Response 401"},
	} {
		t.Run(filepath.Base(tc.event), func(t *testing.T) {
			var out bytes.Buffer
			args := []string{"-fn", tc.fn, "-event", tc.event, "-bootstrap", lambdatest.Build(t, tc.folder), "-rie", lambdatest.RIE(t)}
			if err := invoke(context.Background(), args, &out); err != nil {
				t.Fatalf("invoke: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out.String())
			}
		})
	}
	if err := invoke(context.Background(), []string{"-fn", "Nope", "-event", "x"}, io.Discard); err == nil {
		t.Error("an unknown function was accepted")
	}
}

func TestSign(t *testing.T) {
	inRoot(t)
	var out bytes.Buffer
	t.Setenv("ZENDESK_WEBHOOK_SECRET", "")
	if err := sign(context.Background(), []string{"events/zendesk-to-braze.json"}, &out); err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	json.Unmarshal(out.Bytes(), &ev)
	if _, err := zendesk.VerifyZendesk(hookSecret, ev.Headers, []byte(ev.Body), time.Now()); err != nil {
		t.Fatalf("the signed event does not verify: %v", err)
	}
}

// events/env.json is what `sam local invoke --env-vars` reads: with a real
// secret behind SECRET_ID, it must not send that secret's Zendesk token to
// somebody else's account before the operator names their own.
func TestEnvJSONReachesNoZendeskByAccident(t *testing.T) {
	inRoot(t)
	b, err := os.ReadFile("events/env.json")
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"BrazeToZendeskFunction", "ZendeskToBrazeFunction"} {
		vars, ok := env[fn]
		if !ok {
			t.Fatalf("env.json has no %s", fn)
		}
		if _, err := zendesk.BaseURL(vars["ZENDESK_SUBDOMAIN"], vars["ZENDESK_BASE_URL"]); err == nil {
			t.Errorf("%s reaches a Zendesk account (%q) before it is set", fn, vars["ZENDESK_SUBDOMAIN"])
		}
	}
}
