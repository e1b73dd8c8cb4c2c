// Command sign-event re-signs a Zendesk sample event (events/zendesk-to-braze*.json)
// with the current time, as Zendesk would have sent it, and prints it. A
// signature older than five minutes is refused, so committed samples need this
// before `sam local invoke`:
//
//	go run ./cmd/sign-event events/zendesk-to-braze.json > /tmp/signed.json
//	sam local invoke ZendeskToBrazeFunction -e /tmp/signed.json --env-vars events/env.json
//
// The signing secret comes from $ZENDESK_WEBHOOK_SECRET, else from the
// zendesk_webhook_secret key of the -secrets file.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/secrets"
)

func main() {
	file := flag.String("secrets", "local/secrets.example.json", "JSON secrets file holding zendesk_webhook_secret")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: sign-event [-secrets file] event.json > signed.json")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *file); err != nil {
		fmt.Fprintln(os.Stderr, "sign-event:", err)
		os.Exit(1)
	}
}

func run(path, secretsFile string) error {
	secret := os.Getenv("ZENDESK_WEBHOOK_SECRET")
	if secret == "" {
		raw, err := os.ReadFile(secretsFile)
		if err != nil {
			return err
		}
		v, err := secrets.Parse(secretsFile, raw)
		if err != nil {
			return err
		}
		if secret = v.Get("zendesk_webhook_secret"); secret == "" {
			return errors.New(secretsFile + " has no zendesk_webhook_secret")
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return fmt.Errorf("%s is not an API Gateway event: %w", path, err)
	}
	if err := apigw.SignZendesk(&ev, secret, time.Now()); err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	return out.Encode(ev)
}
