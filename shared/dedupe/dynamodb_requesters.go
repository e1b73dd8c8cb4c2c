package dedupe

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attributes of a requester# record.
const (
	attrUser     = "user_id"
	attrConflict = "conflict"
	attrChecked  = "checked_at" // epoch milliseconds
)

// RememberedRequester implements Requesters: one consistent read, so that
// a requester another container resolved a moment ago is found.
func (d *DynamoDB) RememberedRequester(ctx context.Context, key string) (Requester, bool, error) {
	got, live, err := d.live(ctx, requesterKey(key), "a requester")
	if err != nil || !live {
		return Requester{}, false, err
	}
	r, ok := parseRequester(got)
	return r, ok, nil
}

// parseRequester reads a requester# record; a record without a user id
// (written by something else) counts as none.
func parseRequester(av map[string]types.AttributeValue) (Requester, bool) {
	var r Requester
	num := func(name string) int64 {
		if v, ok := av[name].(*types.AttributeValueMemberN); ok {
			n, _ := strconv.ParseInt(v.Value, 10, 64)
			return n
		}
		return 0
	}
	r.UserID = num(attrUser)
	if v, ok := av[attrConflict].(*types.AttributeValueMemberBOOL); ok {
		r.Conflict = v.Value
	}
	if ms := num(attrChecked); ms > 0 {
		r.Checked = time.UnixMilli(ms).UTC()
	}
	return r, r.UserID > 0
}

// RememberRequester implements Requesters: one PutItem, overwriting.
func (d *DynamoDB) RememberRequester(ctx context.Context, key string, r Requester) error {
	_, err := d.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &d.Table,
		Item: map[string]types.AttributeValue{
			attrID:       strAV(requesterKey(key)),
			attrUser:     numAV(r.UserID),
			attrConflict: &types.AttributeValueMemberBOOL{Value: r.Conflict},
			attrChecked:  numAV(r.Checked.UnixMilli()),
			attrExpires:  numAV(epochSecondsUp(d.now().Add(RequesterRetention))),
		},
	})
	if err != nil {
		return fmt.Errorf("dedupe: remembering requester %d in DynamoDB table %s: %w", r.UserID, d.Table, err)
	}
	return nil
}

// ForgetRequester implements Requesters: a PutItem of a record expired at
// once, which is as good as none (expiry is read from expires_at), and
// keeps DynamoDBAPI to the calls every wrapper of it knows.
func (d *DynamoDB) ForgetRequester(ctx context.Context, key string) error {
	_, err := d.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &d.Table,
		Item: map[string]types.AttributeValue{
			attrID:      strAV(requesterKey(key)),
			attrExpires: numAV(d.now().Unix()),
		},
	})
	if err != nil {
		return fmt.Errorf("dedupe: forgetting a requester in DynamoDB table %s: %w", d.Table, err)
	}
	return nil
}
