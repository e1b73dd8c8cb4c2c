package lambdaio

import (
	"context"
	"encoding/json"
)

// An EventBridge schedule invokes a function with an event whose source
// is "aws.events" and whose detail-type is "Scheduled Event".
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
const (
	scheduleSource     = "aws.events"
	scheduleDetailType = "Scheduled Event"
)

// Scheduled is what a function runs when its schedule invokes it. Its
// answer is the invocation's result.
type Scheduled interface {
	Scheduled(ctx context.Context) (any, error)
}

// isSchedule reports an EventBridge scheduled event. It is told apart
// before an API Gateway request, since both have a "version".
func isSchedule(top map[string]json.RawMessage) bool {
	var source, detailType string
	json.Unmarshal(top["source"], &source)
	json.Unmarshal(top["detail-type"], &detailType)
	return source == scheduleSource && detailType == scheduleDetailType
}
