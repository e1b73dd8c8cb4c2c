// Package bearer checks the bearer token a caller sends in its
// Authorization header.
package bearer

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
)

// Matches reports whether an Authorization header value carries
// want as its bearer token. The comparison takes the same time whatever
// the token, so it leaks neither content nor length.
func Matches(authorization, want string) bool {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || want == "" {
		return false
	}
	// Hashing first makes both sides the same length.
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	exp := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(got[:], exp[:]) == 1
}
