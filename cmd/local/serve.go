package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// Routes of the deployed HTTP API.
const (
	BrazeRoute   = "POST /braze/tickets"
	ZendeskRoute = "POST /zendesk/events"
)

// api builds the local API: both routes, wired as the functions wire them,
// with the secrets file in place of Secrets Manager.
func api(o options, t *targets, logs io.Writer) (*apigw.Local, error) {
	path, err := filepath.Abs(o.secrets)
	if err != nil {
		return nil, err
	}
	src := secrets.File{Path: path}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	mis := &webhook.Misconfig{Log: log}
	braze := tickets.NewHandler(tickets.Config{ZendeskSubdomain: t.zendeskSubdomain, ZendeskBaseURL: t.zendeskURL, Secrets: src}, mis)
	zendesk := tracking.NewHandler(tracking.Config{BrazeRESTEndpoint: t.brazeURL,
		ZendeskSubdomain: t.zendeskSubdomain, ZendeskBaseURL: t.zendeskURL, Secrets: src}, mis)
	return &apigw.Local{Routes: map[string]apigw.Handler{
		BrazeRoute:   apigw.Adapt(braze, log),
		ZendeskRoute: apigw.Adapt(zendesk, log),
	}}, nil
}

// running is a local API being served.
type running struct {
	base    string              // its URL
	secrets secrets.Values      // the secrets file, read once
	zendesk *zendesktest.Server // the Zendesk stand-in, or nil for a real Zendesk
	done    <-chan error        // yields the server's end after ctx ends
	stop    func()              // stops the stand-ins, once done has yielded
}

// start runs the local API on o.addr until ctx ends.
func start(ctx context.Context, o options, out io.Writer) (*running, error) {
	t, err := startTargets(o, out)
	if err != nil {
		return nil, err
	}
	l, err := api(o, t, logTo(o))
	if err != nil {
		t.close()
		return nil, err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		t.close()
		return nil, fmt.Errorf("listening on %s: %w (another local API running? choose one with -addr)", o.addr, err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, ln) }()
	return &running{base: "http://" + ln.Addr().String(), secrets: t.secrets, zendesk: t.zendesk, done: done, stop: t.close}, nil
}

func serve(ctx context.Context, args []string, out io.Writer) error {
	var o options
	if err := parse("serve", args, &o, nil, "127.0.0.1:3000"); err != nil {
		return err
	}
	r, err := start(ctx, o, out)
	if err != nil {
		return err
	}
	defer r.stop()
	base := r.base
	fmt.Fprintf(out, "Local API on %s (Ctrl-C stops it)\n", base)
	fmt.Fprintf(out, "  %s  → %s/braze/tickets\n", BrazeRoute, base)
	fmt.Fprintf(out, "  %s → %s/zendesk/events\n", ZendeskRoute, base)
	fmt.Fprintf(out, "Secrets from %s; Zendesk: %s; Braze: %s\n", o.secrets, describe(o.zendesk), describe(o.braze))
	return <-r.done
}

func describe(target string) string {
	if target == "" {
		return "local stand-in (prints what it receives)"
	}
	return target
}
