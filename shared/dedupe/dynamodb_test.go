package dedupe_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/mototest"
)

var tables atomic.Int64

// newTable creates a fresh dedupe table on m and returns its name and a
// client on it.
func newTable(t *testing.T, m *mototest.Moto) (string, *dynamodb.Client) {
	t.Helper()
	name := fmt.Sprintf("dedupe-%d", tables.Add(1))
	return name, m.CreateTable(t, name)
}

func TestDynamoDBContract(t *testing.T) {
	m := mototest.Start(t)
	runContract(t, func(t *testing.T, now func() time.Time) store {
		name, client := newTable(t, m)
		d := dedupe.NewDynamoDB(client, name)
		d.Now = now
		return d
	})
}

// spy counts the calls that reach the table and can fail them.
type spy struct {
	api dedupe.DynamoDBAPI

	mu    sync.Mutex
	calls map[string]int
	// fault, when set, is asked before each call: a non-nil err fails the
	// call, before it reaches the table or, when landed, after it made its
	// write (its answer lost on the way back).
	fault func(op string) (err error, landed bool)
}

func newSpy(api dedupe.DynamoDBAPI) *spy { return &spy{api: api, calls: map[string]int{}} }

func (s *spy) call(op string, do func() error) error {
	s.mu.Lock()
	s.calls[op]++
	fault := s.fault
	s.mu.Unlock()
	if fault != nil {
		if err, landed := fault(op); err != nil {
			if landed {
				do()
			}
			return err
		}
	}
	return do()
}

// counts returns the calls made since the last counts, by operation, and
// in all.
func (s *spy) counts() (map[string]int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, total := s.calls, 0
	for _, n := range out {
		total += n
	}
	s.calls = map[string]int{}
	return out, total
}

func (s *spy) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (out *dynamodb.GetItemOutput, err error) {
	err = s.call("GetItem", func() (err error) { out, err = s.api.GetItem(ctx, in, optFns...); return err })
	return out, err
}

func (s *spy) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (out *dynamodb.PutItemOutput, err error) {
	err = s.call("PutItem", func() (err error) { out, err = s.api.PutItem(ctx, in, optFns...); return err })
	return out, err
}

func (s *spy) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (out *dynamodb.UpdateItemOutput, err error) {
	err = s.call("UpdateItem", func() (err error) { out, err = s.api.UpdateItem(ctx, in, optFns...); return err })
	return out, err
}

func (s *spy) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (out *dynamodb.TransactWriteItemsOutput, err error) {
	err = s.call("TransactWriteItems", func() (err error) { out, err = s.api.TransactWriteItems(ctx, in, optFns...); return err })
	return out, err
}

// sleeps records the waits of a store's own retries instead of waiting.
type sleeps struct {
	mu  sync.Mutex
	got []time.Duration
}

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, d)
	return ctx.Err()
}

func (s *sleeps) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.got...)
}

// spied is a store on a fresh table whose calls sp sees, on clock, with
// its retries' waits recorded.
func spied(t *testing.T, m *mototest.Moto) (subject, *dedupe.DynamoDB, *spy, *sleeps) {
	t.Helper()
	name, client := newTable(t, m)
	sp := newSpy(client)
	clock := clocktest.New()
	d := dedupe.NewDynamoDB(sp, name)
	sl := &sleeps{}
	d.Now, d.Sleep = clock.Now, sl.Sleep
	return subject{store: d, clock: clock}, d, sp, sl
}
