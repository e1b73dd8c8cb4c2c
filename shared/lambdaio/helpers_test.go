package lambdaio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/queue"
)

// logBuffer collects a JSON logger's lines; safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// has reports whether a line at level has a message containing msg.
func (b *logBuffer) has(t *testing.T, level, msg string) bool {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if m["level"] == level && strings.Contains(m["msg"].(string), msg) {
			return true
		}
	}
	return false
}

func newLog() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewJSONHandler(buf, nil)), buf
}

// consumerFunc adapts a function to queue.Consumer.
type consumerFunc func(ctx context.Context, records []queue.Record) []queue.Result

func (f consumerFunc) Consume(ctx context.Context, records []queue.Record) []queue.Result {
	return f(ctx, records)
}

// answer is a consumer answering results, recording what it was handed.
type answer struct {
	results []queue.Result
	mu      sync.Mutex
	got     [][]queue.Record
}

func (a *answer) Consume(_ context.Context, records []queue.Record) []queue.Result {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, records)
	return a.results
}

// visCall is one ChangeVisibility call.
type visCall struct {
	handle string
	after  time.Duration
}

// visRecorder records ChangeVisibility calls and answers err (or panics).
type visRecorder struct {
	err   error
	panic bool
	mu    sync.Mutex
	calls []visCall
}

func (v *visRecorder) ChangeVisibility(_ context.Context, handle string, after time.Duration) error {
	v.mu.Lock()
	v.calls = append(v.calls, visCall{handle, after})
	v.mu.Unlock()
	if v.panic {
		panic("visibility exploded")
	}
	return v.err
}

// sqsEvent is an SQS event of records with these bodies, as Lambda sends
// it: ids m-1…, handles h-1…
func sqsEvent(bodies ...string) events.SQSEvent {
	ev := events.SQSEvent{}
	for i, b := range bodies {
		n := string(rune('1' + i))
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:      "m-" + n,
			ReceiptHandle:  "h-" + n,
			Body:           b,
			Attributes:     map[string]string{"ApproximateReceiveCount": n, "SentTimestamp": "1764025800123"},
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:retry",
			AWSRegion:      "us-east-1",
		})
	}
	return ev
}

func marshal(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// failedIDs is the itemIdentifiers of an SQS answer, failing the test when
// the answer is not one.
func failedIDs(t *testing.T, out any) []string {
	t.Helper()
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("answer is %T, want events.SQSEventResponse", out)
	}
	if resp.BatchItemFailures == nil {
		t.Error("batchItemFailures is null, want a list")
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}
