package lambdaio_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/queue"
)

func TestSQSBatch(t *testing.T) {
	fail := queue.Result{Failed: true}
	ok := queue.Result{}
	panics := consumerFunc(func(context.Context, []queue.Record) []queue.Result { panic("consumer exploded") })
	tests := []struct {
		name       string
		consumer   queue.Consumer // nil: the answer consumer, unless noConsumer
		noConsumer bool
		results    []queue.Result
		vis        *visRecorder
		noVis      bool
		noHandles  bool
		want       []string  // itemIdentifiers, in order
		wantVis    []visCall // ChangeVisibility calls
		wantLog    string    // a line with this message, at wantLevel
		wantLevel  string
	}{
		{
			name:    "one fails after 30 s, one fails without",
			results: []queue.Result{ok, {Failed: true, After: 30 * time.Second}, fail},
			want:    []string{"m-2", "m-3"},
			wantVis: []visCall{{"h-2", 30 * time.Second}},
		},
		{
			name:    "all delivered",
			results: []queue.Result{ok, ok, ok},
			want:    []string{},
		},
		{
			name:    "all fail after their own wait",
			results: []queue.Result{{Failed: true, After: time.Second}, {Failed: true, After: 2 * time.Second}, {Failed: true, After: time.Hour}},
			want:    []string{"m-1", "m-2", "m-3"},
			wantVis: []visCall{{"h-1", time.Second}, {"h-2", 2 * time.Second}, {"h-3", time.Hour}},
		},
		{
			name:    "an After on a delivered record is ignored",
			results: []queue.Result{{After: time.Minute}, ok, ok},
			want:    []string{},
		},
		{
			name:      "fewer results than records",
			results:   []queue.Result{ok},
			want:      []string{"m-2", "m-3"},
			wantLog:   "fewer results",
			wantLevel: "ERROR",
		},
		{
			name:      "no results",
			results:   nil,
			want:      []string{"m-1", "m-2", "m-3"},
			wantLog:   "fewer results",
			wantLevel: "ERROR",
		},
		{
			name:      "more results than records",
			results:   []queue.Result{ok, fail, ok, fail, fail},
			want:      []string{"m-2"},
			wantLog:   "more results",
			wantLevel: "WARN",
		},
		{
			name:      "a panicking consumer",
			consumer:  panics,
			want:      []string{"m-1", "m-2", "m-3"},
			wantLog:   "consumer panicked",
			wantLevel: "ERROR",
		},
		{
			name:       "no consumer",
			noConsumer: true,
			want:       []string{"m-1", "m-2", "m-3"},
			wantLog:    "without a retry queue consumer",
			wantLevel:  "ERROR",
		},
		{
			name:      "changing the visibility fails",
			results:   []queue.Result{{Failed: true, After: 5 * time.Second}, ok, fail},
			vis:       &visRecorder{err: errors.New("throttled")},
			want:      []string{"m-1", "m-3"},
			wantVis:   []visCall{{"h-1", 5 * time.Second}},
			wantLog:   "could not delay",
			wantLevel: "WARN",
		},
		{
			name:      "changing the visibility panics",
			results:   []queue.Result{{Failed: true, After: 5 * time.Second}, ok, ok},
			vis:       &visRecorder{panic: true},
			want:      []string{"m-1"},
			wantVis:   []visCall{{"h-1", 5 * time.Second}},
			wantLog:   "could not delay",
			wantLevel: "WARN",
		},
		{
			name:      "no visibility changer",
			results:   []queue.Result{{Failed: true, After: 5 * time.Second}, ok, ok},
			noVis:     true,
			want:      []string{"m-1"},
			wantLog:   "cannot change visibilities",
			wantLevel: "WARN",
		},
		{
			name:      "a record without a receipt handle",
			results:   []queue.Result{{Failed: true, After: 5 * time.Second}, ok, ok},
			noHandles: true,
			want:      []string{"m-1"},
			wantLog:   "no receipt handle",
			wantLevel: "WARN",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := newLog()
			ev := sqsEvent(`{"n":1}`, `{"n":"two \"quoted\""}`, "three\n")
			if tt.noHandles {
				for i := range ev.Records {
					ev.Records[i].ReceiptHandle = ""
				}
			}
			ans := &answer{results: tt.results}
			var c queue.Consumer = ans
			switch {
			case tt.noConsumer:
				c = nil
			case tt.consumer != nil:
				c = tt.consumer
			}
			vis := tt.vis
			if vis == nil {
				vis = &visRecorder{}
			}
			var v lambdaio.Visibility = vis
			if tt.noVis {
				v = nil
			}
			out, err := lambdaio.Handler(echo, c, v, log)(context.Background(), marshal(t, ev))
			if err != nil {
				t.Fatalf("Handler: %v", err)
			}
			if got := failedIDs(t, out); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("batchItemFailures = %v, want %v", got, tt.want)
			}
			if !sameCalls(vis.calls, tt.wantVis) {
				t.Errorf("ChangeVisibility calls = %v, want %v", vis.calls, tt.wantVis)
			}
			if tt.wantLog != "" && !buf.has(t, tt.wantLevel, tt.wantLog) {
				t.Errorf("no %s line saying %q in:\n%s", tt.wantLevel, tt.wantLog, buf)
			}
			if !buf.has(t, "INFO", "batch") {
				t.Errorf("no batch line in:\n%s", buf)
			}
		})
	}
}

// sameCalls compares calls in any order: they are made concurrently.
func sameCalls(got, want []visCall) bool {
	if len(got) != len(want) {
		return false
	}
	left := map[visCall]int{}
	for _, c := range want {
		left[c]++
	}
	for _, c := range got {
		if left[c] == 0 {
			return false
		}
		left[c]--
	}
	return true
}

// The consumer is handed the records as SQS delivered them.
func TestSQSRecords(t *testing.T) {
	log, _ := newLog()
	ev := sqsEvent(`{"a":"\"\\é🎉"}`, "x", "")
	ev.Records[1].Attributes = nil // attributes SQS always sends, missing
	ev.Records[2].Attributes = map[string]string{"ApproximateReceiveCount": "many", "SentTimestamp": "-5"}
	ans := &answer{results: []queue.Result{{}, {}, {}}}
	if _, err := lambdaio.Handler(echo, ans, nil, log)(context.Background(), marshal(t, ev)); err != nil {
		t.Fatal(err)
	}
	want := []queue.Record{
		{ID: "m-1", Body: []byte(`{"a":"\"\\é🎉"}`), ReceiveCount: 1, Handle: "h-1", SentAt: time.UnixMilli(1764025800123)},
		{ID: "m-2", Body: []byte("x"), Handle: "h-2"},
		{ID: "m-3", Body: []byte{}, Handle: "h-3"},
	}
	if len(ans.got) != 1 {
		t.Fatalf("the consumer was called %d times, want once", len(ans.got))
	}
	if !reflect.DeepEqual(ans.got[0], want) {
		t.Errorf("records = %+v\nwant %+v", ans.got[0], want)
	}
	if got := lambdaio.Records(ev.Records); !reflect.DeepEqual(got, want) {
		t.Errorf("Records = %+v\nwant %+v", got, want)
	}
}

// The consumer must finish apigw.AnswerMargin before Lambda's deadline, so
// that the batch's failures still go back.
func TestSQSConsumerDeadline(t *testing.T) {
	for _, withDeadline := range []bool{true, false} {
		log, _ := newLog()
		ctx := context.Background()
		dl := time.Now().Add(time.Minute)
		if withDeadline {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl)
			defer cancel()
		}
		var seen time.Time
		var has bool
		c := consumerFunc(func(ctx context.Context, rs []queue.Record) []queue.Result {
			seen, has = ctx.Deadline()
			return make([]queue.Result, len(rs))
		})
		if _, err := lambdaio.Handler(echo, c, nil, log)(ctx, marshal(t, sqsEvent("a"))); err != nil {
			t.Fatal(err)
		}
		switch {
		case withDeadline && (!has || !seen.Equal(dl.Add(-apigw.AnswerMargin))):
			t.Errorf("the consumer's deadline is %v (%v), want %v", seen, has, dl.Add(-apigw.AnswerMargin))
		case !withDeadline && has:
			t.Errorf("the consumer has a deadline %v though the invocation has none", seen)
		}
	}
}

// The answer is what Lambda's event source reads.
func TestSQSAnswerJSON(t *testing.T) {
	log, _ := newLog()
	for _, tt := range []struct {
		results []queue.Result
		want    string
	}{
		{[]queue.Result{{}, {Failed: true}}, `{"batchItemFailures":[{"itemIdentifier":"m-2"}]}`},
		{[]queue.Result{{}, {}}, `{"batchItemFailures":[]}`},
	} {
		out, err := lambdaio.Handler(echo, &answer{results: tt.results}, nil, log)(context.Background(), marshal(t, sqsEvent("a", "b")))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(marshal(t, out)); got != tt.want {
			t.Errorf("answer %s, want %s", got, tt.want)
		}
	}
}

func TestUnknownEvents(t *testing.T) {
	const marker = "BODY-MARKER-5150"
	tests := []struct {
		name string
		raw  string
	}{
		{"not JSON", "not json " + marker},
		{"truncated JSON", `{"Records":[{"eventSource":"aws:sqs","body":"` + marker},
		{"empty", ""},
		{"null", "null"},
		{"a number", "42"},
		{"a string", `"` + marker + `"`},
		{"an array", `[{"eventSource":"aws:sqs"}]`},
		{"an empty object", "{}"},
		{"an object of no kind", `{"detail-type":"Scheduled Event","detail":"` + marker + `"}`},
		{"no records", `{"Records":[]}`},
		{"null records", `{"Records":null}`},
		{"records not an array", `{"Records":"` + marker + `"}`},
		{"an SNS event", `{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"` + marker + `"}}]}`},
		{"an S3 event", `{"Records":[{"eventSource":"aws:s3"}]}`},
		{"a record of another source among SQS ones", `{"Records":[{"eventSource":"aws:sqs","messageId":"a"},{"eventSource":"aws:kinesis"}]}`},
		{"a record that is not an object", `{"Records":[{"eventSource":"aws:sqs"},7]}`},
		{"a record with the wrong types", `{"Records":[{"eventSource":"aws:sqs","body":{"a":1}}]}`},
		{"API Gateway fields of the wrong types", `{"version":"2.0","body":{"a":"` + marker + `"}}`},
		{"records named in lower case", `{"records":[{"eventSource":"aws:sqs"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := newLog()
			never := consumerFunc(func(context.Context, []queue.Record) []queue.Result {
				t.Error("the consumer was called")
				return nil
			})
			vis := &visRecorder{}
			out, err := lambdaio.Handler(echo, never, vis, log)(context.Background(), json.RawMessage(tt.raw))
			if err == nil {
				t.Fatalf("answered %#v and no error", out)
			}
			if out != nil {
				t.Errorf("answered %#v beside the error", out)
			}
			var ue *lambdaio.UnknownEventError
			if !errors.As(err, &ue) || ue.Reason == "" {
				t.Errorf("error %v (%T) is not an UnknownEventError with a reason", err, err)
			}
			if len(vis.calls) != 0 {
				t.Errorf("visibility changed: %v", vis.calls)
			}
			if !buf.has(t, "ERROR", "") {
				t.Errorf("nothing logged at ERROR:\n%s", buf)
			}
			if s := buf.String() + err.Error(); strings.Contains(s, marker) {
				t.Errorf("the event's content reached the log or the error: %s", s)
			}
		})
	}
}
