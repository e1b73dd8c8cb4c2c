package mototest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// QueueMaxBody is the MaximumMessageSize of the queues CreateQueue makes:
// the 256 KiB every SQS queue honours, rather than moto's 1 MiB default,
// so a test sees what the smallest deployed queue would take.
const QueueMaxBody = 256 << 10

// SQS is an SQS client that reaches this moto.
func (m *Moto) SQS(t testing.TB) *sqs.Client {
	t.Helper()
	return sqs.NewFromConfig(m.Config(t))
}

// CreateQueue makes a queue named name plus a random suffix, with a
// dead-letter queue behind it: a message received maxReceiveCount times
// without being deleted moves there on the next receive, as the template's
// redrive policy does. It returns both queues' URLs. The suffix keeps
// tests apart even when they reach the same moto.
func (m *Moto) CreateQueue(t testing.TB, name string, maxReceiveCount int) (url, dlqURL string) {
	t.Helper()
	ctx := context.Background()
	c := m.SQS(t)
	name += "-" + rand.Text()[:8]
	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		t.Fatalf("creating queue %s-dlq: %v", name, err)
	}
	dlqARN := queueARN(t, c, *dlq.QueueUrl)
	policy, err := json.Marshal(map[string]any{"deadLetterTargetArn": dlqARN, "maxReceiveCount": maxReceiveCount})
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		string(types.QueueAttributeNameRedrivePolicy):      string(policy),
		string(types.QueueAttributeNameMaximumMessageSize): strconv.Itoa(QueueMaxBody),
	}})
	if err != nil {
		t.Fatalf("creating queue %s: %v", name, err)
	}
	return *q.QueueUrl, *dlq.QueueUrl
}

func queueARN(t testing.TB, c *sqs.Client, url string) string {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("reading the ARN of %s: %v", url, err)
	}
	arn := out.Attributes[string(types.QueueAttributeNameQueueArn)]
	if arn == "" {
		t.Fatalf("%s has no QueueArn", url)
	}
	return arn
}

// Drain receives every message visible on the queue at url, 10 at a time
// as Lambda's event source does, and returns them as the SQS event Lambda
// would invoke the function with. Each received message is hidden for the
// queue's visibility timeout, as it would be while the function runs.
func (m *Moto) Drain(t testing.TB, url string) events.SQSEvent {
	t.Helper()
	ctx := context.Background()
	c := m.SQS(t)
	arn := queueARN(t, c, url)
	ev := events.SQSEvent{Records: []events.SQSMessage{}}
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         10,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("receiving from %s: %v", url, err)
		}
		if len(out.Messages) == 0 {
			return ev
		}
		for _, msg := range out.Messages {
			ev.Records = append(ev.Records, record(msg, arn))
		}
	}
}

// record is msg as Lambda hands it to the function.
func record(msg types.Message, arn string) events.SQSMessage {
	attrs := map[string]string{}
	for _, k := range []types.MessageSystemAttributeName{
		types.MessageSystemAttributeNameApproximateReceiveCount,
		types.MessageSystemAttributeNameSentTimestamp,
		types.MessageSystemAttributeNameSenderId,
		types.MessageSystemAttributeNameApproximateFirstReceiveTimestamp,
	} {
		if v, ok := msg.Attributes[string(k)]; ok {
			attrs[string(k)] = v
		}
	}
	return events.SQSMessage{
		MessageId:      aws.ToString(msg.MessageId),
		ReceiptHandle:  aws.ToString(msg.ReceiptHandle),
		Body:           aws.ToString(msg.Body),
		Md5OfBody:      aws.ToString(msg.MD5OfBody),
		Attributes:     attrs,
		EventSource:    "aws:sqs",
		EventSourceARN: arn,
		AWSRegion:      "us-east-1",
	}
}

// Settle does what Lambda's event source does with a function's answer to
// ev: it deletes every record not listed in resp's batchItemFailures and
// leaves the listed ones to come back after their visibility. It returns
// how many it deleted.
func (m *Moto) Settle(t testing.TB, url string, ev events.SQSEvent, resp events.SQSEventResponse) int {
	t.Helper()
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	c := m.SQS(t)
	deleted := 0
	for _, r := range ev.Records {
		if failed[r.MessageId] {
			continue
		}
		if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{
			QueueUrl: aws.String(url), ReceiptHandle: aws.String(r.ReceiptHandle),
		}); err != nil {
			t.Fatalf("deleting %s: %v", r.MessageId, err)
		}
		deleted++
	}
	return deleted
}

// Count is how many messages the queue at url holds, visible or not.
func (m *Moto) Count(t testing.TB, url string) int {
	t.Helper()
	out, err := m.SQS(t).GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatalf("counting the messages of %s: %v", url, err)
	}
	n := 0
	for _, k := range []types.QueueAttributeName{
		types.QueueAttributeNameApproximateNumberOfMessages,
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	} {
		v, err := strconv.Atoi(out.Attributes[string(k)])
		if err != nil {
			t.Fatal(fmt.Errorf("%s of %s: %w", k, url, err))
		}
		n += v
	}
	return n
}
