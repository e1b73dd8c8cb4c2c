package zendesk

import (
	"errors"
	"strings"
)

// Secret keys of the Zendesk credentials, in either function's secret.
const (
	KeyOAuthClientID     = "zendesk_oauth_client_id"
	KeyOAuthClientSecret = "zendesk_oauth_client_secret"
	KeyEmail             = "zendesk_email"     // API-token fallback
	KeyAPIToken          = "zendesk_api_token" // API-token fallback
)

// Least privilege: the scopes each function's token is minted with.
var (
	// ScopesFileTickets lets BrazeToZendesk find and create requesters and
	// file tickets.
	ScopesFileTickets = []string{"tickets:read", "tickets:write", "users:read", "users:write"}
	// ScopesReadTickets lets ZendeskToBraze read tickets and requesters.
	ScopesReadTickets = []string{"tickets:read", "users:read"}
)

// ErrNoCredentials is a secret with neither complete kind of Zendesk
// credentials.
var ErrNoCredentials = errors.New("the secret has no Zendesk credentials: fill " + KeyOAuthClientID + " and " + KeyOAuthClientSecret +
	" (an OAuth client of kind Confidential; or, until Zendesk switches API tokens off on 30 April 2027, " + KeyEmail + " and " + KeyAPIToken + ")")

// CredentialError is Zendesk refusing the function's credentials or their
// reach for good: an operator must fix the secret or the OAuth client, so
// it is never retried as a passing fault. Reason names the secret keys or
// scopes to fix, never a value.
type CredentialError struct {
	Reason string
	Keys   []string // secret keys to fix
	Scopes []string // scopes the client must be allowed
	Err    error    // Zendesk's answer, an *Error
}

func (e *CredentialError) Error() string {
	if e.Err != nil {
		return e.Reason + " (" + e.Err.Error() + ")"
	}
	return e.Reason
}

func (e *CredentialError) Unwrap() error { return e.Err }

// missingScope reads a 403's "You are missing the following required
// scopes: tickets:write" (Zendesk's answer to a token without the scope an
// endpoint needs) and returns the scopes named, or nil.
func missingScope(e *Error) []string {
	const marker = "missing the following required scopes"
	desc := e.Description
	i := strings.Index(strings.ToLower(desc), marker)
	if i < 0 {
		return nil
	}
	rest := strings.TrimLeft(desc[i+len(marker):], ": ")
	return strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '.' })
}
