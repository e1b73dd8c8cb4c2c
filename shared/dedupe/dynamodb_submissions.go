package dedupe

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attributes of a bulk# record.
const (
	attrBatch = "batch"
	attrJob   = "job"
	attrIndex = "idx"
	attrSize  = "size"
	attrAt    = "at" // epoch milliseconds
)

// Submitted implements Submissions: one consistent read.
func (d *DynamoDB) Submitted(ctx context.Context, key string) (Submission, bool, error) {
	got, live, err := d.live(ctx, submissionKey(key), "a bulk submission")
	if err != nil || !live {
		return Submission{}, false, err
	}
	str := func(name string) string {
		if v, ok := got[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	num := func(name string) int64 {
		if v, ok := got[name].(*types.AttributeValueMemberN); ok {
			n, _ := strconv.ParseInt(v.Value, 10, 64)
			return n
		}
		return 0
	}
	s := Submission{Batch: str(attrBatch), Job: str(attrJob), Index: int(num(attrIndex)), Size: int(num(attrSize)),
		At: time.UnixMilli(num(attrAt)).UTC()}
	return s, s.Batch != "", nil
}

// RecordSubmitted implements Submissions: one PutItem, overwriting.
func (d *DynamoDB) RecordSubmitted(ctx context.Context, key string, s Submission) error {
	item := map[string]types.AttributeValue{
		attrID:      strAV(submissionKey(key)),
		attrBatch:   strAV(s.Batch),
		attrIndex:   numAV(int64(s.Index)),
		attrSize:    numAV(int64(s.Size)),
		attrAt:      numAV(s.At.UnixMilli()),
		attrExpires: numAV(epochSecondsUp(d.now().Add(SubmissionRetention))),
	}
	if s.Job != "" {
		item[attrJob] = strAV(s.Job)
	}
	if _, err := d.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &d.Table, Item: item}); err != nil {
		return fmt.Errorf("dedupe: recording a bulk submission in DynamoDB table %s: %w", d.Table, err)
	}
	return nil
}

// ForgetSubmitted implements Submissions: a record expired at once.
func (d *DynamoDB) ForgetSubmitted(ctx context.Context, key string) error {
	_, err := d.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &d.Table,
		Item:      map[string]types.AttributeValue{attrID: strAV(submissionKey(key)), attrExpires: numAV(d.now().Unix())},
	})
	if err != nil {
		return fmt.Errorf("dedupe: forgetting a bulk submission in DynamoDB table %s: %w", d.Table, err)
	}
	return nil
}
