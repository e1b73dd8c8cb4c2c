// Package apigw adapts a webhook.Handler to API Gateway HTTP API (payload
// format 2.0) events, the shape Lambda hands the function.
package apigw

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/webhook"
)

// AnswerMargin is kept back from the invocation's deadline for encoding
// and returning the answer.
const AnswerMargin = 500 * time.Millisecond

// Handler is the Lambda entry point for one route.
type Handler func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Adapt returns a Lambda handler that decodes the event, enforces the body
// limit, calls h and encodes its answer. It never returns an error to the
// runtime: every failure is a JSON response, so API Gateway never answers
// with its own opaque 500.
func Adapt(h webhook.Handler, log *slog.Logger) Handler {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, _ error) {
		start := time.Now()
		var out webhook.Response
		defer func() {
			if p := recover(); p != nil {
				// The panic's type and stack only: its value may hold request data.
				log.ErrorContext(ctx, "handler panicked", "panic_type", fmt.Sprintf("%T", p), "stack", string(debug.Stack()))
				out = webhook.Fail(webhook.Errorf(http.StatusInternalServerError, "internal error; the request was not processed"))
			}
			resp = toEvent(out)
			log.InfoContext(ctx, "request",
				"method", ev.RequestContext.HTTP.Method,
				"path", ev.RawPath,
				"request_id", ev.RequestContext.RequestID,
				"status", out.Status,
				"duration_ms", time.Since(start).Milliseconds())
		}()
		req, ferr := Request(ev)
		if ferr != nil {
			out = webhook.Fail(ferr)
			return
		}
		// Finish a little before Lambda's own deadline, so the answer still
		// goes out when a call runs the clock down.
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl.Add(-AnswerMargin))
			defer cancel()
		}
		out = h.ServeWebhook(ctx, req)
		return
	}
}

// Request turns an event into a webhook.Request: header names lower-cased,
// a base64 body decoded, and bodies over webhook.MaxBody refused with 413.
func Request(ev events.APIGatewayV2HTTPRequest) (webhook.Request, *webhook.Error) {
	tooBig := &webhook.Error{Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("the body is larger than %d KiB", webhook.MaxBody>>10)}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		if base64.StdEncoding.DecodedLen(len(ev.Body)) > webhook.MaxBody+3 {
			return webhook.Request{}, tooBig
		}
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return webhook.Request{}, webhook.Errorf(http.StatusBadRequest, "the body is marked base64 but is not valid base64")
		}
		body = b
	}
	if len(body) > webhook.MaxBody {
		return webhook.Request{}, tooBig
	}
	h := make(map[string]string, len(ev.Headers))
	for k, v := range ev.Headers {
		h[strings.ToLower(k)] = v
	}
	return webhook.Request{Header: h, Body: body}, nil
}

func toEvent(r webhook.Response) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: r.Status, Headers: r.Header, Body: string(r.Body)}
}
