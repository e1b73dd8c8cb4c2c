package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/rie"
)

// functions maps template logical ids to their folders.
var functions = map[string]string{
	"BrazeToZendeskFunction": "braze-to-zendesk",
	"ZendeskToBrazeFunction": "zendesk-to-braze",
}

// invoke runs one event through a function's built bootstrap under
// aws-lambda-rie, as `sam local invoke` does in its container, without Docker.
func invoke(ctx context.Context, args []string, out io.Writer) error {
	var o options
	var fn, event, bootstrap, emulator string
	if err := parse("invoke", args, &o, func(fs *flag.FlagSet) {
		fs.StringVar(&fn, "fn", "", "BrazeToZendeskFunction or ZendeskToBrazeFunction")
		fs.StringVar(&event, "event", "", "API Gateway event file, e.g. events/braze-to-zendesk.json")
		fs.StringVar(&bootstrap, "bootstrap", "", "the built bootstrap (default build/native/<function>/bootstrap)")
		fs.StringVar(&emulator, "rie", "bin/aws-lambda-rie", "the aws-lambda-rie binary (make tools installs it)")
	}, "127.0.0.1:0"); err != nil {
		return err
	}
	folder, ok := functions[fn]
	if !ok {
		return fmt.Errorf("-fn must be BrazeToZendeskFunction or ZendeskToBrazeFunction")
	}
	if event == "" {
		return fmt.Errorf("-event is required, e.g. events/%s.json", folder)
	}
	if bootstrap == "" {
		bootstrap = filepath.Join("build", "native", folder, "bootstrap")
	}
	ev, err := loadEvent(event)
	if err != nil {
		return err
	}
	t, err := startTargets(o, out)
	if err != nil {
		return err
	}
	defer t.close()
	secretsPath, err := filepath.Abs(o.secrets)
	if err != nil {
		return err
	}
	env := []string{"SECRETS_FILE=" + secretsPath, "SECRET_ID=", "AWS_LAMBDA_LOG_LEVEL=DEBUG"}
	env = append(env, "ZENDESK_SUBDOMAIN="+t.zendeskSubdomain, "ZENDESK_BASE_URL="+t.zendeskURL)
	if folder != "braze-to-zendesk" {
		env = append(env, "BRAZE_REST_ENDPOINT="+t.brazeURL)
		secret, err := webhookSecret(t.secrets)
		if err != nil {
			return fmt.Errorf("%s: %w", o.secrets, err)
		}
		if ok, err := apigw.ResignIfValid(&ev, secret, time.Now()); err != nil {
			return err
		} else if ok {
			fmt.Fprintln(out, "(the event's Zendesk signature was renewed for now)")
		}
	}
	startCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	f, err := rie.Start(startCtx, emulator, bootstrap, env)
	if err != nil {
		return fmt.Errorf("%w (run `make tools build-native` first)", err)
	}
	defer f.Stop()
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Invoking %s (%s) with %s under aws-lambda-rie\n", fn, bootstrap, event)
	b, err := f.Invoke(ctx, payload)
	if err != nil {
		return err
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(b, &resp); err != nil || resp.StatusCode == 0 {
		return fmt.Errorf("the function did not answer an API Gateway response: %s", b)
	}
	fmt.Fprintf(out, "\nResponse %d\n%s\n", resp.StatusCode, indent(pretty([]byte(resp.Body)), "  "))
	if o.verbose {
		fmt.Fprintf(os.Stderr, "\nFunction output:\n%s", f.Output())
	}
	if strings.HasPrefix(fmt.Sprint(resp.StatusCode), "5") {
		return fmt.Errorf("the function answered %d", resp.StatusCode)
	}
	return nil
}
