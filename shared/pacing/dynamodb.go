package pacing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// UpdateItemAPI is the one DynamoDB call the counter makes.
type UpdateItemAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// DynamoDB counts windows in the dedupe table, for every container of
// every function that names the same Name: one conditional UpdateItem a
// call, on a record pace#<name>#<window> that expires a minute later.
type DynamoDB struct {
	Client UpdateItemAPI
	Table  string
	Name   string // the budget's: "zendesk" for the account's API
}

// Take implements Counter.
func (d *DynamoDB) Take(ctx context.Context, window int64, limit int) (bool, error) {
	end := time.UnixMilli((window + 1) * Window.Milliseconds())
	_, err := d.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &d.Table,
		Key: map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: "pace#" + d.Name + "#" + strconv.FormatInt(window, 10)},
		},
		UpdateExpression:         aws.String("ADD #n :one SET #exp = :exp"),
		ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n < :limit"),
		ExpressionAttributeNames: map[string]string{"#n": "calls", "#exp": "expires_at"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   &types.AttributeValueMemberN{Value: "1"},
			":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(limit)},
			":exp":   &types.AttributeValueMemberN{Value: strconv.FormatInt(end.Add(time.Minute).Unix(), 10)},
		},
	})
	var full *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &full):
		return false, nil
	}
	return false, fmt.Errorf("pacing: counting a call in DynamoDB table %s: %w", d.Table, err)
}
