package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Where an admin creates the OAuth client, in Zendesk's words.
const oauthClients = "Admin Center → Apps and integrations → APIs → OAuth clients"

var oauthKeys = []string{zendesk.KeyOAuthClientID, zendesk.KeyOAuthClientSecret}

// checkZendesk mints a token as the function would (the same
// authenticator, the same scopes), says what it was granted and whom it
// acts as, or that the API-token fallback is in use.
func checkZendesk(ctx context.Context, r *report, f function, cache *secrets.Cache, o options, hc *http.Client) {
	base, err := zendeskBase(o.zendesk)
	if err != nil {
		r.fail(err.Error(), "give the Zendesk account as its subdomain (ZENDESK=acme for https://acme.zendesk.com) or its URL")
		return
	}
	// Its warning is the report's own; nothing it logs reaches the output.
	auth := zendesk.NewSecretAuth(cache, base, hc, f.scopes, slog.New(slog.DiscardHandler))
	grant, err := auth.Grant(ctx)
	if err != nil {
		r.fail(zendeskProblem(err, f, o, base))
		return
	}
	switch grant.Kind {
	case zendesk.KindAPIToken:
		r.warn("Zendesk is called with the API-token fallback ("+zendesk.KeyEmail+" / "+zendesk.KeyAPIToken+"): "+
			"Zendesk switches every API token off on 30 April 2027, and one unused for 30 days is switched off already",
			"switch to OAuth: as a dedicated Zendesk admin, create an OAuth client of kind Confidential ("+oauthClients+
				" → Add OAuth client; copy its Secret when it is shown, once), then "+fill(o, f, oauthKeys)+
				". OAuth is used as soon as both keys are there; once this check shows it, remove "+zendesk.KeyEmail+" and "+zendesk.KeyAPIToken)
	case zendesk.KindOAuth:
		if missing := without(f.scopes, grant.Scopes); len(missing) > 0 {
			r.fail("the OAuth token was granted "+scopeList(grant.Scopes)+", without "+strings.Join(missing, " "),
				"edit the OAuth client ("+oauthClients+") so that it may be granted "+strings.Join(f.scopes, " "))
		} else {
			r.ok("Zendesk OAuth client credentials: a token was minted with the scopes %s, %s", scopeList(grant.Scopes), lifetime(grant.Expiry))
		}
	}
	me, err := zendesk.New(base, hc, auth).Me(ctx)
	if err != nil {
		r.fail(zendeskProblem(err, f, o, base))
		return
	}
	who := fmt.Sprintf("%s (user %d, role %s)", me.Name, me.ID, me.Role)
	switch me.Role {
	case zendesk.RoleAdmin, zendesk.RoleAgent:
		r.ok("the credentials act as %s: the function %s as this user", who, f.does)
	default:
		fix := "create the OAuth client as a dedicated Zendesk admin: a client credentials token acts as the admin who created the client"
		if grant.Kind == zendesk.KindAPIToken {
			fix = "an API token acts as the user in " + zendesk.KeyEmail + ", who must be an agent or admin; better, switch to an OAuth client created by a dedicated admin"
		}
		r.fail("the credentials act as "+who+", who is not an agent or admin: the function "+f.does+" as this user", fix)
	}
}

// zendeskBase reads -zendesk: a subdomain, or a URL (a stand-in's).
func zendeskBase(v string) (*url.URL, error) {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "://") {
		return zendesk.BaseURL("", v)
	}
	return zendesk.BaseURL(v, "")
}

// zendeskProblem says in plain words what went wrong with Zendesk and what
// to change.
func zendeskProblem(err error, f function, o options, base *url.URL) (what, fix string) {
	var cred *zendesk.CredentialError
	var ze *zendesk.Error
	var unavailable *secrets.UnavailableError
	var config *secrets.ConfigError
	code := ""
	if errors.As(err, &ze) {
		code = ze.Code
	}
	switch {
	case errors.Is(err, zendesk.ErrNoCredentials):
		return "the secret has no Zendesk credentials: neither " + zendesk.KeyOAuthClientID + " and " + zendesk.KeyOAuthClientSecret +
				" nor the API-token fallback",
			"as a dedicated Zendesk admin, create an OAuth client of kind Confidential (" + oauthClients +
				" → Add OAuth client; copy its Secret when it is shown, once), then " + fill(o, f, oauthKeys)
	case errors.As(err, &cred) && code == "invalid_scope":
		return "Zendesk refused to grant the OAuth client the scopes " + strings.Join(cred.Scopes, " ") + " (invalid_scope)",
			"edit the client (" + oauthClients + ") so that its allowed scopes include " + strings.Join(f.scopes, " ") +
				" (the function asks for exactly these, never read, write or impersonate)"
	case errors.As(err, &cred) && len(cred.Scopes) > 0:
		return "Zendesk refused a call: the token lacks the scope " + strings.Join(cred.Scopes, " ") + " (403)",
			"allow " + strings.Join(cred.Scopes, " ") + " for the OAuth client (" + oauthClients + ")"
	case errors.As(err, &cred) && (code == "unauthorized_client" || code == "unsupported_grant_type"):
		return "Zendesk refused the client credentials grant for the OAuth client (" + code + ")",
			"the client's kind must be Confidential: change it (" + oauthClients + "), or create a client of kind Confidential and " +
				fill(o, f, oauthKeys)
	case errors.As(err, &cred) && slices.Contains(cred.Keys, zendesk.KeyAPIToken):
		return "Zendesk refused " + zendesk.KeyEmail + " / " + zendesk.KeyAPIToken + " (401)",
			"API tokens can no longer be created and stop working on 30 April 2027: as a dedicated Zendesk admin, create an OAuth client " +
				"of kind Confidential (" + oauthClients + " → Add OAuth client), then " + fill(o, f, oauthKeys)
	case errors.As(err, &cred) && code == "invalid_client":
		return "Zendesk refused the OAuth client in " + zendesk.KeyOAuthClientID + " / " + zendesk.KeyOAuthClientSecret + " (invalid_client)",
			zendesk.KeyOAuthClientID + " must be the client's Identifier (not its name or number) and " + zendesk.KeyOAuthClientSecret +
				" the Secret shown once when it was saved, of a client of this account (" + base.Host + "); if the Secret was not copied, " +
				"generate a new one for the client. Then " + fill(o, f, oauthKeys)
	case errors.As(err, &cred):
		return cred.Reason, "fix the OAuth client (" + oauthClients + ") or " + fill(o, f, oauthKeys)
	case errors.As(err, &unavailable):
		return unavailable.Error(), "run the check again in a minute"
	case errors.As(err, &config):
		return config.Error(), "fix the secret: " + fill(o, f, oauthKeys)
	case ze != nil && ze.Status == 0:
		return "Zendesk at " + base.Host + " did not answer (" + ze.Err.Error() + ")",
			"check the subdomain (the stack's ZendeskSubdomain, or ZENDESK=) and this machine's network"
	case ze != nil && ze.Status == http.StatusNotFound:
		return fmt.Sprintf("Zendesk at %s answered 404 to %s", base.Host, ze.Op),
			"check the subdomain (the stack's ZendeskSubdomain, or ZENDESK=): is " + base.String() + " your account?"
	case ze != nil && (ze.Status == http.StatusTooManyRequests || ze.Status >= 500):
		return fmt.Sprintf("Zendesk could not %s just now (%d)", ze.Op, ze.Status), "a passing fault: run the check again in a minute"
	}
	return err.Error(), "see Zendesk's answer above"
}

// fill says how the operator sets keys in the function's secret.
func fill(o options, f function, keys []string) string {
	if o.secrets != "" {
		return "put " + strings.Join(keys, " and ") + " in " + o.secrets
	}
	return fmt.Sprintf("make secrets FN=%s STACK=%s KEYS=%s", f.name, o.stack, strings.Join(keys, ","))
}

// without returns the scopes in want that got lacks.
func without(want, got []string) []string {
	var missing []string
	for _, s := range want {
		if !slices.Contains(got, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

func scopeList(s []string) string {
	if len(s) == 0 {
		return "(none named)"
	}
	return strings.Join(s, " ")
}

// lifetime says when a token expires, in UTC.
func lifetime(expiry time.Time) string {
	if expiry.IsZero() {
		return "with no expiry"
	}
	return fmt.Sprintf("valid until %s (%s; the function mints a new one shortly before)",
		expiry.UTC().Format("2006-01-02 15:04 MST"), strings.TrimSuffix(time.Until(expiry).Round(time.Minute).String(), "0s"))
}
