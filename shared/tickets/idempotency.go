package tickets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// IdempotencyKey is the Zendesk Idempotency-Key for a request: a hash of
// the caller's key, or of the body when there is none, together with the
// requester's identity. A Braze retry sends the same header and body, so
// it gets the same key and Zendesk answers with the ticket it already
// made; two users of one send never share a key, even when the header is
// the dispatch id alone; and hashing makes any byte in the header safe to
// send on.
func IdempotencyKey(header string, body []byte, identity string) string {
	h := sha256.New()
	// Each part goes in with its length, so no two pairs hash alike.
	part := func(kind string, b []byte) {
		fmt.Fprintf(h, "%s:%d:", kind, len(b))
		h.Write(b)
	}
	if header = strings.TrimSpace(header); header != "" {
		part("header", []byte(header))
	} else {
		part("body", body)
	}
	part("identity", []byte(identity))
	return "braze-" + hex.EncodeToString(h.Sum(nil)[:20])
}

// Identity names the requester the way the idempotency key tells users
// apart: the Braze external id, else the email (case-insensitive, as
// Zendesk matches it).
func (r *Request) Identity() string {
	if r.ExternalID != "" {
		return "external_id:" + r.ExternalID
	}
	return "email:" + strings.ToLower(r.Requester.Email)
}
