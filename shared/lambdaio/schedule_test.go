package lambdaio_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/brazezendesk/bridge/shared/lambdaio"
)

// scheduledEvent is the event an EventBridge schedule rule sends, as AWS
// documents it.
const scheduledEvent = `{
  "version": "0",
  "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  "source": "aws.events",
  "account": "123456789012",
  "time": "2026-12-05T07:00:00Z",
  "region": "us-east-1",
  "resources": ["arn:aws:events:us-east-1:123456789012:rule/bridge-reconcile"],
  "detail": {}
}`

type scheduleFunc func(ctx context.Context) (any, error)

func (f scheduleFunc) Scheduled(ctx context.Context) (any, error) { return f(ctx) }

func TestScheduledEventRunsTheSchedule(t *testing.T) {
	log, _ := newLog()
	runs := 0
	f := lambdaio.Function{API: echo, Schedule: scheduleFunc(func(context.Context) (any, error) {
		runs++
		return map[string]any{"requesters_refreshed": 2}, nil
	})}
	out, err := f.Handler(log)(context.Background(), json.RawMessage(scheduledEvent))
	if err != nil || runs != 1 {
		t.Fatalf("out %v, err %v, runs %d", out, err, runs)
	}
	if m, _ := out.(map[string]any); m["requesters_refreshed"] != 2 {
		t.Errorf("answer = %#v, want the schedule's", out)
	}
}

func TestScheduledEventRefusedWithoutASchedule(t *testing.T) {
	log, logs := newLog()
	for _, raw := range []string{
		scheduledEvent, // a function without a schedule
		`{"version": "0", "detail-type": "Object Created", "source": "aws.s3", "detail": {}}`, // not a schedule
	} {
		_, err := lambdaio.Function{API: echo}.Handler(log)(context.Background(), json.RawMessage(raw))
		var ue *lambdaio.UnknownEventError
		if !errors.As(err, &ue) {
			t.Errorf("err = %v, want an unknown event", err)
		}
	}
	if !logs.has(t, "ERROR", "unknown event") {
		t.Errorf("not logged: %s", logs)
	}
}
