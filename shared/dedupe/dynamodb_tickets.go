package dedupe

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// FiledTicket implements Tickets: one consistent read, so that a ticket
// remembered by another container a moment ago is found. The key is left
// out of errors: it is derived from a user's identity.
func (d *DynamoDB) FiledTicket(ctx context.Context, key string) (int64, bool, error) {
	rec, err := d.read(ctx, ticketKey(key))
	if err != nil {
		return 0, false, fmt.Errorf("dedupe: looking up a filed ticket in DynamoDB table %s: %w", d.Table, err)
	}
	if !rec.liveAt(d.now()) {
		return 0, false, nil
	}
	return rec.ticket, true, nil
}

// RememberTicket implements Tickets: one PutItem, overwriting any record
// under key as Memory does.
func (d *DynamoDB) RememberTicket(ctx context.Context, key string, id int64) error {
	_, err := d.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &d.Table,
		Item: map[string]types.AttributeValue{
			attrID:      strAV(ticketKey(key)),
			attrTicket:  numAV(id),
			attrExpires: numAV(epochSecondsUp(d.now().Add(TicketRetention))),
		},
	})
	if err != nil {
		return fmt.Errorf("dedupe: remembering ticket %d in DynamoDB table %s: %w", id, d.Table, err)
	}
	return nil
}

func ticketKey(key string) string { return "ticket#" + key }
