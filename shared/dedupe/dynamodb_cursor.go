package dedupe

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The attributes of a cursor# record. It has no expires_at: the table's
// TTL never deletes it.
const (
	attrCursor     = "cursor"
	attrCursorTime = "cursor_time" // epoch seconds
	attrCursorDone = "cursor_done" // a number set; absent when empty (DynamoDB has no empty set)
)

// Cursor implements Cursors with one consistent read, so that a run sees
// what the last run (in any container) saved.
func (d *DynamoDB) Cursor(ctx context.Context, name string) (Cursor, bool, error) {
	out, err := d.Client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &d.Table, Key: itemKey(cursorKey(name)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Cursor{}, false, fmt.Errorf("dedupe: reading cursor %s in DynamoDB table %s: %w", name, d.Table, err)
	}
	v, ok := out.Item[attrCursor].(*types.AttributeValueMemberS)
	if !ok {
		return Cursor{}, false, nil
	}
	c := Cursor{Value: v.Value}
	if n, ok := out.Item[attrCursorTime].(*types.AttributeValueMemberN); ok {
		if sec, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			c.Time = time.Unix(sec, 0).UTC()
		}
	}
	if ns, ok := out.Item[attrCursorDone].(*types.AttributeValueMemberNS); ok {
		for _, v := range ns.Value {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				c.Done = append(c.Done, n)
			}
		}
		slices.Sort(c.Done)
	}
	return c, true, nil
}

// SaveCursor implements Cursors with one PutItem.
func (d *DynamoDB) SaveCursor(ctx context.Context, name string, c Cursor) error {
	item := map[string]types.AttributeValue{
		attrID:         strAV(cursorKey(name)),
		attrCursor:     strAV(c.Value),
		attrCursorTime: numAV(c.Time.Unix()),
	}
	if len(c.Done) > 0 {
		set := map[string]bool{}
		ns := &types.AttributeValueMemberNS{}
		for _, n := range c.Done {
			if v := strconv.FormatInt(n, 10); !set[v] {
				set[v] = true
				ns.Value = append(ns.Value, v)
			}
		}
		item[attrCursorDone] = ns
	}
	_, err := d.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &d.Table, Item: item})
	if err != nil {
		return fmt.Errorf("dedupe: saving cursor %s in DynamoDB table %s: %w", name, d.Table, err)
	}
	return nil
}
