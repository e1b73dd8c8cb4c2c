package lambdaio_test

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/queue"
)

// whimsical is a consumer whose answer each record's body decides: it
// delivers, fails, fails and asks to wait, panics, or answers short. It
// remembers which ids it answered delivered.
type whimsical struct {
	mu        sync.Mutex
	called    bool
	delivered map[string]bool
}

func (w *whimsical) Consume(_ context.Context, records []queue.Record) []queue.Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.called = true
	out := make([]queue.Result, 0, len(records))
	for _, r := range records {
		switch {
		case strings.Contains(string(r.Body), "panic"):
			panic("whimsical consumer")
		case strings.Contains(string(r.Body), "short"):
			return out
		}
		h := fnv.New32a()
		h.Write(r.Body)
		var res queue.Result
		switch h.Sum32() % 3 {
		case 1:
			res.Failed = true
		case 2:
			res = queue.Result{Failed: true, After: time.Duration(h.Sum32()%100) * time.Second}
		}
		out = append(out, res)
		if !res.Failed {
			w.delivered[r.ID] = true
		}
	}
	return out
}

// sqsRecords decodes raw as Lambda's SQS event source would have sent it,
// or reports that it is not such an event.
func sqsRecords(raw []byte) ([]events.SQSMessage, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil || top["Records"] == nil {
		return nil, false
	}
	var msgs []events.SQSMessage
	if json.Unmarshal(top["Records"], &msgs) != nil || len(msgs) == 0 {
		return nil, false
	}
	for _, m := range msgs {
		if m.EventSource != "aws:sqs" {
			return nil, false
		}
	}
	return msgs, true
}

// isScheduled is the fuzz test's own reading of an EventBridge schedule's
// event: source aws.events, detail-type Scheduled Event, and no Records
// (an event that also claims to be a batch is refused, not guessed at).
func isScheduled(raw []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return false
	}
	if _, batch := top["Records"]; batch {
		return false
	}
	var source, detail string
	return json.Unmarshal(top["source"], &source) == nil && json.Unmarshal(top["detail-type"], &detail) == nil &&
		source == "aws.events" && detail == "Scheduled Event"
}

func FuzzEvent(f *testing.F) {
	seeds := []any{
		sqsEvent(`{"a":1}`, "b", "c"),
		sqsEvent("panic"),
		sqsEvent("ok", "short", "never answered"),
		events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/braze/tickets", Body: `{"ticket":{}}`},
		events.APIGatewayV2HTTPRequest{Body: "cGFuaWM=", IsBase64Encoded: true},
		map[string]any{"Records": []map[string]any{{"eventSource": "aws:sqs"}, {"eventSource": "aws:sqs", "messageId": "x"}}},
		map[string]any{"Records": []map[string]any{{"eventSource": "aws:sqs", "messageId": "dup"}, {"eventSource": "aws:sqs", "messageId": "dup", "body": "x"}}},
	}
	for _, s := range seeds {
		b, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(scheduledEvent))
	f.Add([]byte(`{"source":"aws.events","detail-type":"Scheduled Event","Records":[{"eventSource":"aws:sqs"}]}`))
	f.Add([]byte(`{"version":"0","source":"aws.events","detail-type":"Object Created","body":"{}"}`))
	for _, s := range []string{"", "null", "{}", "[]", `{"Records":[]}`, `{"Records":[{"eventSource":"aws:sns"}]}`, `{"version":"2.0","body":5}`, `{"records":[{"eventSource":"aws:sqs"}]}`} {
		f.Add([]byte(s))
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c := &whimsical{delivered: map[string]bool{}}
		vis := &visRecorder{}
		runs := 0
		sched := scheduleFunc(func(context.Context) (any, error) { runs++; return "ran", nil })
		f := lambdaio.Function{API: echo, Consumer: c, Visibility: vis, Schedule: sched}
		out, err := f.Handler(log)(context.Background(), raw)

		msgs, isSQS := sqsRecords(raw)
		if isScheduled(raw) {
			if runs != 1 || err != nil || out != "ran" || c.called {
				t.Fatalf("a scheduled event: runs %d, answer %#v, err %v, consumer called %v", runs, out, err, c.called)
			}
			return
		}
		if runs != 0 {
			t.Fatalf("the schedule ran for an event that is not one: %s", raw)
		}
		if err != nil {
			if out != nil {
				t.Errorf("answered %#v beside the error %v", out, err)
			}
			if isSQS {
				t.Fatalf("an SQS event was refused: %v", err)
			}
			if c.called {
				t.Fatal("the consumer was called for an event that was refused: its records would all come back")
			}
			return
		}
		switch resp := out.(type) {
		case events.APIGatewayV2HTTPResponse:
			if isSQS {
				t.Fatal("an SQS event was answered as an API Gateway request")
			}
			if resp.StatusCode == 0 || !json.Valid([]byte(resp.Body)) {
				t.Errorf("API Gateway answer %d %q", resp.StatusCode, resp.Body)
			}
		case events.SQSEventResponse:
			if !isSQS {
				t.Fatal("an event that is not SQS got an SQS answer")
			}
			failed := map[string]bool{}
			for _, f := range resp.BatchItemFailures {
				failed[f.ItemIdentifier] = true
			}
			ids := map[string]bool{}
			for _, m := range msgs {
				ids[m.MessageId] = true
				if !failed[m.MessageId] && !c.delivered[m.MessageId] {
					t.Errorf("record %q was lost: not reported failed, and the consumer never answered it delivered", m.MessageId)
				}
			}
			for id := range failed {
				if !ids[id] {
					t.Errorf("reported failed %q, which is no record of the batch", id)
				}
			}
			handles := map[string]bool{}
			for _, m := range msgs {
				handles[m.ReceiptHandle] = true
			}
			for _, v := range vis.calls {
				if !handles[v.handle] || v.after <= 0 {
					t.Errorf("ChangeVisibility(%q, %v) for no failed record", v.handle, v.after)
				}
			}
		default:
			t.Fatalf("answered %T", out)
		}
	})
}
