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
)

// demo shows one round trip through the local API over real HTTP: the
// sample Braze webhook files a ticket; an agent solves it (in the Zendesk
// stand-in); Zendesk's webhook for that ticket logs the event on the Braze
// profile of the user the ticket was filed for, next to the support state
// attributes read from Zendesk. Then it stops.
func demo(ctx context.Context, args []string, out io.Writer) error {
	var o options
	brazeEvent, zendeskEvent := "events/braze-to-zendesk.json", "events/zendesk-to-braze-recommended.json"
	if err := parse("demo", args, &o, func(fs *flag.FlagSet) {
		fs.StringVar(&brazeEvent, "braze-event", brazeEvent, "API Gateway event whose body and headers Braze sends")
		fs.StringVar(&zendeskEvent, "zendesk-event", zendeskEvent, "API Gateway event whose headers Zendesk sends (its ticket_id is set to the ticket just filed)")
	}, "127.0.0.1:0"); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r, err := start(ctx, o, out)
	if err != nil {
		return err
	}
	defer func() { cancel(); <-r.done; r.stop() }()
	fmt.Fprintf(out, "Local API on %s, Zendesk and Braze stand-ins, secrets from %s\n\n", r.base, o.secrets)

	bz, err := loadEvent(brazeEvent)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "1. Braze → Zendesk: a Braze webhook posts %s\n", brazeEvent)
	status, body, err := send(ctx, r.base, bz)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   the bridge answered Braze %d\n%s\n\n", status, indent(pretty(body), "     "))
	var ticket struct {
		TicketID int64 `json:"ticket_id"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &ticket) != nil || ticket.TicketID == 0 {
		return fmt.Errorf("the demo expected 201 with a ticket id, got %d", status)
	}

	zd, err := loadEvent(zendeskEvent)
	if err != nil {
		return err
	}
	if r.zendesk != nil {
		r.zendesk.SetTicketStatus(ticket.TicketID, "solved")
		fmt.Fprintf(out, "2. An agent solves ticket %d in Zendesk.\n\n", ticket.TicketID)
	}
	if err := aboutTicket(&zd, ticket.TicketID); err != nil {
		return fmt.Errorf("%s: %w", zendeskEvent, err)
	}
	secret, err := webhookSecret(r.secrets)
	if err != nil {
		return fmt.Errorf("%s: %w", o.secrets, err)
	}
	if err := apigw.SignZendesk(&zd, secret, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(out, "3. Zendesk → Braze: Zendesk's trigger posts its webhook for ticket %d, signed now\n", ticket.TicketID)
	status2, body2, err := send(ctx, r.base, zd)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   the bridge answered Zendesk %d\n%s\n\n", status2, indent(pretty(body2), "     "))
	if status2 != http.StatusOK {
		return fmt.Errorf("the demo expected 200 from the Zendesk webhook, got %d", status2)
	}
	fmt.Fprintf(out, "Done: ticket %d was filed for the Braze user of %s, and its solving was logged on that user's Braze profile,\n"+
		"in the same /users/track call as the support state read from Zendesk (zendesk_open_tickets, zendesk_last_ticket_*).\n",
		ticket.TicketID, brazeEvent)
	return nil
}

// aboutTicket points a Zendesk webhook sample at ticket id and gives it a
// fresh invocation id, as Zendesk sends a new one per webhook.
func aboutTicket(ev *events.APIGatewayV2HTTPRequest, id int64) error {
	var body map[string]any
	if err := json.Unmarshal([]byte(ev.Body), &body); err != nil {
		return fmt.Errorf("the sample's body is not a JSON object: %w", err)
	}
	body["ticket_id"] = fmt.Sprint(id)
	b, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		return err
	}
	ev.Body = string(b)
	ev.Headers["x-zendesk-webhook-invocation-id"] = fmt.Sprintf("demo-%d-%d", id, time.Now().UnixNano())
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
