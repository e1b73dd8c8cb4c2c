package lambdaio_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/queue"
)

// The handler under the real runtime: a bootstrap built on lambdaio.Main
// (internal/fakefn) runs under aws-lambda-rie, is invoked with the events
// Lambda sends, and its SQS answers are applied to a moto queue as Lambda's
// event source applies them.
func TestUnderTheEmulator(t *testing.T) {
	moto := mototest.Start(t)
	url, _ := moto.CreateQueue(t, "e2e", 5)
	fn := lambdatest.Start(t, lambdatest.BuildPackage(t, "./shared/lambdaio/internal/fakefn"),
		append(moto.Env(), "RETRY_QUEUE_URL="+url, "AWS_LAMBDA_LOG_LEVEL=DEBUG")...)

	apiEvent := func(body string) []byte {
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "POST /braze/tickets", RawPath: "/braze/tickets",
			Headers: map[string]string{"Authorization": "Bearer t"}, Body: body}
		ev.RequestContext.HTTP.Method = "POST"
		return marshal(t, ev)
	}
	checkAPI := func(t *testing.T, body string) {
		t.Helper()
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(fn.InvokeRaw(t, apiEvent(body)), &resp); err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
			t.Fatalf("body %q is not JSON", resp.Body)
		}
		if resp.StatusCode != http.StatusOK || got["body"] != body || got["authorization"] != "Bearer t" {
			t.Errorf("answered %d %s, want 200 echoing the body and the lower-cased header", resp.StatusCode, resp.Body)
		}
	}

	t.Run("API Gateway", func(t *testing.T) { checkAPI(t, `{"ticket":{"subject":"\"hi\" é"}}`) })

	t.Run("SQS batch", func(t *testing.T) {
		q := &queue.SQS{Client: moto.SQS(t), URL: url}
		for _, body := range []string{`{"n":1}`, `{"fail":true,"after_ms":10}`, `{"fail":true}`} {
			if err := q.Send(context.Background(), []byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		ev := moto.Drain(t, url)
		if len(ev.Records) != 3 {
			t.Fatalf("drained %d records, want 3", len(ev.Records))
		}
		ids := map[string]string{} // body → message id
		for _, r := range ev.Records {
			ids[r.Body] = r.MessageId
		}
		var resp events.SQSEventResponse
		if err := json.Unmarshal(fn.InvokeRaw(t, marshal(t, ev)), &resp); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range resp.BatchItemFailures {
			got = append(got, f.ItemIdentifier)
		}
		want := []string{ids[`{"fail":true,"after_ms":10}`], ids[`{"fail":true}`]}
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("batchItemFailures = %v, want %v", got, want)
		}
		if n := moto.Settle(t, url, ev, resp); n != 1 {
			t.Errorf("deleted %d messages, want the one delivered", n)
		}
		if n := moto.Count(t, url); n != 2 {
			t.Errorf("the queue holds %d messages, want the two failed", n)
		}

		// The one that asked to wait 10 ms (1 s in SQS) comes back after
		// it; the other keeps the queue's 30 s.
		start := time.Now()
		for {
			again := moto.Drain(t, url)
			if len(again.Records) > 0 {
				r := again.Records[0]
				if len(again.Records) != 1 || r.MessageId != ids[`{"fail":true,"after_ms":10}`] {
					t.Fatalf("came back: %+v", again.Records)
				}
				if r.Attributes["ApproximateReceiveCount"] != "2" {
					t.Errorf("ApproximateReceiveCount = %s, want 2", r.Attributes["ApproximateReceiveCount"])
				}
				if waited := time.Since(start); waited < 500*time.Millisecond {
					t.Errorf("it came back after %v, before its 1 s", waited)
				}
				break
			}
			if time.Since(start) > 3*time.Second {
				t.Fatal("the record that asked to wait 1 s did not come back within 3 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("a panicking consumer fails the batch's records", func(t *testing.T) {
		ev := sqsEvent(`{"n":1}`, `{"panic":true}`)
		var resp events.SQSEventResponse
		if err := json.Unmarshal(fn.InvokeRaw(t, marshal(t, ev)), &resp); err != nil {
			t.Fatal(err)
		}
		if len(resp.BatchItemFailures) != 2 {
			t.Errorf("batchItemFailures = %+v, want both records", resp.BatchItemFailures)
		}
	})

	t.Run("an unknown event is an error, and the function keeps serving", func(t *testing.T) {
		for _, raw := range []string{`"garbage"`, `{"Records":[{"eventSource":"aws:sns"}]}`, `{}`} {
			var out struct{ ErrorMessage, ErrorType string }
			if err := json.Unmarshal(fn.InvokeRaw(t, []byte(raw)), &out); err != nil {
				t.Fatal(err)
			}
			if out.ErrorType != "UnknownEventError" || out.ErrorMessage == "" {
				t.Errorf("%s: answered %+v, want an UnknownEventError", raw, out)
			}
		}
		checkAPI(t, "still here")
	})
}
