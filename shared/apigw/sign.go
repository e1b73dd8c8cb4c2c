package apigw

import (
	"encoding/base64"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/webhook"
)

// SignZendesk stamps ev as Zendesk would have sent it at now: the signature
// timestamp and the signature of its (decoded) body under secret. Sample
// events go stale after five minutes; this makes them current again.
func SignZendesk(ev *events.APIGatewayV2HTTPRequest, secret string, now time.Time) error {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return err
		}
		body = b
	}
	ts := now.UTC().Format(time.RFC3339)
	if ev.Headers == nil {
		ev.Headers = map[string]string{}
	}
	ev.Headers[webhook.SignatureTimestampHeader] = ts
	ev.Headers[webhook.SignatureHeader] = webhook.Sign(secret, ts, body)
	return nil
}
