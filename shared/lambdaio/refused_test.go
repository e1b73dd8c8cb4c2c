package lambdaio

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/webhook"
)

// Refused hears of exactly the requests the adapter answered before the
// route saw them, with their status, and the answers do not change.
func TestRefusedHearsOfRequestsTheRouteNeverSaw(t *testing.T) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	route := webhook.HandlerFunc(func(context.Context, webhook.Request) webhook.Response {
		return webhook.JSON(http.StatusBadRequest, map[string]any{"error": "the route's own 400"})
	})
	big, _ := json.Marshal(events.APIGatewayV2HTTPRequest{Version: "2.0", Body: strings.Repeat("a", webhook.MaxBody+1)})
	for _, tc := range []struct {
		name    string
		raw     string
		status  int
		refused []int
	}{
		{"a body over the limit", string(big), 413, []int{413}},
		{"invalid base64", `{"version":"2.0","body":"%%%","isBase64Encoded":true}`, 400, []int{400}},
		{"the route's own refusal", `{"version":"2.0","body":"{}"}`, 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var refused []int
			h := handler(Function{API: route, Refused: func(status int) { refused = append(refused, status) }}, log)
			out, err := h(context.Background(), json.RawMessage(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if resp := out.(events.APIGatewayV2HTTPResponse); resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if len(refused) != len(tc.refused) || (len(refused) == 1 && refused[0] != tc.refused[0]) {
				t.Errorf("Refused heard %v, want %v", refused, tc.refused)
			}
			// Without the hook, the same answer.
			plain, _ := handler(Function{API: route}, log)(context.Background(), json.RawMessage(tc.raw))
			if plain.(events.APIGatewayV2HTTPResponse).StatusCode != tc.status {
				t.Errorf("without Refused: %+v", plain)
			}
		})
	}
}
