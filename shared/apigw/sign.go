package apigw

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/brazezendesk/bridge/shared/zendesk"
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
	for k := range ev.Headers { // an old signature under any spelling goes
		if strings.EqualFold(k, zendesk.SignatureHeader) || strings.EqualFold(k, zendesk.SignatureTimestampHeader) {
			delete(ev.Headers, k)
		}
	}
	ev.Headers[zendesk.SignatureTimestampHeader] = ts
	ev.Headers[zendesk.SignatureHeader] = zendesk.Sign(secret, ts, body)
	return nil
}

// ResignIfValid re-signs ev at now only when its present signature is
// Zendesk's for secret (just old): a sample signed with another secret,
// such as the bad-signature one, stays as it is. It reports whether it
// re-signed.
func ResignIfValid(ev *events.APIGatewayV2HTTPRequest, secret string, now time.Time) (bool, error) {
	req, ferr := Request(*ev)
	if ferr != nil {
		return false, ferr
	}
	at, err := time.Parse(time.RFC3339, req.Header[zendesk.SignatureTimestampHeader])
	if err != nil {
		return false, nil
	}
	if _, err := zendesk.VerifyZendesk(secret, req.Header, req.Body, at); err != nil {
		return false, nil
	}
	return true, SignZendesk(ev, secret, now)
}
