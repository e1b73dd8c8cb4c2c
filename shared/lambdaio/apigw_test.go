package lambdaio_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/webhook"
)

// echo answers what it was handed, and panics when asked to.
var echo = webhook.HandlerFunc(func(ctx context.Context, req webhook.Request) webhook.Response {
	if string(req.Body) == "panic" {
		panic("handler exploded")
	}
	_, deadline := ctx.Deadline()
	return webhook.JSON(http.StatusCreated, map[string]any{"body": string(req.Body), "header": req.Header, "deadline": deadline})
})

func TestAPIGatewayAnsweredAsAdapt(t *testing.T) {
	full := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /braze/tickets", RawPath: "/braze/tickets",
		Headers: map[string]string{"Authorization": "Bearer x", "Content-Type": "application/json"},
		Body:    `{"ticket":{"subject":"a \"quoted\" subject"}}`,
	}
	full.RequestContext.HTTP.Method = "POST"
	full.RequestContext.RequestID = "req-1"
	b64 := full
	b64.Body, b64.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(full.Body)), true
	tests := []struct {
		name string
		raw  json.RawMessage
	}{
		{"a full event", marshal(t, full)},
		{"a base64 body", marshal(t, b64)},
		{"invalid base64", json.RawMessage(`{"version":"2.0","body":"%%%","isBase64Encoded":true}`)},
		{"a body over 256 KiB", marshal(t, events.APIGatewayV2HTTPRequest{Version: "2.0", Body: strings.Repeat("a", webhook.MaxBody+1)})},
		{"a panicking handler", marshal(t, events.APIGatewayV2HTTPRequest{Version: "2.0", Body: "panic"})},
		{"a trimmed event: body and headers only", json.RawMessage(`{"headers":{"X-A":"b"},"body":"{}"}`)},
		{"a trimmed event: rawPath only", json.RawMessage(`{"rawPath":"/zendesk/events"}`)},
		{"a Records field that is not the top-level one", json.RawMessage(`{"version":"2.0","body":"{\"Records\":[]}"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, _ := newLog()
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(tt.raw, &ev); err != nil {
				t.Fatal(err)
			}
			want, err := apigw.Adapt(echo, log)(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			never := consumerFunc(func(context.Context, []queue.Record) []queue.Result {
				t.Error("the consumer was called for an API Gateway event")
				return nil
			})
			got, err := lambdaio.Handler(echo, never, &visRecorder{}, log)(context.Background(), tt.raw)
			if err != nil {
				t.Fatalf("Handler: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Handler answered\n%#v\napigw.Adapt answers\n%#v", got, want)
			}
		})
	}
}

// The webhook route keeps apigw.Adapt's margin before Lambda's deadline.
func TestAPIGatewayKeepsAnswerMargin(t *testing.T) {
	log, _ := newLog()
	dl := time.Now().Add(time.Minute)
	var seen time.Time
	h := webhook.HandlerFunc(func(ctx context.Context, _ webhook.Request) webhook.Response {
		seen, _ = ctx.Deadline()
		return webhook.JSON(http.StatusOK, map[string]any{})
	})
	ctx, cancel := context.WithDeadline(context.Background(), dl)
	defer cancel()
	if _, err := lambdaio.Handler(h, nil, nil, log)(ctx, json.RawMessage(`{"version":"2.0","body":"{}"}`)); err != nil {
		t.Fatal(err)
	}
	if want := dl.Add(-apigw.AnswerMargin); !seen.Equal(want) {
		t.Errorf("the handler's deadline is %v, want %v", seen, want)
	}
}
