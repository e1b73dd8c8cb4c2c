package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/brazezendesk/bridge/shared/apigw"
)

// sign prints a Zendesk sample event signed now, for `sam local invoke`:
// a signature older than five minutes is refused. The secret is
// $ZENDESK_WEBHOOK_SECRET, else the secrets file's zendesk_webhook_secret.
func sign(_ context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	file := fs.String("secrets", "local/secrets.example.json", "JSON secrets file holding zendesk_webhook_secret")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: local sign [-secrets file] event.json > signed.json")
	}
	secret := os.Getenv("ZENDESK_WEBHOOK_SECRET")
	if secret == "" {
		vals, err := readSecrets(*file)
		if err != nil {
			return err
		}
		if secret, err = webhookSecret(vals); err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
	}
	ev, err := loadEvent(fs.Arg(0))
	if err != nil {
		return err
	}
	if err := apigw.SignZendesk(&ev, secret, time.Now()); err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(ev)
}
