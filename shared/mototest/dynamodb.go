package mototest

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB is an SDK client that reaches this moto's DynamoDB. optFns
// adjust it, e.g. its Retryer.
func (m *Moto) DynamoDB(t testing.TB, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	return dynamoDBClient(t, m.Endpoint, optFns)
}

// DynamoDB is an SDK client, with the SDK's default configuration (its
// retries included), that reaches DynamoDB through the proxy. optFns
// adjust it, e.g. its Retryer.
func (p *FaultProxy) DynamoDB(t testing.TB, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	return dynamoDBClient(t, p.Endpoint, optFns)
}

// CreateTable creates a table shaped as the bridge's dedupe table
// (partition key id, a String; on-demand; TTL on expires_at) and returns a
// client on moto that reaches it.
func (m *Moto) CreateTable(t testing.TB, name string) *dynamodb.Client {
	t.Helper()
	client := m.DynamoDB(t)
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		// The SDK retried a creation whose answer moto_server, under load,
		// cut short: the table is there if this test made it.
		_, err = client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	}
	if err != nil {
		t.Fatalf("creating table %s: %v", name, err)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("enabling TTL on table %s: %v", name, err)
	}
	return client
}

// dynamoDBClient names the endpoint itself rather than relying on the
// variables Start sets, which a test that shares one moto may not have.
func dynamoDBClient(t testing.TB, endpoint string, optFns []func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing", Source: "mototest"}, nil
		})),
	)
	if err != nil {
		t.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){
		func(o *dynamodb.Options) { o.BaseEndpoint = &endpoint },
	}, optFns...)...)
}
