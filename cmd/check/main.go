// Command check tells an operator, after filling a function's secret,
// whether its credentials work, and in plain words what to fix when they
// do not. It builds the Zendesk authenticator the function builds (the
// same scopes), mints a token, shows whom it acts as and what it was
// granted, proves the Braze key may call /users/track without writing to
// any profile, and checks the keys a caller signs or authenticates with.
// It never prints a secret value or a token.
//
//	go run ./cmd/check -fn BrazeToZendesk -stack braze-zendesk-bridge -zendesk acme
//	go run ./cmd/check -fn ZendeskToBraze -stack braze-zendesk-bridge -zendesk acme -braze https://rest.iad-01.braze.com
//	go run ./cmd/check -secrets local/secrets.json -zendesk acme -braze https://rest.iad-01.braze.com [-fn …]
//
// With -secrets it reads a local secrets file (both functions' keys, as
// make local reads it) instead of the stack's secret in Secrets Manager.
// It exits 1 when anything needs fixing, 2 when it could not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errProblems):
		os.Exit(1)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "check:", err)
		os.Exit(2)
	}
}

// errProblems is a check that found something to fix; the report says what.
var errProblems = errors.New("credentials need fixing")

// options are the command's flags.
type options struct {
	fn      string
	stack   string
	secrets string
	zendesk string
	braze   string
	timeout time.Duration
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.StringVar(&o.fn, "fn", "", "BrazeToZendesk or ZendeskToBraze (with -secrets, empty checks both)")
	fs.StringVar(&o.stack, "stack", "braze-zendesk-bridge", "the stack whose secret is checked (samconfig.toml's stack_name)")
	fs.StringVar(&o.secrets, "secrets", "", "a local secrets file to check instead of the stack's secret")
	fs.StringVar(&o.zendesk, "zendesk", "", "the Zendesk account: its subdomain (acme) or URL")
	fs.StringVar(&o.braze, "braze", "", "the Braze REST endpoint (https://rest.iad-01.braze.com), for ZendeskToBraze")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "how long the whole check may take")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	o.fn = strings.TrimSuffix(strings.TrimSpace(o.fn), "Function")
	if _, ok := functions[o.fn]; !ok && !(o.fn == "" && o.secrets != "") {
		return o, errors.New("-fn must be BrazeToZendesk or ZendeskToBraze")
	}
	if strings.TrimSpace(o.zendesk) == "" {
		return o, errors.New("-zendesk is needed: the account's subdomain (acme for https://acme.zendesk.com) or URL")
	}
	if (o.fn == "ZendeskToBraze" || o.fn == "") && strings.TrimSpace(o.braze) == "" {
		return o, errors.New("-braze is needed for ZendeskToBraze: the Braze REST endpoint, such as https://rest.iad-01.braze.com")
	}
	return o, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	names := []string{o.fn}
	if o.fn == "" {
		names = []string{"BrazeToZendesk", "ZendeskToBraze"}
	}
	problems := 0
	for i, name := range names {
		if i > 0 {
			fmt.Fprintln(out)
		}
		src, err := source(ctx, o, functions[name])
		if err != nil {
			return err
		}
		r := &report{out: out}
		check(ctx, r, functions[name], src, o)
		r.summary(name, o)
		problems += r.failed
	}
	if problems > 0 {
		return errProblems
	}
	return nil
}
