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
		zd := zendesktest.New(vals.Get("zendesk_email"), vals.Get("zendesk_api_token"))
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
	fmt.Fprintln(p.out, indent(pretty(body), "     "))
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
