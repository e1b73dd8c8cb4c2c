package zendesk

import (
	"context"
	"encoding/base64"
)

// Authenticator gives each Zendesk call its Authorization header, in the
// manner of golang.org/x/oauth2's TokenSource: who mints, caches and renews
// credentials is its business, never the caller's.
type Authenticator interface {
	// Authorization returns the header value for the next call. Its error
	// is a *CredentialError, a *secrets.ConfigError or
	// *secrets.UnavailableError, or a token request's *Error.
	Authorization(ctx context.Context) (string, error)
	// Refused is told that Zendesk answered 401 to header. It renews what it
	// can (a new token, a fresh read of the secret) and reports whether the
	// call is worth sending once more.
	Refused(ctx context.Context, header string) (retry bool, err error)
}

// APIToken authenticates as an agent with an API token: the fallback while
// Zendesk still honours API tokens (until 30 April 2027).
type APIToken struct {
	Email string
	Token string
}

// Authorization is Basic base64("{email}/token:{token}").
func (t APIToken) Authorization(context.Context) (string, error) {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(t.Email+"/token:"+t.Token)), nil
}

// Refused reports that fixed credentials cannot be renewed.
func (APIToken) Refused(context.Context, string) (bool, error) { return false, nil }
