package lambdaio

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// sqsSource is the eventSource of every record Lambda's SQS event source
// delivers.
const sqsSource = "aws:sqs"

// apiFields are the top-level names of an API Gateway HTTP API payload 2.0
// event. Any one of them marks an event as a request: test harnesses and
// `sam local` send trimmed events, and those must keep working as they did
// when the function took nothing else.
var apiFields = []string{
	"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers",
	"queryStringParameters", "pathParameters", "stageVariables",
	"requestContext", "body", "isBase64Encoded",
}

// event is a classified invocation: sqs holds an SQS batch's records; nil
// means an API Gateway request.
type event struct {
	sqs      []events.SQSMessage
	schedule bool // an EventBridge scheduled event
}

// UnknownEventError is the error of an event of no kind the function
// takes. Its type name is the errorType the runtime reports, so it says
// what happened in the invoker's answer and the function's log.
type UnknownEventError struct {
	Reason string // why, without the event's content
}

func (e *UnknownEventError) Error() string {
	return "lambdaio: the event is not an API Gateway HTTP API request, an SQS batch or a scheduled event: " + e.Reason
}

func unknown(format string, args ...any) error {
	return &UnknownEventError{Reason: fmt.Sprintf(format, args...)}
}

// classify tells the event kinds apart by their top-level names, matched
// exactly (encoding/json would match "records" to Records too). An SQS
// batch has a non-empty Records array whose records all come from aws:sqs;
// a Records array of another source (SNS, S3, …) is an event this function
// is not subscribed to, and an error, so that nothing is half-handled.
func classify(raw []byte) (event, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return event{}, unknown("it is not a JSON object")
	}
	if recs, ok := top["Records"]; ok {
		var msgs []events.SQSMessage
		if err := json.Unmarshal(recs, &msgs); err != nil {
			return event{}, unknown("its Records are not SQS records: %v", err)
		}
		if len(msgs) == 0 {
			return event{}, unknown("its Records array is empty")
		}
		for i, m := range msgs {
			if m.EventSource != sqsSource {
				return event{}, unknown("record %d has eventSource %.40q, not %q", i, m.EventSource, sqsSource)
			}
		}
		return event{sqs: msgs}, nil
	}
	if isSchedule(top) {
		return event{schedule: true}, nil
	}
	if _, ok := top["detail-type"]; ok {
		return event{}, unknown("it is an EventBridge event that is not a scheduled event")
	}
	for _, f := range apiFields {
		if _, ok := top[f]; ok {
			return event{}, nil
		}
	}
	return event{}, unknown("it has none of their fields")
}
