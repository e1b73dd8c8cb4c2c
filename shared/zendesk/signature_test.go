package zendesk

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// zendeskTestSecret is the signing secret Zendesk documents for test
// requests sent before a webhook exists; it is used as it is, not decoded.
const zendeskTestSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="

func TestSignKnownVectors(t *testing.T) {
	for _, tc := range []struct{ secret, ts, body, want string }{
		// Zendesk's test secret with the timestamp from its "anatomy of a
		// webhook request" page.
		{zendeskTestSecret, "2021-03-25T05:09:27Z", `{"event":"ticket.updated","id":123}`, "S/RDdU2ERmj7LHDDoWJ2onPYH+t7/f2+LTM4dL7UiLM="},
		// The secret, body and timestamp of Zendesk's verifying example,
		// signed in the current order (timestamp, then body).
		{"HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=", "2021-07-25T10:00:00Z", `{"say": "hello"}`, "Rry/4TtIdFyawtXXp8QdI6tlAUUQ/5kL1OTp5qo/ZIk="},
	} {
		if got := Sign(tc.secret, tc.ts, []byte(tc.body)); got != tc.want {
			t.Errorf("Sign(%q) = %s, want %s", tc.body, got, tc.want)
		}
		now, _ := time.Parse(time.RFC3339, tc.ts)
		h := map[string]string{SignatureHeader: tc.want, SignatureTimestampHeader: tc.ts}
		at, err := VerifyZendesk(tc.secret, h, []byte(tc.body), now.Add(time.Minute))
		switch {
		case tc.secret == zendeskTestSecret:
			// Public, so refused with a word on what to do, also when it is
			// what the function's secret holds.
			if !errors.Is(err, ErrTestSignature) {
				t.Errorf("VerifyZendesk with the test secret = %v, want ErrTestSignature", err)
			}
			if _, err := VerifyZendesk("the-real-secret", h, []byte(tc.body), now.Add(time.Minute)); !errors.Is(err, ErrTestSignature) {
				t.Errorf("a test send to a webhook with its own secret = %v, want ErrTestSignature", err)
			}
		case err != nil || !at.Equal(now):
			t.Errorf("VerifyZendesk = %v, %v", at, err)
		}
	}
}

func TestVerifyZendesk(t *testing.T) {
	const secret = "s3cret"
	ts := "2026-11-24T12:00:00Z"
	at, _ := time.Parse(time.RFC3339, ts)
	body := []byte(`{"ticket_id":"1"}`)
	good := Sign(secret, ts, body)
	for _, tc := range []struct {
		name   string
		header map[string]string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", map[string]string{SignatureHeader: good, SignatureTimestampHeader: ts}, body, at, nil},
		{"4m59s late", map[string]string{SignatureHeader: good, SignatureTimestampHeader: ts}, body, at.Add(4*time.Minute + 59*time.Second), nil},
		{"5m01s late", map[string]string{SignatureHeader: good, SignatureTimestampHeader: ts}, body, at.Add(5*time.Minute + time.Second), ErrStale},
		{"5m01s early", map[string]string{SignatureHeader: good, SignatureTimestampHeader: ts}, body, at.Add(-5*time.Minute - time.Second), ErrStale},
		{"no headers", map[string]string{}, body, at, ErrNoSignature},
		{"no timestamp", map[string]string{SignatureHeader: good}, body, at, ErrNoSignature},
		{"body changed", map[string]string{SignatureHeader: good, SignatureTimestampHeader: ts}, []byte(`{"ticket_id":"2"}`), at, ErrBadSignature},
		{"timestamp changed", map[string]string{SignatureHeader: good, SignatureTimestampHeader: "2026-11-24T12:00:01Z"}, body, at, ErrBadSignature},
		{"not base64", map[string]string{SignatureHeader: "%%%", SignatureTimestampHeader: ts}, body, at, ErrBadSignature},
		{"other secret", map[string]string{SignatureHeader: Sign("other", ts, body), SignatureTimestampHeader: ts}, body, at, ErrBadSignature},
		{"signed but not a timestamp", map[string]string{SignatureHeader: Sign(secret, "yesterday", body), SignatureTimestampHeader: "yesterday"}, body, at, ErrStale},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyZendesk(secret, tc.header, tc.body, tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzVerifyZendesk(f *testing.F) {
	f.Add("s3cret", "2026-11-24T12:00:00Z", []byte(`{"a":1}`), "")
	f.Add(zendeskTestSecret, "2021-03-25T05:09:27Z", []byte(`{"event":"ticket.updated","id":123}`), "S/RDdU2ERmj7LHDDoWJ2onPYH+t7/f2+LTM4dL7UiLM=")
	f.Fuzz(func(t *testing.T, secret, ts string, body []byte, sig string) {
		now, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			now = time.Unix(1795993800, 0)
		}
		h := map[string]string{SignatureHeader: sig, SignatureTimestampHeader: ts}
		if _, err := VerifyZendesk(secret, h, body, now); err == nil {
			got, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
			want, _ := base64.StdEncoding.DecodeString(Sign(secret, ts, body))
			if !bytes.Equal(got, want) {
				t.Fatalf("accepted a signature that is not Sign(): %q", sig)
			}
		}
		// The real signature is accepted whenever the timestamp is valid and
		// current, unless it is made with the public test secret.
		h[SignatureHeader] = Sign(secret, ts, body)
		_, err = VerifyZendesk(secret, h, body, now)
		if secret == TestSigningSecret {
			if err == nil {
				t.Fatal("accepted a request signed with the test secret")
			}
			return
		}
		if ts == "" && err == nil {
			t.Fatal("accepted without a timestamp")
		}
		if _, perr := time.Parse(time.RFC3339, ts); perr == nil && ts == strings.TrimSpace(ts) && err != nil {
			t.Fatalf("rejected its own signature: %v", err)
		}
		// Any other body is refused.
		if err == nil {
			if _, err := VerifyZendesk(secret, h, append(body, 'x'), now); err == nil {
				t.Fatal("accepted a changed body")
			}
		}
	})
}
