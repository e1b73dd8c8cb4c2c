package dedupe_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/mototest"
)

// checkCursors is what every store does with cursors.
func checkCursors(t *testing.T, s dedupe.Cursors) {
	t.Helper()
	if _, ok, err := s.Cursor(ctx, "tickets"); ok || err != nil {
		t.Fatalf("a fresh store has a cursor (%v, %v)", ok, err)
	}
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for i, c := range []dedupe.Cursor{{Value: "MTU4MDc1Mzc5OC4wfHw0MzJ8", Time: at}, {Value: `a"b\c`, Time: at.Add(time.Hour), Done: []int64{3, 1000000000001, 7}},
		{Value: "next", Time: at.Add(2 * time.Hour)}} {
		if err := s.SaveCursor(ctx, "tickets", c); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.Cursor(ctx, "tickets")
		want := slices.Sorted(slices.Values(c.Done))
		if !ok || err != nil || got.Value != c.Value || !got.Time.Equal(c.Time) || !slices.Equal(slices.Sorted(slices.Values(got.Done)), want) {
			t.Fatalf("save %d: read %+v, %v, %v", i, got, ok, err)
		}
	}
	if _, ok, _ := s.Cursor(ctx, "users"); ok {
		t.Error("a cursor under another name")
	}
}

func TestMemoryCursors(t *testing.T) { checkCursors(t, dedupe.NewMemory()) }

func TestDynamoDBCursors(t *testing.T) {
	m := mototest.Start(t)
	name, client := newTable(t, m)
	d := dedupe.NewDynamoDB(client, name)
	checkCursors(t, d)
	// The record never expires: no expires_at for TTL to act on.
	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &name, Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "cursor#tickets"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, has := out.Item["expires_at"]; has || out.Item["cursor"] == nil {
		t.Errorf("cursor record = %v", out.Item)
	}
}
