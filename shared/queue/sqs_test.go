package queue_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/queue"
)

// A compile-time check that the real client is what SQS needs.
var _ queue.SQSAPI = (*sqs.Client)(nil)

var _ queue.Sender = (*queue.SQS)(nil)

func newQueue(t *testing.T, maxReceiveCount int) (*mototest.Moto, *queue.SQS, string) {
	t.Helper()
	m := mototest.Start(t)
	url, dlq := m.CreateQueue(t, "retry", maxReceiveCount)
	return m, &queue.SQS{Client: m.SQS(t), URL: url}, dlq
}

func TestSQSRoundTrip(t *testing.T) {
	m, q, _ := newQueue(t, 5)
	big := bytes.Repeat([]byte(`{"k":"v\"\\é"}`), 200<<10/16)
	tests := []struct {
		name string
		body []byte
	}{
		{"JSON with quotes and backslashes", []byte(`{"subject":"say \"hi\"","path":"C:\\tmp\\","raw":"\\u0041"}`)},
		{"unicode", []byte(`{"name":"Zoë 張偉 مرحبا 🎉","sep":"` + "\u2028\u2029" + `"}`)},
		{"raw newlines, tabs and carriage returns", []byte("{\"body\":\"line 1\nline\t2\r\n\"}")},
		{"not JSON at all", []byte(`'; DROP TABLE tickets; -- <script>&amp;`)},
		{"replacement character and the edges SQS allows", []byte("\uFFFD\uE000\uD7FF\U0010FFFF ")},
		{"200 KiB", big},
		{"exactly 256 KiB", bytes.Repeat([]byte("a"), queue.MaxSQSBody)},
		{"256 KiB of multibyte text", bytes.Repeat([]byte("é"), queue.MaxSQSBody/2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().Add(-time.Second)
			if err := q.Send(context.Background(), tt.body); err != nil {
				t.Fatalf("Send: %v", err)
			}
			ev := m.Drain(t, q.URL)
			if len(ev.Records) != 1 {
				t.Fatalf("received %d messages, want 1", len(ev.Records))
			}
			r := ev.Records[0]
			if r.Body != string(tt.body) {
				t.Errorf("body changed on the way: got %d bytes %.60q, want %d bytes %.60q", len(r.Body), r.Body, len(tt.body), tt.body)
			}
			if r.Attributes["ApproximateReceiveCount"] != "1" {
				t.Errorf("ApproximateReceiveCount = %q, want 1", r.Attributes["ApproximateReceiveCount"])
			}
			ms, err := strconv.ParseInt(r.Attributes["SentTimestamp"], 10, 64)
			if err != nil || time.UnixMilli(ms).Before(before) || time.UnixMilli(ms).After(time.Now().Add(time.Second)) {
				t.Errorf("SentTimestamp = %q, want about now", r.Attributes["SentTimestamp"])
			}
			m.Settle(t, q.URL, ev, events.SQSEventResponse{}) // delivered: deleted
		})
	}
}

func TestSQSRefuses(t *testing.T) {
	m, q, _ := newQueue(t, 5)
	tests := []struct {
		name string
		body []byte
		is   error  // the error wraps this, when set
		says string // and says this
	}{
		{"one byte over 256 KiB", bytes.Repeat([]byte("a"), queue.MaxSQSBody+1), queue.ErrTooLargeForSQS, "256 KiB"},
		{"1 MiB", bytes.Repeat([]byte("a"), 1<<20), queue.ErrTooLargeForSQS, "256 KiB"},
		{"multibyte text over 256 KiB in bytes", bytes.Repeat([]byte("é"), queue.MaxSQSBody/2+1), queue.ErrTooLargeForSQS, "256 KiB"},
		{"invalid UTF-8", []byte("{\"a\":\"\xff\"}"), nil, "UTF-8"},
		{"a NUL", []byte("a\x00b"), nil, "U+0000"},
		{"a control character", []byte("a\x1bb"), nil, "U+001B"},
		{"a non-character", []byte("a\uFFFFb"), nil, "U+FFFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := q.Send(context.Background(), tt.body)
			if err == nil {
				t.Fatal("Send accepted it")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
			if n := m.Count(t, q.URL); n != 0 {
				t.Errorf("the queue holds %d messages, want none", n)
			}
		})
	}
}

// A record that asks to wait is not delivered again before its time, and
// one made visible at once is.
func TestSQSChangeVisibility(t *testing.T) {
	m, q, _ := newQueue(t, 10)
	ctx := context.Background()
	if err := q.Send(ctx, []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	receive := func() string {
		ev := m.Drain(t, q.URL)
		if len(ev.Records) > 1 {
			t.Fatalf("received %d messages, want at most 1", len(ev.Records))
		}
		if len(ev.Records) == 0 {
			return ""
		}
		return ev.Records[0].ReceiptHandle
	}
	h := receive()
	if h == "" {
		t.Fatal("the message was not received")
	}
	if receive() != "" {
		t.Fatal("the message came back within the queue's visibility timeout")
	}

	if err := q.ChangeVisibility(ctx, h, 0); err != nil {
		t.Fatalf("ChangeVisibility(0): %v", err)
	}
	if h = receive(); h == "" {
		t.Fatal("after ChangeVisibility(0) the message is not received at once")
	}

	// 10 ms rounds up to a whole second: not back at once, back after it.
	if err := q.ChangeVisibility(ctx, h, 10*time.Millisecond); err != nil {
		t.Fatalf("ChangeVisibility(10ms): %v", err)
	}
	start := time.Now()
	if receive() != "" {
		t.Fatal("the message came back before its visibility of 1 s")
	}
	for {
		if receive() != "" {
			break
		}
		if time.Since(start) > 3*time.Second {
			t.Fatal("the message did not come back within 3 s of a 1 s visibility")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Errorf("the message came back after %v, before its visibility of 1 s", waited)
	}
}

// A message received maxReceiveCount times without being deleted moves to
// the dead-letter queue, body intact.
func TestSQSDeadLetter(t *testing.T) {
	const maxReceive = 3
	m, q, dlq := newQueue(t, maxReceive)
	ctx := context.Background()
	body := `{"ticket":{"subject":"keeps failing \"always\""}}`
	if err := q.Send(ctx, []byte(body)); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= maxReceive; i++ {
		ev := m.Drain(t, q.URL)
		if len(ev.Records) != 1 {
			t.Fatalf("receive %d: %d messages, want 1", i, len(ev.Records))
		}
		if got := ev.Records[0].Attributes["ApproximateReceiveCount"]; got != strconv.Itoa(i) {
			t.Errorf("receive %d: ApproximateReceiveCount = %s", i, got)
		}
		// It fails, and asks to come back at once rather than after 30 s.
		if err := q.ChangeVisibility(ctx, ev.Records[0].ReceiptHandle, 0); err != nil {
			t.Fatal(err)
		}
	}
	if ev := m.Drain(t, q.URL); len(ev.Records) != 0 {
		t.Fatalf("after %d receives the message is still delivered from the queue", maxReceive)
	}
	dead := m.Drain(t, dlq)
	if len(dead.Records) != 1 || dead.Records[0].Body != body {
		t.Fatalf("dead-letter queue holds %+v, want the one message", dead.Records)
	}
}

// fakeSQS records what SQS is asked and answers err.
type fakeSQS struct {
	err  error
	vis  []*sqs.ChangeMessageVisibilityInput
	sent []*sqs.SendMessageInput
}

func (f *fakeSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.sent = append(f.sent, in)
	if f.err != nil {
		return nil, f.err
	}
	return &sqs.SendMessageOutput{MessageId: aws.String("m-1")}, nil
}

func (f *fakeSQS) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	f.vis = append(f.vis, in)
	if f.err != nil {
		return nil, f.err
	}
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func TestChangeVisibilitySeconds(t *testing.T) {
	tests := []struct {
		after time.Duration
		want  int32
	}{
		{0, 0},
		{-time.Minute, 0},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + time.Millisecond, 2},
		{30 * time.Second, 30},
		{90*time.Second - time.Nanosecond, 90},
		{12 * time.Hour, 43200},
		{12*time.Hour + time.Second, 43200},
		{1 << 62, 43200},
	}
	for _, tt := range tests {
		t.Run(tt.after.String(), func(t *testing.T) {
			f := &fakeSQS{}
			q := &queue.SQS{Client: f, URL: "https://sqs.example/q"}
			if err := q.ChangeVisibility(context.Background(), "handle-1", tt.after); err != nil {
				t.Fatal(err)
			}
			if len(f.vis) != 1 {
				t.Fatalf("%d calls, want 1", len(f.vis))
			}
			in := f.vis[0]
			if in.VisibilityTimeout != tt.want || aws.ToString(in.ReceiptHandle) != "handle-1" || aws.ToString(in.QueueUrl) != q.URL {
				t.Errorf("ChangeMessageVisibility(%s, %s, %d), want %d s", aws.ToString(in.QueueUrl), aws.ToString(in.ReceiptHandle), in.VisibilityTimeout, tt.want)
			}
		})
	}
}

func TestSQSErrorsAreWrapped(t *testing.T) {
	cause := errors.New("AWS.SimpleQueueService.NonExistentQueue")
	f := &fakeSQS{err: cause}
	q := &queue.SQS{Client: f, URL: "https://sqs.example/q"}
	ctx := context.Background()
	if err := q.Send(ctx, []byte("{}")); !errors.Is(err, cause) || !strings.Contains(err.Error(), "sending") {
		t.Errorf("Send error = %v, want it to wrap the cause and say what failed", err)
	}
	if err := q.ChangeVisibility(ctx, "h", time.Second); !errors.Is(err, cause) || !strings.Contains(err.Error(), "visibility") {
		t.Errorf("ChangeVisibility error = %v, want it to wrap the cause and say what failed", err)
	}
	if len(f.sent) != 1 || aws.ToString(f.sent[0].MessageBody) != "{}" || aws.ToString(f.sent[0].QueueUrl) != q.URL {
		t.Errorf("sent %+v", f.sent)
	}
}
