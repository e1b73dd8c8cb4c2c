package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// function is what one function needs of its secret.
type function struct {
	name   string
	suffix string   // its secret is <stack>/<suffix>
	scopes []string // what its Zendesk token is minted with, as the function does
	// does is the Zendesk work the function does, said to the operator.
	does string
	// rest checks the keys beyond Zendesk's.
	rest func(ctx context.Context, r *report, f function, v secrets.Values, o options, hc *http.Client)
}

var functions = map[string]function{
	"BrazeToZendesk": {
		name: "BrazeToZendesk", suffix: "braze-to-zendesk", scopes: zendesk.ScopesFileTickets,
		does: "finds and creates requesters and files tickets", rest: checkBrazeToken,
	},
	"ZendeskToBraze": {
		name: "ZendeskToBraze", suffix: "zendesk-to-braze", scopes: zendesk.ScopesReadTickets,
		does: "reads tickets and their requesters", rest: checkBrazeSide,
	},
}

// source is where the function's secret is read: the local file, or the
// stack's secret in Secrets Manager (the SDK's standard configuration, so
// AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL_SECRETS_MANAGER apply).
func source(ctx context.Context, o options, f function) (secrets.Source, error) {
	if o.secrets != "" {
		return secrets.File{Path: o.secrets}, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	return secrets.Manager{Client: secretsmanager.NewFromConfig(cfg), ID: o.stack + "/" + f.suffix}, nil
}

// check runs every check of one function and reports each.
func check(ctx context.Context, r *report, f function, src secrets.Source, o options) {
	r.heading("%s: secret %s", f.name, src.Name())
	cache := secrets.NewCache(src, secrets.DefaultTTL)
	v, err := cache.Get(ctx)
	if err != nil {
		r.fail(secretProblem(err, o, f))
		return
	}
	// Each call gets a bound of its own, as in the functions.
	hc := &http.Client{Timeout: 15 * time.Second}
	checkZendesk(ctx, r, f, cache, o, hc)
	f.rest(ctx, r, f, v, o, hc)
}

// secretProblem says why the secret could not be read and what to do.
func secretProblem(err error, o options, f function) (string, string) {
	var unavailable *secrets.UnavailableError
	if errors.As(err, &unavailable) {
		return unavailable.Error(), "run the check again in a minute; if it keeps failing, check that this machine has AWS credentials " +
			"and the stack's region (aws sts get-caller-identity; AWS_PROFILE, AWS_REGION)"
	}
	if o.secrets != "" {
		return err.Error(), "fix " + o.secrets + " (a JSON object of strings; local/secrets.example.json shows its keys)"
	}
	return err.Error(), "the secret is " + o.stack + "/" + f.suffix + ": check STACK (samconfig.toml's stack_name), and that your AWS " +
		"credentials and region (AWS_PROFILE, AWS_REGION) are the stack's and may call secretsmanager:GetSecretValue on it"
}
