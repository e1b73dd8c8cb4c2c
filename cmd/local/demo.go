package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/tracking"
)

// demo sends the sample Braze webhook and a freshly signed Zendesk webhook
// through the local API over real HTTP, prints what happens, and stops.
func demo(ctx context.Context, args []string, out io.Writer) error {
	var o options
	brazeEvent, zendeskEvent := "events/braze-to-zendesk.json", "events/zendesk-to-braze.json"
	if err := parse("demo", args, &o, func(fs *flag.FlagSet) {
		fs.StringVar(&brazeEvent, "braze-event", brazeEvent, "API Gateway event whose body and headers Braze sends")
		fs.StringVar(&zendeskEvent, "zendesk-event", zendeskEvent, "API Gateway event whose body and headers Zendesk sends")
	}); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r, err := start(ctx, o, out)
	if err != nil {
		return err
	}
	defer func() { cancel(); <-r.done; r.stop() }()
	base := r.base
	fmt.Fprintf(out, "Local API on %s, Zendesk and Braze stand-ins, secrets from %s\n\n", base, o.secrets)

	bz, err := loadEvent(brazeEvent)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "1. Braze → Zendesk: a Braze webhook posts %s\n", brazeEvent)
	status, body, err := send(ctx, base, bz)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   the bridge answered Braze %d\n%s\n\n", status, indent(pretty(body), "     "))
	var ticket struct {
		TicketID int64  `json:"ticket_id"`
		URL      string `json:"url"`
	}
	json.Unmarshal(body, &ticket)

	zd, err := loadEvent(zendeskEvent)
	if err != nil {
		return err
	}
	secret, err := webhookSecret(r.secrets)
	if err != nil {
		return fmt.Errorf("%s: %w", o.secrets, err)
	}
	if _, err := apigw.ResignIfValid(&zd, secret, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(out, "2. Zendesk → Braze: a Zendesk trigger posts %s, signed now\n", zendeskEvent)
	status2, body2, err := send(ctx, base, zd)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   the bridge answered Zendesk %d\n%s\n\n", status2, indent(pretty(body2), "     "))

	if status != http.StatusCreated || status2 != http.StatusOK {
		return fmt.Errorf("the demo expected 201 and 200, got %d and %d", status, status2)
	}
	event := "the event"
	if req, ferr := apigw.Request(zd); ferr == nil {
		if t, err := tracking.Parse(req.Body, time.Now()); err == nil && len(t.Events) > 0 {
			event = fmt.Sprint(t.Events[0]["name"])
		}
	}
	fmt.Fprintf(out, "Done: Zendesk ticket %d filed (%s); Braze logged %s on the requester's profile.\n", ticket.TicketID, ticket.URL, event)
	return nil
}

func loadEvent(path string) (events.APIGatewayV2HTTPRequest, error) {
	var ev events.APIGatewayV2HTTPRequest
	b, err := os.ReadFile(path)
	if err != nil {
		return ev, err
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		return ev, fmt.Errorf("%s is not an API Gateway event: %w", path, err)
	}
	return ev, nil
}

// hopHeaders are set by API Gateway or the HTTP client, not by the caller.
var hopHeaders = map[string]bool{"host": true, "content-length": true, "x-forwarded-for": true,
	"x-forwarded-port": true, "x-forwarded-proto": true, "x-amzn-trace-id": true, "accept-encoding": true}

// send posts ev's body with its caller's headers to the local API.
func send(ctx context.Context, base string, ev events.APIGatewayV2HTTPRequest) (int, []byte, error) {
	req, ferr := apigw.Request(ev)
	if ferr != nil {
		return 0, nil, ferr
	}
	r, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, base+ev.RawPath, bytes.NewReader(req.Body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range req.Header {
		if !hopHeaders[k] {
			r.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
