// Command local runs the bridge on this machine, with no AWS account and no
// Docker: the same handler code as in Lambda, secrets from a local file, and
// Zendesk and Braze either real or local stand-ins that print what they get.
//
//	go run ./cmd/local [serve] [flags]   a local API on 127.0.0.1:3000 until Ctrl-C
//	go run ./cmd/local demo [flags]      send the sample Braze and Zendesk bodies through it, print, exit
//	go run ./cmd/local invoke -fn NAME -event FILE [flags]
//	                                     run one event through the built bootstrap under aws-lambda-rie
//	go run ./cmd/local sign FILE         print a Zendesk sample event signed now (for sam local invoke)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cmd, args := "serve", os.Args[1:]
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, os.Stdout)
	case "demo":
		err = demo(ctx, args, os.Stdout)
	case "invoke":
		err = invoke(ctx, args, os.Stdout)
	case "sign":
		err = sign(ctx, args, os.Stdout)
	default:
		err = fmt.Errorf("unknown command %q: use serve, demo, invoke or sign", cmd)
	}
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

// options are the flags every command shares.
type options struct {
	addr    string
	secrets string
	zendesk string
	braze   string
	verbose bool
}

func (o *options) register(fs *flag.FlagSet, addr string) {
	fs.StringVar(&o.addr, "addr", addr, "address of the local API (port 0: a free one)")
	fs.StringVar(&o.secrets, "secrets", "local/secrets.example.json",
		"JSON file with the secret keys of both functions (its values are never printed)")
	fs.StringVar(&o.zendesk, "zendesk", "",
		"a real Zendesk: its subdomain (acme) or URL; empty runs a local stand-in")
	fs.StringVar(&o.braze, "braze", "",
		"a real Braze REST endpoint (https://rest.iad-01.braze.com); empty runs a local stand-in")
	fs.BoolVar(&o.verbose, "v", false, "print the functions' JSON logs to stderr")
}

// parse reads a command's flags; addr is the default address of its API.
func parse(name string, args []string, o *options, extra func(*flag.FlagSet), addr string) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	o.register(fs, addr)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return nil
}

func logTo(o options) io.Writer {
	if o.verbose {
		return os.Stderr
	}
	return io.Discard
}
