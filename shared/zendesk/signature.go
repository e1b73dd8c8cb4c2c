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
)

// Sign computes Zendesk's signature of body sent at timestamp:
// base64(HMAC-SHA256(secret, timestamp + body)).
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
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
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
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
