// Package durability builds, from a function's environment, the dedupe
// store all its containers share and its retry queue: the AWS clients a
// composition root hands to the domain as small interfaces.
package durability

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/pacing"
	"github.com/brazezendesk/bridge/shared/queue"
)

// Parts are what the environment names; each is nil when it names none
// (local runs), and the domain then keeps per-container memory and no queue.
type Parts struct {
	Store       dedupe.Store       // DEDUPE_TABLE
	Tickets     dedupe.Tickets     // DEDUPE_TABLE
	Requesters  dedupe.Requesters  // DEDUPE_TABLE
	Submissions dedupe.Submissions // DEDUPE_TABLE
	Queue       *queue.SQS         // RETRY_QUEUE_URL: a queue.Sender and the visibility of its records
	// DEDUPE_TABLE: the windows of the budget of Zendesk calls that every
	// container of both functions draws on.
	ZendeskBudget pacing.Counter
}

// FromEnv builds the parts DEDUPE_TABLE and RETRY_QUEUE_URL name, with the
// SDK's standard configuration (so AWS_ENDPOINT_URL_DYNAMODB and
// AWS_ENDPOINT_URL_SQS work). It builds every client here, once per
// container, never on a request's path.
func FromEnv(ctx context.Context) (Parts, error) {
	table := strings.TrimSpace(os.Getenv("DEDUPE_TABLE"))
	url := strings.TrimSpace(os.Getenv("RETRY_QUEUE_URL"))
	var p Parts
	if table == "" && url == "" {
		return p, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return p, errors.New("the AWS SDK configuration could not be loaded for DEDUPE_TABLE / RETRY_QUEUE_URL")
	}
	if table != "" {
		store := dedupe.NewDynamoDB(dynamodb.NewFromConfig(cfg), table)
		p.Store, p.Tickets, p.Requesters, p.Submissions = store, store, store, store
		p.ZendeskBudget = &pacing.DynamoDB{Client: store.Client, Table: table, Name: "zendesk"}
	}
	if url != "" {
		p.Queue = &queue.SQS{Client: sqs.NewFromConfig(cfg), URL: url}
	}
	return p, nil
}
