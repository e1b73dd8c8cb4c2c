package zendesk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Zendesk's webhook signing headers, lower-case as API Gateway delivers them.
const (
	SignatureHeader          = "x-zendesk-webhook-signature"
	SignatureTimestampHeader = "x-zendesk-webhook-signature-timestamp"
	InvocationIDHeader       = "x-zendesk-webhook-invocation-id"
)

// SignatureWindow is how far a signature's timestamp may be from now,
// either way, before the request counts as a replay.
const SignatureWindow = 5 * time.Minute

// Signature failures. Their texts are safe to answer with.
var (
	ErrNoSignature  = errors.New("the request has no X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp headers: sign the webhook in Zendesk")
	ErrBadSignature = errors.New("the X-Zendesk-Webhook-Signature does not match: check zendesk_webhook_secret against the webhook's signing secret in Zendesk")
	ErrStale        = errors.New("the X-Zendesk-Webhook-Signature-Timestamp is more than 5 minutes from now")
	// ErrTestSignature is a request signed with TestSigningSecret: a test
	// sent from the create form of a webhook that does not exist yet.
	ErrTestSignature = errors.New("this request was signed with Zendesk's published test secret, which Zendesk uses " +
		"for a test sent before the webhook is created; anyone could sign with it, so it is refused. Create the webhook, " +
		"open it, Reveal secret under Signing secret and put that value in zendesk_webhook_secret in the function's " +
		"secret, then use Test webhook on the saved webhook")
)

// TestSigningSecret is the secret Zendesk documents for signing test
// requests of webhooks not yet created. It is public, so nothing signed
// with it is ever accepted.
const TestSigningSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="

// Sign computes Zendesk's signature of body sent at timestamp:
// base64(HMAC-SHA256(secret, timestamp + body)).
func Sign(secret, timestamp string, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write(body)
	return m.Sum(nil)
}

// VerifyZendesk checks a Zendesk webhook's signature over the raw body and
// that it was made within SignatureWindow of now. It returns the signing
// time, which stands in for an event's time when the body gives none.
func VerifyZendesk(secret string, header map[string]string, body []byte, now time.Time) (time.Time, error) {
	sig := strings.TrimSpace(header[SignatureHeader])
	ts := strings.TrimSpace(header[SignatureTimestampHeader])
	if sig == "" || ts == "" {
		return time.Time{}, ErrNoSignature
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return time.Time{}, ErrBadSignature
	}
	if !hmac.Equal(got, mac(secret, ts, body)) || secret == TestSigningSecret {
		if hmac.Equal(got, mac(TestSigningSecret, ts, body)) {
			return time.Time{}, ErrTestSignature
		}
		return time.Time{}, ErrBadSignature
	}
	at, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return time.Time{}, ErrStale
	}
	if d := now.Sub(at); d > SignatureWindow || d < -SignatureWindow {
		return time.Time{}, ErrStale
	}
	return at, nil
}
