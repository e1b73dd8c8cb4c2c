package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// targets are where the functions send their calls: real services, or
// stand-ins started here.
type targets struct {
	zendeskSubdomain string
	zendeskURL       string
	zendesk          *zendesktest.Server // the stand-in, when Zendesk is one
	brazeURL         string
	secrets          secrets.Values // the secrets file, read once
	close            func()
}

// startTargets starts a stand-in for each service not given on the command
// line, accepting the credentials in the secrets file, and prints every
// request they receive to out.
func startTargets(o options, out io.Writer) (*targets, error) {
	vals, err := readSecrets(o.secrets)
	if err != nil {
		return nil, err
	}
	p := &printer{out: out}
	t := &targets{secrets: vals, close: func() {}}
	var closers []func()
	switch {
	case o.zendesk == "":
		zd := zendeskStandIn(vals)
		zd.AddSamples()
		zd.Observe = func(r zendesktest.Request, status int) {
			p.received("Zendesk", r.Method, r.Path, r.Header, r.Body, status)
		}
		t.zendeskURL, t.zendesk = zd.URL, zd
		closers = append(closers, zd.Close)
	case strings.Contains(o.zendesk, "://"):
		t.zendeskURL = o.zendesk
	default:
		t.zendeskSubdomain = o.zendesk
	}
	if o.braze == "" {
		bz := brazetest.New(vals.Get("braze_api_key"))
		// The demo's requester came from Braze: a user Braze knows.
		bz.AssumeProfilesExist()
		bz.Observe = func(r brazetest.Request, status int) { p.received("Braze", r.Method, r.Path, r.Header, r.Body, status) }
		t.brazeURL = bz.URL
		closers = append(closers, bz.Close)
	} else {
		t.brazeURL = o.braze
	}
	t.close = func() {
		for _, c := range closers {
			c()
		}
	}
	return t, nil
}

// zendeskStandIn is a Zendesk that accepts the credentials in the secrets
// file as Zendesk would: its OAuth client, whose tokens it mints at
// /oauth/tokens; an API token only when the file holds one and no OAuth
// client (as accounts that can no longer create API tokens).
func zendeskStandIn(v secrets.Values) *zendesktest.Server {
	zd := zendesktest.New(v.Get(zendesk.KeyEmail), v.Get(zendesk.KeyAPIToken))
	if id, secret := v.Get(zendesk.KeyOAuthClientID), v.Get(zendesk.KeyOAuthClientSecret); id != "" && secret != "" {
		zd.AddOAuthClient(id, secret)
		zd.DisableAPITokens(true)
	}
	return zd
}

// printer writes what the stand-ins receive, readably, one request at a time.
type printer struct {
	mu  sync.Mutex
	out io.Writer
}

func (p *printer) received(service, method, path string, h http.Header, body []byte, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "   %s received %s %s → %d %s\n", service, method, path, status, http.StatusText(status))
	// The one header worth showing; never Authorization.
	if k := h.Get("Idempotency-Key"); k != "" {
		fmt.Fprintf(p.out, "     Idempotency-Key: %s\n", k)
	}
	if service == "Zendesk" && path == zendesktest.TokensPath {
		body = tokenRequest(body)
	}
	fmt.Fprintln(p.out, indent(pretty(body), "     "))
}

// tokenRequest is what may be shown of an OAuth token request: its grant
// and scopes, never the client's id or secret.
func tokenRequest(body []byte) []byte {
	var req map[string]any
	if json.Unmarshal(body, &req) != nil {
		return []byte("(not shown)")
	}
	shown := map[string]any{}
	for _, k := range []string{"grant_type", "scope", "expires_in"} {
		if v, ok := req[k]; ok {
			shown[k] = v
		}
	}
	b, _ := json.Marshal(shown)
	return b
}

// pretty indents JSON, or returns the bytes as they are.
func pretty(b []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return string(b)
	}
	return buf.String()
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// readSecrets reads and checks the local secrets file.
func readSecrets(path string) (secrets.Values, error) {
	raw, err := secrets.File{Path: path}.Load(context.Background())
	if err != nil {
		return secrets.Values{}, err
	}
	return secrets.Parse(path, raw)
}

// webhookSecret is the Zendesk signing secret among v.
func webhookSecret(v secrets.Values) (string, error) {
	if err := v.Require("zendesk_webhook_secret"); err != nil {
		return "", err
	}
	return v.Get("zendesk_webhook_secret"), nil
}
