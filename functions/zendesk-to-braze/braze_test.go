package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// What Braze does, through the built function: its contract's object
// limit, its 404 for an unknown key, its time and string limits, and the
// profiles it creates.

func TestE2EUnknownRESTKeyIsACredentialFailure(t *testing.T) {
	bz := brazetest.New("5b1e0c2a-9d4f-4e3b-8a7c-6f5e4d3c2b1a")
	t.Cleanup(bz.Close)
	sec := secret()
	sec["braze_api_key"] = "0c2a5b1e-4f9d-4b3e-8c7a-1a2b3c4d5e6f" // a REST key Braze does not know: 404
	env := startWith(t, bz, sec)
	r := env.fn.Invoke(t, event(t, "zendesk-to-braze.json"))
	out := lambdatest.JSON(t, r)
	msg, _ := out["error"].(string)
	if r.StatusCode != 502 || !strings.Contains(msg, "braze_api_key") || !strings.Contains(msg, "404") {
		t.Fatalf("%d %s, want 502 naming braze_api_key", r.StatusCode, r.Body)
	}
	if n := len(bz.Requests()); n != 2 {
		t.Errorf("Braze was called %d times, want 2 (again after reading the secret)", n)
	}
	logs := env.fn.Logs()
	if !strings.Contains(logs, `"CredentialFailures":1`) {
		t.Errorf("no CredentialFailures metric in the logs:\n%s", logs)
	}
	if strings.Contains(logs, sec["braze_api_key"]) || strings.Contains(string(r.Body), sec["braze_api_key"]) {
		t.Error("the key leaked")
	}
}

func TestE2EObjectsPerRequestOfTheContract(t *testing.T) {
	var evs []string
	for i := range 120 {
		evs = append(evs, fmt.Sprintf(`{"external_id": "u%d", "name": "bulk"}`, i))
	}
	body := `{"events": [` + strings.Join(evs, ",") + `]}`
	for _, tc := range []struct {
		name, env    string
		limit, calls int
	}{
		{"default", "", 75, 2},
		{"MAU contract", "BRAZE_OBJECTS_PER_REQUEST=50", braze.MAUObjects, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bz := brazetest.New(apiKey)
			t.Cleanup(bz.Close)
			bz.AssumeProfilesExist()
			bz.SetObjectsPerRequest(tc.limit)
			var env *e2e
			if tc.env == "" {
				env = startWith(t, bz, secret())
			} else {
				env = startWith(t, bz, secret(), tc.env)
			}
			r := env.fn.Invoke(t, zendeskWebhook(t, 1, body))
			if r.StatusCode != 200 || lambdatest.JSON(t, r)["events_processed"] != 120.0 {
				t.Fatalf("%d %s", r.StatusCode, r.Body)
			}
			calls := bz.RequestsTo(brazetest.TrackPath)
			if len(calls) != tc.calls || len(bz.Events()) != 120 {
				t.Fatalf("%d calls, %d events; want %d, 120", len(calls), len(bz.Events()), tc.calls)
			}
			for _, c := range calls {
				var b braze.Track
				json.Unmarshal(c.Body, &b)
				if b.Len() > tc.limit {
					t.Errorf("a call held %d objects", b.Len())
				}
			}
		})
	}
	for _, bad := range []string{"BRAZE_OBJECTS_PER_REQUEST=76", "BRAZE_OBJECTS_PER_REQUEST=fifty", "BRAZE_CREATE_PROFILES=maybe"} {
		t.Run(bad, func(t *testing.T) {
			env := start(t, bad)
			r := env.fn.Invoke(t, event(t, "zendesk-to-braze.json"))
			name, _, _ := strings.Cut(bad, "=")
			if msg, _ := lambdatest.JSON(t, r)["error"].(string); r.StatusCode != 500 || !strings.Contains(msg, name) {
				t.Fatalf("%d %s, want 500 naming %s", r.StatusCode, r.Body, name)
			}
		})
	}
}

// A Zendesk event webhook as Zendesk sends it: a time in nanoseconds and a
// subject and tag longer than Braze takes.
func TestE2ENanosecondsAndLongText(t *testing.T) {
	env := start(t)
	ada := env.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-ada"})
	subject := strings.Repeat(`Écran 27" qui clignote \ `, 15)
	tag := strings.Repeat("t", 300)
	body := fmt.Sprintf(`{"type": "zen:event-type:ticket.created", "account_id": 12514403, "id": "01JDQ7ZC5XH1Y2F3G4H5J6K7M9",
		"time": "2019-05-25T01:23:45.465719851Z", "zendesk_event_version": "2022-11-06", "subject": "zen:ticket:77",
		"detail": {"id": "77", "requester_id": "%d", "status": "NEW", "subject": %q, "tags": ["vip", %q]}, "event": {}}`, ada, subject, tag)
	r := env.fn.Invoke(t, zendeskWebhook(t, 2, body))
	out := lambdatest.JSON(t, r)
	if r.StatusCode != 200 || out["errors"] != nil || out["events_processed"] != 1.0 {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	evs := env.bz.Events()
	if len(evs) != 1 {
		t.Fatalf("Braze stored %d events", len(evs))
	}
	props := evs[0]["properties"].(map[string]any)
	tags, _ := props["tags"].([]any)
	if evs[0]["time"] != "2019-05-25T01:23:45.465Z" || props["subject"] != braze.ShortenString(subject) ||
		len(tags) != 2 || tags[1] != braze.ShortenString(tag) {
		t.Errorf("event %v", evs[0])
	}
}

// By default no profile is made for a requester Braze does not know;
// BRAZE_CREATE_PROFILES=yes makes one.
func TestE2EProfileCreation(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		created   bool
	}{
		{"default: update only", "", false},
		{"BRAZE_CREATE_PROFILES=yes", "BRAZE_CREATE_PROFILES=yes", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bz := brazetest.New(apiKey)
			t.Cleanup(bz.Close)
			env := startWith(t, bz, secret(), tc.env)
			bo := env.zd.AddUser(zendesktest.User{Name: "Bo", Email: "bo@example.com"})
			body := fmt.Sprintf(`{"type": "zen:event-type:ticket.created", "account_id": 12514403, "id": "e-bo", "time": "2026-11-24T12:00:00Z",
				"subject": "zen:ticket:78", "detail": {"id": "78", "requester_id": "%d", "status": "NEW"}, "event": {}}`, bo)
			r := env.fn.Invoke(t, zendeskWebhook(t, 3, body))
			if r.StatusCode != 200 {
				t.Fatalf("%d %s", r.StatusCode, r.Body)
			}
			made := len(bz.Created()) == 1 && bz.Created()[0] == "email:bo@example.com"
			if made != tc.created || (len(bz.Events()) == 1) != tc.created {
				t.Errorf("created %v, skipped %v, events %d", bz.Created(), bz.Skipped(), len(bz.Events()))
			}
		})
	}
}
