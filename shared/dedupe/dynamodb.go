package dedupe

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// DynamoDBAPI is the part of the DynamoDB client the store uses. The
// composition root passes *dynamodb.Client; tests wrap it to count calls
// or inject faults.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// DynamoDB is a store that every container of a function shares: a table
// with partition key id (String) and TTL attribute expires_at (Number,
// epoch seconds). It keeps the records Memory keeps, under the same keys
// (inv#<id>, sig#<replay>, ticket#<key>), with the same semantics.
//
// Expiry is decided from the stored expires_at against Now, never left to
// TTL deletion, which can lag by days. Because expires_at holds whole
// seconds, an expiry is rounded up to the next second: a record is
// remembered up to a second longer than Memory would, never shorter.
//
// Every error other than ErrLost means the table could not be reached or
// refused the request; it wraps the SDK's error, whose text (request ids,
// the table's ARN) is for the operator's log only.
type DynamoDB struct {
	Client DynamoDBAPI
	Table  string
	Now    func() time.Time // nil means time.Now

	// Sleep waits between Complete's (and Progress's and Queue's) own
	// retries; nil waits on a timer. Tests swap it so as not to wait.
	Sleep func(ctx context.Context, d time.Duration) error
}

// NewDynamoDB returns a store on table, reached with client (built by the
// caller, with its region, endpoint and retries).
func NewDynamoDB(client DynamoDBAPI, table string) *DynamoDB {
	return &DynamoDB{Client: client, Table: table}
}

var (
	_ Store   = (*DynamoDB)(nil)
	_ Tickets = (*DynamoDB)(nil)
)

func (d *DynamoDB) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}
