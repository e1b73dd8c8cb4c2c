package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// Secret keys beyond Zendesk's credentials.
const (
	keyBrazeWebhookToken = "braze_webhook_token"
	keyBrazeAPIKey       = "braze_api_key"
	keyWebhookSecret     = "zendesk_webhook_secret"
)

// checkBrazeToken: BrazeToZendesk's caller authenticates with the token
// the stack generated.
func checkBrazeToken(_ context.Context, r *report, _ function, v secrets.Values, o options, _ *http.Client) {
	if v.Get(keyBrazeWebhookToken) == "" {
		fix := "the stack generates it: was the secret edited by hand? Put a long random value back (make secrets cannot set it) " +
			"and give it to the Braze webhook as Authorization: Bearer <token>"
		if o.secrets != "" {
			fix = "put a long random value in " + keyBrazeWebhookToken + " in " + o.secrets + " and send it from Braze as Authorization: Bearer <token>"
		}
		r.fail(keyBrazeWebhookToken+" is empty: every Braze webhook would be refused 401", fix)
		return
	}
	r.ok("%s is set (the Braze webhook sends it as Authorization: Bearer <token>)", keyBrazeWebhookToken)
}

// checkBrazeSide: ZendeskToBraze's Braze key, and the secret Zendesk signs
// its webhooks with.
func checkBrazeSide(ctx context.Context, r *report, f function, v secrets.Values, o options, hc *http.Client) {
	checkBrazeKey(ctx, r, v, o, hc, f)
	switch s := v.Get(keyWebhookSecret); {
	case s == "":
		r.fail(keyWebhookSecret+" is empty: every Zendesk webhook would be refused 401",
			"open the saved webhook in Zendesk (Admin Center → Apps and integrations → Webhooks), Reveal secret under Signing secret, then "+
				fill(o, f, []string{keyWebhookSecret}))
	case s == zendesk.TestSigningSecret:
		r.fail(keyWebhookSecret+" is Zendesk's published test secret, which anyone can sign with, so the bridge refuses what is signed with it",
			"create the webhook, open it, Reveal secret under Signing secret (each webhook has its own), then "+fill(o, f, []string{keyWebhookSecret}))
	default:
		r.ok("%s is set, and is not Zendesk's published test secret", keyWebhookSecret)
	}
}

// checkBrazeKey posts an empty /users/track request, which Braze refuses
// before writing anything: the answer says whether the key may call it.
func checkBrazeKey(ctx context.Context, r *report, v secrets.Values, o options, hc *http.Client, f function) {
	refill := fill(o, f, []string{keyBrazeAPIKey})
	key := v.Get(keyBrazeAPIKey)
	if key == "" {
		r.fail(keyBrazeAPIKey+" is empty", "create a Braze REST API key with the users.track permission (Settings → APIs and Identifiers), then "+refill)
		return
	}
	base, err := braze.Endpoint(o.braze)
	if err != nil {
		r.fail(err.Error(), "give the Braze REST endpoint of your dashboard (Settings → APIs and Identifiers), such as https://rest.iad-01.braze.com")
		return
	}
	err = braze.New(base, hc).CheckKey(ctx, key)
	var be *braze.Error
	switch {
	case err == nil:
		r.ok("Braze at %s accepted %s for /users/track (an empty request, refused before anything is written)", base.Host, keyBrazeAPIKey)
	case !errors.As(err, &be):
		r.fail("Braze could not be asked: "+err.Error(), "run the check again")
	case be.Status == http.StatusUnauthorized:
		r.fail(fmt.Sprintf("Braze does not know %s (401 %s)", keyBrazeAPIKey, be.Message),
			"copy the REST API key again (Braze → Settings → APIs and Identifiers), then "+refill)
	case be.Status == http.StatusNotFound:
		r.fail(fmt.Sprintf("Braze at %s does not know %s (404 %s)", base.Host, keyBrazeAPIKey, be.Message),
			"the key was deleted or rotated, or belongs to another Braze instance: the endpoint (the stack's BrazeRestEndpoint, or BRAZE=) "+
				"must be the REST endpoint of the dashboard the key was made in; else create a key there and "+refill)
	case be.Status == http.StatusForbidden:
		r.fail(fmt.Sprintf("Braze refused %s for /users/track (403 %s)", keyBrazeAPIKey, be.Message),
			"give the key the users.track permission (Braze → Settings → APIs and Identifiers → the key), or ask Braze whether the workspace is active")
	case be.Status == 0 || be.Status == http.StatusTooManyRequests || be.Status >= 500:
		r.fail("Braze at "+base.Host+" did not answer the check just now ("+strings.TrimPrefix(be.Error(), "braze /users/track: ")+")",
			"run the check again in a minute; if Braze never answers, check the endpoint (the stack's BrazeRestEndpoint, or BRAZE=)")
	default:
		r.fail("Braze answered the check unexpectedly: "+be.Error(), "check the endpoint (the stack's BrazeRestEndpoint, or BRAZE=) and the key")
	}
}
