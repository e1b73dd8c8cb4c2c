package zendesk

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/httpjson"
)

// TokensPath is Zendesk's OAuth token endpoint.
const TokensPath = "/oauth/tokens"

// DefaultTokenLifetime is the lifetime asked for a minted token: long
// enough that a warm container mints a handful a day, short enough that a
// leaked one soon stops working. Zendesk accepts 300 to 172,800 seconds.
const DefaultTokenLifetime = 2 * time.Hour

// Token is a minted access token.
type Token struct {
	AccessToken string
	Scopes      []string
	Expiry      time.Time // zero: Zendesk set no expiry
}

// mint asks Zendesk for an access token with the client credentials grant.
//
// The request is ours rather than golang.org/x/oauth2/clientcredentials':
// Zendesk documents a JSON body (the library sends a form), its failures
// must become this client's typed errors (invalid_client re-reads the
// secret, invalid_scope names the scopes, 429 and 5xx go through the same
// retry policy with Retry-After), and a token refused with a 401 must be
// dropped at once, which a ReuseTokenSource cannot be told to do.
func mint(ctx context.Context, hc *http.Client, base *url.URL, clientID, clientSecret string, scopes []string, lifetime time.Duration, now time.Time) (Token, error) {
	const op = "mint an OAuth token"
	req := map[string]any{
		"grant_type":    "client_credentials",
		"client_id":     clientID,
		"client_secret": clientSecret,
		"scope":         strings.Join(scopes, " "),
	}
	if lifetime > 0 {
		req["expires_in"] = int64(lifetime / time.Second)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return Token{}, &Error{Op: op, Err: err}
	}
	u := base.JoinPath(TokensPath)
	r, err := httpjson.Post(ctx, hc, u.String(), nil, body)
	if err != nil {
		return Token{}, &Error{Op: op, Err: withoutQuery(err)}
	}
	if !r.OK() {
		return Token{}, tokenError(op, r, scopes)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Scope       string `json:"scope"`
		ExpiresIn   *int64 `json:"expires_in"`
	}
	if err := decode(op, r.Body, &out); err != nil {
		return Token{}, err
	}
	if out.AccessToken == "" || !strings.EqualFold(out.TokenType, "bearer") {
		return Token{}, shapeError(op, "bearer access_token")
	}
	t := Token{AccessToken: out.AccessToken, Scopes: strings.Fields(out.Scope)}
	if out.ExpiresIn != nil && *out.ExpiresIn > 0 {
		t.Expiry = now.Add(time.Duration(*out.ExpiresIn) * time.Second)
	}
	return t, nil
}

// errInvalidClient is a token request refused as invalid_client: the
// client id or secret is wrong, or the client was deleted.
type invalidClientError struct{ err *Error }

func (e *invalidClientError) Error() string { return e.err.Error() }
func (e *invalidClientError) Unwrap() error { return e.err }

// tokenError reads an OAuth error answer (RFC 6749 §5.2: {"error",
// "error_description"}). A refusal of the client or its scopes is a
// *CredentialError (invalid_client as an *invalidClientError, so the secret is
// read again first); anything else (429, 5xx) stays an *Error, retried as
// any passing Zendesk fault.
func tokenError(op string, r *httpjson.Response, scopes []string) error {
	e := apiError(op, r)
	var shape struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(r.Body, &shape)
	if e.Code == "" {
		e.Code = shape.Error
	}
	if e.Description == "" {
		e.Description = shape.Description
	}
	if r.Status == http.StatusTooManyRequests || r.Status >= 500 {
		return e
	}
	switch e.Code {
	case "invalid_client":
		return &invalidClientError{e}
	case "invalid_scope":
		return &CredentialError{Err: e, Scopes: scopes,
			Reason: "Zendesk refused the scopes " + strings.Join(scopes, " ") + " for the OAuth client in " + KeyOAuthClientID +
				": edit the client in Admin Center (Apps and integrations → APIs → OAuth clients) so that it may be granted them"}
	case "unauthorized_client", "unsupported_grant_type":
		return &CredentialError{Err: e, Keys: []string{KeyOAuthClientID},
			Reason: "Zendesk refused the client credentials grant for the OAuth client in " + KeyOAuthClientID +
				": the client's kind must be Confidential"}
	}
	if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden {
		return &invalidClientError{e}
	}
	return &CredentialError{Err: e, Keys: []string{KeyOAuthClientID, KeyOAuthClientSecret},
		Reason: "Zendesk refused the OAuth token request (" + strings.TrimSpace(http.StatusText(r.Status)+" "+e.Code) +
			"): check " + KeyOAuthClientID + " and " + KeyOAuthClientSecret}
}
