package lambdaio

import (
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/queue"
)

// Records turns an SQS event's messages into the queue's records. An
// attribute SQS always sends but that is missing or malformed here is left
// zero (ReceiveCount 0, SentAt zero) rather than failing the record: the
// body is what the consumer delivers.
func Records(msgs []events.SQSMessage) []queue.Record {
	out := make([]queue.Record, len(msgs))
	for i, m := range msgs {
		out[i] = queue.Record{
			ID:           m.MessageId,
			Body:         []byte(m.Body),
			ReceiveCount: receiveCount(m.Attributes["ApproximateReceiveCount"]),
			Handle:       m.ReceiptHandle,
			SentAt:       sentAt(m.Attributes["SentTimestamp"]),
		}
	}
	return out
}

func receiveCount(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// sentAt reads SQS's SentTimestamp, epoch milliseconds.
func sentAt(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
