package apigw_test

import (
	"encoding/base64"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

const (
	secretA = "zendesk-signing-secret-A"
	secretB = "zendesk-signing-secret-B"
)

// decoded is the body as Zendesk sent it.
func decoded(t *testing.T, ev events.APIGatewayV2HTTPRequest) []byte {
	t.Helper()
	if !ev.IsBase64Encoded {
		return []byte(ev.Body)
	}
	b, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func zendeskEvent(body string, b64 bool) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		RouteKey: "POST /zendesk/events",
		Headers:  map[string]string{"content-type": "application/json", "x-zendesk-webhook-id": "01JDQ"},
		Body:     body,
	}
	if b64 {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
	}
	return ev
}

func TestHeaderNamesAreLowerCase(t *testing.T) {
	for _, h := range []string{zendesk.SignatureHeader, zendesk.SignatureTimestampHeader} {
		if h != strings.ToLower(h) {
			t.Errorf("%q is not lower-case", h)
		}
	}
	if zendesk.SignatureHeader != "x-zendesk-webhook-signature" || zendesk.SignatureTimestampHeader != "x-zendesk-webhook-signature-timestamp" {
		t.Errorf("header names %q %q", zendesk.SignatureHeader, zendesk.SignatureTimestampHeader)
	}
}

func TestSignZendesk(t *testing.T) {
	now := time.Date(2026, 11, 24, 23, 10, 0, 0, time.FixedZone("PST", -8*3600))
	body := `{"type":"zen:event-type:ticket.created","detail":{"id":"42"}}`
	for _, b64 := range []bool{false, true} {
		name := "plain"
		if b64 {
			name = "base64"
		}
		t.Run(name, func(t *testing.T) {
			ev := zendeskEvent(body, b64)
			origBody := ev.Body
			if err := apigw.SignZendesk(&ev, secretA, now); err != nil {
				t.Fatal(err)
			}
			ts, sig := ev.Headers["x-zendesk-webhook-signature-timestamp"], ev.Headers["x-zendesk-webhook-signature"]
			if ts != now.UTC().Format(time.RFC3339) || ts != "2026-11-25T07:10:00Z" {
				t.Errorf("timestamp header = %q, want 2026-11-25T07:10:00Z", ts)
			}
			if sig == "" {
				t.Fatal("no signature header")
			}
			if want := zendesk.Sign(secretA, ts, []byte(body)); sig != want {
				t.Errorf("signature = %q, want %q (over the decoded body)", sig, want)
			}
			if ev.Body != origBody || ev.IsBase64Encoded != b64 {
				t.Errorf("the body changed: %q base64=%v", ev.Body, ev.IsBase64Encoded)
			}
			if ev.Headers["content-type"] != "application/json" || ev.Headers["x-zendesk-webhook-id"] != "01JDQ" {
				t.Errorf("other headers lost: %v", ev.Headers)
			}
			at, err := zendesk.VerifyZendesk(secretA, ev.Headers, decoded(t, ev), now)
			if err != nil {
				t.Fatalf("VerifyZendesk: %v", err)
			}
			if !at.Equal(now) {
				t.Errorf("signing time = %v, want %v", at, now)
			}
			if _, err := zendesk.VerifyZendesk(secretB, ev.Headers, decoded(t, ev), now); !errors.Is(err, zendesk.ErrBadSignature) {
				t.Errorf("VerifyZendesk with another secret: %v, want ErrBadSignature", err)
			}
			if b64 {
				if _, err := zendesk.VerifyZendesk(secretA, ev.Headers, []byte(ev.Body), now); err == nil {
					t.Error("the signature verifies over the base64 text; it must be over the decoded body")
				}
			}
			// What the function itself sees, through Request.
			req, ferr := apigw.Request(ev)
			if ferr != nil {
				t.Fatal(ferr)
			}
			if _, err := zendesk.VerifyZendesk(secretA, req.Header, req.Body, now.Add(time.Minute)); err != nil {
				t.Errorf("VerifyZendesk on the adapted request: %v", err)
			}
		})
	}
}

func TestSignZendeskNilHeaders(t *testing.T) {
	ev := events.APIGatewayV2HTTPRequest{Body: "{}"}
	now := time.Unix(1_800_000_000, 0)
	if err := apigw.SignZendesk(&ev, secretA, now); err != nil {
		t.Fatal(err)
	}
	if len(ev.Headers) != 2 {
		t.Errorf("headers = %v, want just the two signature headers", ev.Headers)
	}
	if _, err := zendesk.VerifyZendesk(secretA, ev.Headers, []byte("{}"), now); err != nil {
		t.Error(err)
	}
}

func TestSignZendeskInvalidBase64(t *testing.T) {
	ev := events.APIGatewayV2HTTPRequest{Body: "%%% not base64", IsBase64Encoded: true, Headers: map[string]string{"a": "b"}}
	if err := apigw.SignZendesk(&ev, secretA, time.Now()); err == nil {
		t.Fatal("SignZendesk of an invalid base64 body: no error")
	}
	if len(ev.Headers) != 1 {
		t.Errorf("headers changed on error: %v", ev.Headers)
	}
}

// An event whose header names are not lower-case (Request accepts those)
// must not end up with two signature headers, old and new: Request would
// then pick one of them at random.
func TestSignZendeskReplacesMixedCaseHeaders(t *testing.T) {
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := old.Add(48 * time.Hour)
	body := `{"id":1}`
	oldTS := old.Format(time.RFC3339)
	ev := events.APIGatewayV2HTTPRequest{Body: body, Headers: map[string]string{
		"X-Zendesk-Webhook-Signature":           zendesk.Sign(secretA, oldTS, []byte(body)),
		"X-Zendesk-Webhook-Signature-Timestamp": oldTS,
	}}
	ok, err := apigw.ResignIfValid(&ev, secretA, now)
	if err != nil || !ok {
		t.Fatalf("ResignIfValid = %v, %v; want true, nil", ok, err)
	}
	for _, h := range []string{zendesk.SignatureHeader, zendesk.SignatureTimestampHeader} {
		var names []string
		for k := range ev.Headers {
			if strings.EqualFold(k, h) {
				names = append(names, k)
			}
		}
		if len(names) != 1 {
			t.Errorf("after re-signing the event has %d %s headers %q, want exactly one", len(names), h, names)
		}
	}
}

func TestResignIfValid(t *testing.T) {
	old := time.Date(2026, 11, 24, 23, 10, 0, 0, time.UTC)
	now := old.Add(30 * 24 * time.Hour)
	body := `{"type":"zen:event-type:ticket.created"}`

	for _, b64 := range []bool{false, true} {
		t.Run("signed with the secret, base64="+map[bool]string{false: "no", true: "yes"}[b64], func(t *testing.T) {
			ev := zendeskEvent(body, b64)
			if err := apigw.SignZendesk(&ev, secretA, old); err != nil {
				t.Fatal(err)
			}
			if _, err := zendesk.VerifyZendesk(secretA, ev.Headers, decoded(t, ev), now); !errors.Is(err, zendesk.ErrStale) {
				t.Fatalf("before re-signing: %v, want ErrStale", err)
			}
			ok, err := apigw.ResignIfValid(&ev, secretA, now)
			if err != nil || !ok {
				t.Fatalf("ResignIfValid = %v, %v; want true, nil", ok, err)
			}
			if ts := ev.Headers[zendesk.SignatureTimestampHeader]; ts != now.Format(time.RFC3339) {
				t.Errorf("timestamp = %q, want %q", ts, now.Format(time.RFC3339))
			}
			at, err := zendesk.VerifyZendesk(secretA, ev.Headers, decoded(t, ev), now)
			if err != nil || !at.Equal(now) {
				t.Errorf("after re-signing: VerifyZendesk = %v, %v; want %v, nil", at, err, now)
			}
			if ev.Headers["x-zendesk-webhook-id"] != "01JDQ" || decoded(t, ev) == nil || string(decoded(t, ev)) != body {
				t.Errorf("event otherwise changed: %+v", ev)
			}
		})
	}

	untouched := []struct {
		name string
		ev   func(t *testing.T) events.APIGatewayV2HTTPRequest
	}{
		{"signed with another secret", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			ev := zendeskEvent(body, false)
			if err := apigw.SignZendesk(&ev, secretB, old); err != nil {
				t.Fatal(err)
			}
			return ev
		}},
		{"signed with another secret, base64", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			ev := zendeskEvent(body, true)
			if err := apigw.SignZendesk(&ev, secretB, old); err != nil {
				t.Fatal(err)
			}
			return ev
		}},
		{"body changed after signing", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			ev := zendeskEvent(body, false)
			if err := apigw.SignZendesk(&ev, secretA, old); err != nil {
				t.Fatal(err)
			}
			ev.Body += " "
			return ev
		}},
		{"no signature headers", func(t *testing.T) events.APIGatewayV2HTTPRequest { return zendeskEvent(body, false) }},
		{"nil headers", func(t *testing.T) events.APIGatewayV2HTTPRequest { return events.APIGatewayV2HTTPRequest{Body: body} }},
		{"signature without timestamp", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			ev := zendeskEvent(body, false)
			ev.Headers[zendesk.SignatureHeader] = zendesk.Sign(secretA, "", []byte(body))
			return ev
		}},
		{"timestamp not RFC 3339", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			ev := zendeskEvent(body, false)
			ts := "1764025800"
			ev.Headers[zendesk.SignatureTimestampHeader] = ts
			ev.Headers[zendesk.SignatureHeader] = zendesk.Sign(secretA, ts, []byte(body))
			return ev
		}},
		{"signature not base64", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			ev := zendeskEvent(body, false)
			ev.Headers[zendesk.SignatureTimestampHeader] = old.Format(time.RFC3339)
			ev.Headers[zendesk.SignatureHeader] = "!!!"
			return ev
		}},
	}
	for _, tt := range untouched {
		t.Run(tt.name, func(t *testing.T) {
			ev := tt.ev(t)
			before := maps.Clone(ev.Headers)
			beforeBody := ev.Body
			ok, err := apigw.ResignIfValid(&ev, secretA, now)
			if err != nil || ok {
				t.Fatalf("ResignIfValid = %v, %v; want false, nil", ok, err)
			}
			if !maps.Equal(ev.Headers, before) || ev.Body != beforeBody {
				t.Errorf("event changed: headers %v, want %v", ev.Headers, before)
			}
		})
	}

	t.Run("invalid base64 body", func(t *testing.T) {
		ev := zendeskEvent(body, false)
		if err := apigw.SignZendesk(&ev, secretA, old); err != nil {
			t.Fatal(err)
		}
		ev.Body, ev.IsBase64Encoded = "%%% not base64", true
		before := maps.Clone(ev.Headers)
		ok, err := apigw.ResignIfValid(&ev, secretA, now)
		if err == nil || ok {
			t.Fatalf("ResignIfValid = %v, %v; want false and an error", ok, err)
		}
		if !maps.Equal(ev.Headers, before) {
			t.Errorf("headers changed on error: %v", ev.Headers)
		}
	})
}

// The sample events in events/ are what ResignIfValid is for: check one of
// that shape (lower-case headers, a 2026 timestamp) round-trips.
func TestResignIfValidSampleShape(t *testing.T) {
	body := `{"account_id":1,"detail":{"id":"35436"},"type":"zen:event-type:ticket.created"}`
	ts := "2026-11-24T23:10:00Z"
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /zendesk/events", RawPath: "/zendesk/events", Body: body,
		Headers: map[string]string{
			"content-type":                          "application/json",
			"x-zendesk-webhook-invocation-id":       "8350205582",
			"x-zendesk-webhook-signature":           zendesk.Sign(secretA, ts, []byte(body)),
			"x-zendesk-webhook-signature-timestamp": ts,
		},
	}
	now := time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC)
	ok, err := apigw.ResignIfValid(&ev, secretA, now)
	if err != nil || !ok {
		t.Fatalf("ResignIfValid = %v, %v", ok, err)
	}
	req, ferr := apigw.Request(ev)
	if ferr != nil {
		t.Fatal(ferr)
	}
	if _, err := zendesk.VerifyZendesk(secretA, req.Header, req.Body, now); err != nil {
		t.Errorf("after re-signing: %v", err)
	}
	if len(ev.Headers) != 4 {
		t.Errorf("headers = %v, want the same four", ev.Headers)
	}
}
