package faulttest

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/queue"
)

// Retryer is the SDK's standard retryer (3 attempts, throttling, 5xx and
// connection errors retried) with test-sized backoffs and no retry quota,
// so that a fault costs milliseconds and a run does not depend on how many
// faults came before.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxBackoff = 20 * time.Millisecond
		o.RateLimiter = ratelimit.None
	})
}

// DynamoDB is a DynamoDB client on endpoint (moto, or a fault proxy in
// front of it) with the test Retryer.
func DynamoDB(t testing.TB, m *mototest.Moto, endpoint string) *dynamodb.Client {
	t.Helper()
	return dynamodb.NewFromConfig(m.Config(t), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.Retryer = Retryer()
	})
}

// SQS is an SQS client on endpoint (moto, or a fault proxy in front of it)
// with the test Retryer.
func SQS(t testing.TB, m *mototest.Moto, endpoint string) *sqs.Client {
	t.Helper()
	return sqs.NewFromConfig(m.Config(t), func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.Retryer = Retryer()
	})
}

// Serial makes the calls of the clients it wraps reach moto_server one at a
// time. moto answers concurrent TransactWriteItems with 500s (an HTML page)
// and slows down rather than up under concurrent calls; DynamoDB's
// conditional writes mean the same whether calls overlap or not, so the
// deliveries still race each other call by call.
type Serial struct{ mu sync.Mutex }

// DynamoDB wraps c.
func (s *Serial) DynamoDB(c dedupe.DynamoDBAPI) dedupe.DynamoDBAPI {
	return &serialDynamoDB{s: s, c: c}
}

// SQS wraps c.
func (s *Serial) SQS(c queue.SQSAPI) queue.SQSAPI { return &serialSQS{s: s, c: c} }

type serialDynamoDB struct {
	s *Serial
	c dedupe.DynamoDBAPI
}

func (d *serialDynamoDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	return d.c.GetItem(ctx, in, o...)
}

func (d *serialDynamoDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	return d.c.PutItem(ctx, in, o...)
}

func (d *serialDynamoDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	return d.c.UpdateItem(ctx, in, o...)
}

func (d *serialDynamoDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	d.s.mu.Lock()
	defer d.s.mu.Unlock()
	return d.c.TransactWriteItems(ctx, in, o...)
}

type serialSQS struct {
	s *Serial
	c queue.SQSAPI
}

func (q *serialSQS) SendMessage(ctx context.Context, in *sqs.SendMessageInput, o ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	return q.c.SendMessage(ctx, in, o...)
}

func (q *serialSQS) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, o ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	return q.c.ChangeMessageVisibility(ctx, in, o...)
}

// SweepTTL deletes the items of table whose expires_at (epoch seconds) has
// passed at now, as DynamoDB's TTL process may at any time after expiry,
// and returns how many it deleted. A store that decides expiry from
// expires_at itself behaves the same with or without it; on moto, whose
// TransactWriteItems copies the whole table, it also keeps a long run fast.
func SweepTTL(t testing.TB, c *dynamodb.Client, table string, now time.Time) int {
	t.Helper()
	ctx := context.Background()
	var expired []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{
		TableName:                 aws.String(table),
		FilterExpression:          aws.String("expires_at <= :now"),
		ProjectionExpression:      aws.String("id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("scanning %s for expired items: %v", table, err)
		}
		expired = append(expired, page.Items...)
	}
	deleted := 0
	for len(expired) > 0 {
		n := min(len(expired), 25)
		reqs := make([]types.WriteRequest, n)
		for i, key := range expired[:n] {
			reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key}}
		}
		out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
		if err != nil {
			t.Fatalf("deleting expired items of %s: %v", table, err)
		}
		expired = expired[n:]
		deleted += n - len(out.UnprocessedItems[table])
		for _, r := range out.UnprocessedItems[table] {
			expired = append(expired, r.DeleteRequest.Key)
		}
	}
	return deleted
}
