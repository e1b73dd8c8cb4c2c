package zendesk

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/brazezendesk/bridge/shared/secrets"
)

// Credential kinds, as SecretAuth reports them.
const (
	KindOAuth    = "oauth"
	KindAPIToken = "api_token"
)

// SecretAuth authenticates with the Zendesk credentials in a function's
// secret: an OAuth confidential client when zendesk_oauth_client_id and
// zendesk_oauth_client_secret are there (whatever else is), else the
// email and API token, with a warning once per container. It mints a token
// once and reuses it in the warm container until shortly before it
// expires; a token Zendesk refuses is dropped and minted anew, and a
// refused client or API token makes it read the secret again, so a
// rotated one works without a redeploy. It is safe for concurrent use.
type SecretAuth struct {
	Secrets  secrets.Fetcher
	Scopes   []string      // asked for each token
	Lifetime time.Duration // asked for each token; 0: DefaultTokenLifetime
	Base     *url.URL      // the account, where tokens are minted
	HTTP     *http.Client  // for token requests
	Log      *slog.Logger  // nil: slog.Default()
	// LegacyToken is called once per container when the API token is
	// used, for a metric of the deployments still to migrate.
	LegacyToken func()
	Now         func() time.Time // nil: time.Now

	lock   chan struct{} // held while a token is minted; made on first use
	once   sync.Once
	warned sync.Once

	mu     sync.Mutex
	token  Token
	client string // the client id token was minted for
	renew  time.Time
}

// NewSecretAuth returns an authenticator over the secret f for the account
// at base, asking for scopes.
func NewSecretAuth(f secrets.Fetcher, base *url.URL, hc *http.Client, scopes []string, log *slog.Logger) *SecretAuth {
	return &SecretAuth{Secrets: f, Scopes: scopes, Base: base, HTTP: hc, Log: log}
}

// Authorization returns a Bearer token, minted when none is cached or it
// is about to expire, or the Basic API-token header.
func (a *SecretAuth) Authorization(ctx context.Context) (string, error) {
	v, kind, err := a.credentials(ctx)
	if err != nil {
		return "", err
	}
	if kind == KindAPIToken {
		a.warnLegacy(ctx)
		return APIToken{Email: v.Get(KeyEmail), Token: v.Get(KeyAPIToken)}.Authorization(ctx)
	}
	t, err := a.current(ctx, v)
	if err != nil {
		return "", err
	}
	return "Bearer " + t.AccessToken, nil
}

// Refused drops a refused token (a fresh one is minted for the retry), or
// reads the secret again after a refused API token.
func (a *SecretAuth) Refused(ctx context.Context, header string) (bool, error) {
	if token, ok := strings.CutPrefix(header, "Bearer "); ok {
		a.mu.Lock()
		if a.token.AccessToken == token {
			a.token, a.client = Token{}, ""
		}
		a.mu.Unlock()
		return true, nil
	}
	if _, err := a.Secrets.Refresh(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// Grant is what the credentials in the secret amount to, for an operator.
type Grant struct {
	Kind   string   // KindOAuth or KindAPIToken
	Scopes []string // granted to the token; nil for an API token
	Expiry time.Time
}

// Grant mints (or reuses) a token and says what it was granted.
func (a *SecretAuth) Grant(ctx context.Context) (Grant, error) {
	v, kind, err := a.credentials(ctx)
	if err != nil || kind == KindAPIToken {
		return Grant{Kind: kind}, err
	}
	t, err := a.current(ctx, v)
	return Grant{Kind: KindOAuth, Scopes: t.Scopes, Expiry: t.Expiry}, err
}

// credentials reads the secret and says which kind of credentials it holds:
// OAuth when both its keys are there. With neither kind complete, the
// secret is read once more (at most every secrets.MinRefetch), so that an
// operator who fills the keys sees them work within seconds.
func (a *SecretAuth) credentials(ctx context.Context) (secrets.Values, string, error) {
	v, err := a.Secrets.Get(ctx)
	if err != nil {
		return secrets.Values{}, "", err
	}
	if kind := kindOf(v); kind != "" {
		return v, kind, nil
	}
	v, err = a.Secrets.Require(ctx, KeyOAuthClientID, KeyOAuthClientSecret)
	var missing *secrets.MissingKeysError
	switch {
	case err == nil:
		return v, KindOAuth, nil
	case !errors.As(err, &missing):
		return secrets.Values{}, "", err
	}
	if v, err = a.Secrets.Get(ctx); err == nil && kindOf(v) == KindAPIToken {
		return v, KindAPIToken, nil
	}
	return secrets.Values{}, "", &secrets.ConfigError{Err: ErrNoCredentials}
}

func kindOf(v secrets.Values) string {
	switch {
	case v.Require(KeyOAuthClientID, KeyOAuthClientSecret) == nil:
		return KindOAuth
	case v.Require(KeyEmail, KeyAPIToken) == nil:
		return KindAPIToken
	}
	return ""
}

// current returns the cached token for v's client while it is fresh, else
// mints one. One request mints at a time; the others wait for its token.
func (a *SecretAuth) current(ctx context.Context, v secrets.Values) (Token, error) {
	if t, ok := a.cached(v.Get(KeyOAuthClientID)); ok {
		return t, nil
	}
	a.once.Do(func() { a.lock = make(chan struct{}, 1) })
	select {
	case a.lock <- struct{}{}:
		defer func() { <-a.lock }()
	case <-ctx.Done():
		return Token{}, &Error{Op: "mint an OAuth token", Err: ctx.Err()}
	}
	if t, ok := a.cached(v.Get(KeyOAuthClientID)); ok {
		return t, nil
	}
	t, err := a.mint(ctx, v)
	var refused *invalidClientError
	if errors.As(err, &refused) {
		// A rotated client secret: read the secret once more and try
		// with what it holds now.
		fresh, ferr := a.Secrets.Refresh(ctx)
		if ferr != nil {
			return Token{}, ferr
		}
		if kindOf(fresh) != KindOAuth {
			return Token{}, &secrets.ConfigError{Err: ErrNoCredentials}
		}
		v = fresh
		if t, err = a.mint(ctx, v); errors.As(err, &refused) {
			return Token{}, &CredentialError{Err: refused.err, Keys: []string{KeyOAuthClientID, KeyOAuthClientSecret},
				Reason: "Zendesk refused the OAuth client in " + KeyOAuthClientID + " / " + KeyOAuthClientSecret +
					", also after reading the secret again: fix them in the secret (the client secret is shown once, when the client is saved)"}
		}
	}
	if err != nil {
		return Token{}, err
	}
	a.mu.Lock()
	a.token, a.client, a.renew = t, v.Get(KeyOAuthClientID), renewAt(a.now(), t.Expiry)
	a.mu.Unlock()
	return t, nil
}

func (a *SecretAuth) cached(clientID string) (Token, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token.AccessToken == "" || a.client != clientID {
		return Token{}, false
	}
	if !a.renew.IsZero() && !a.now().Before(a.renew) {
		return Token{}, false
	}
	return a.token, true
}

func (a *SecretAuth) mint(ctx context.Context, v secrets.Values) (Token, error) {
	lifetime := a.Lifetime
	if lifetime <= 0 {
		lifetime = DefaultTokenLifetime
	}
	return mint(ctx, a.HTTP, a.Base, v.Get(KeyOAuthClientID), v.Get(KeyOAuthClientSecret), a.Scopes, lifetime, a.now())
}

// renewAt is when a token expiring at expiry is replaced: a tenth of its
// life early, at most five minutes, so a call never carries a token that
// expires on the way. Zero: it has no expiry, and is kept until refused.
func renewAt(now, expiry time.Time) time.Time {
	if expiry.IsZero() {
		return time.Time{}
	}
	return expiry.Add(-min(expiry.Sub(now)/10, 5*time.Minute))
}

// warnLegacy says once per container that the API token is a fallback with
// a date, and how to switch.
func (a *SecretAuth) warnLegacy(ctx context.Context) {
	a.warned.Do(func() {
		log := a.Log
		if log == nil {
			log = slog.Default()
		}
		log.WarnContext(ctx, "Zendesk is called with an API token ("+KeyEmail+", "+KeyAPIToken+"): Zendesk switches every API token off on 30 April 2027. "+
			"Create an OAuth client of kind Confidential (Admin Center → Apps and integrations → APIs → OAuth clients) and fill "+
			KeyOAuthClientID+" and "+KeyOAuthClientSecret+" in the function's secret: OAuth is used as soon as both are there",
			"credential_kind", KindAPIToken, "switch_off", "2027-04-30")
		if a.LegacyToken != nil {
			a.LegacyToken()
		}
	})
}

func (a *SecretAuth) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}
