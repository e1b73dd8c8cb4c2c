package dedupe

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// change is one write to a record the caller's claim must still hold.
type change struct {
	what   string // for errors: "completing"
	update string // the update expression
	names  []string
	values map[string]types.AttributeValue
	// reaches is the state the change leads to, if any: a record found
	// there under the same token is this change made by an earlier attempt
	// (the SDK's or ours) whose answer was lost.
	reaches string
	// retried: the change records what has already happened outside the
	// store (batches delivered, a message queued); losing it would make
	// it happen again.
	retried bool
}

// Progress implements Store.
func (d *DynamoDB) Progress(ctx context.Context, id, token string, batches int) error {
	return d.held(ctx, id, token, change{
		what: "recording the progress of", update: "SET #b = :b", names: []string{"#b"},
		values: map[string]types.AttributeValue{":b": numAV(int64(batches))}, retried: true,
	})
}

// Complete implements Store. It retries its write after a passing fault:
// the delivery was made, and a claim left in progress would be taken over
// and the delivery made again once its deadline passed.
func (d *DynamoDB) Complete(ctx context.Context, id, token string) error {
	return d.held(ctx, id, token, d.settle("completing", stateDone, Retention))
}

// Queue implements Store. It retries as Complete does: the retry queue
// holds the delivery already.
func (d *DynamoDB) Queue(ctx context.Context, id, token string) error {
	return d.held(ctx, id, token, d.settle("queueing", stateQueued, QueuedRetention))
}

// Release implements Store: the deadline becomes now, so that the next
// claim takes the record over at once with its batches. Not retried: a
// release lost only delays the sender's retry until the claim's deadline.
func (d *DynamoDB) Release(ctx context.Context, id, token string) error {
	return d.held(ctx, id, token, change{
		what: "releasing", update: "SET #dl = :dl", names: []string{"#dl"},
		values: map[string]types.AttributeValue{":dl": numAV(d.now().UnixMilli())},
	})
}

func (d *DynamoDB) settle(what, to string, keep time.Duration) change {
	return change{
		what: what, update: "SET #st = :to, #exp = :exp", names: []string{"#st", "#exp"},
		values: map[string]types.AttributeValue{
			":to": strAV(to), ":exp": numAV(epochSecondsUp(d.now().Add(keep))),
		},
		reaches: to, retried: true,
	}
}

// held makes ch to id's record, on the condition that token still holds
// it in progress and it has not expired: one UpdateItem, repeated after
// passing faults when ch is retried.
func (d *DynamoDB) held(ctx context.Context, id, token string, ch change) error {
	values := map[string]types.AttributeValue{
		":tok": strAV(token), ":in_progress": strAV(stateInProgress), ":now": numAV(d.now().Unix()),
	}
	maps.Copy(values, ch.values)
	in := &dynamodb.UpdateItemInput{
		TableName:                           &d.Table,
		Key:                                 itemKey(invKey(id)),
		UpdateExpression:                    aws.String(ch.update),
		ConditionExpression:                 aws.String("#tok = :tok AND #st = :in_progress AND #exp > :now"),
		ExpressionAttributeNames:            namesFor(append([]string{"#tok", "#st", "#exp"}, ch.names...)...),
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	attempts := 1
	if ch.retried {
		attempts = heldAttempts
	}
	var err error
	for i := 0; ; i++ {
		_, err = d.Client.UpdateItem(ctx, in)
		if err == nil {
			return nil
		}
		var failed *types.ConditionalCheckFailedException
		if errors.As(err, &failed) {
			if rec, perr := parseItem(failed.Item); perr == nil && ch.reaches != "" &&
				rec != nil && rec.token == token && rec.state == ch.reaches {
				return nil
			}
			return ErrLost
		}
		if i+1 >= attempts || !passing(ctx, err) || d.wait(ctx, heldBackoff<<i) != nil {
			break
		}
	}
	return fmt.Errorf("dedupe: %s invocation %s in DynamoDB table %s: %w", ch.what, id, d.Table, err)
}
