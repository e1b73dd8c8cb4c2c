package dedupe_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/mototest"
)

// race makes n claims at once and counts their outcomes; it returns the
// one claim won.
func race(t *testing.T, s subject, n int, req func(i int) dedupe.ClaimRequest) (map[dedupe.Outcome]int, dedupe.Claim) {
	t.Helper()
	claims := make([]dedupe.Claim, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			claims[i], errs[i] = s.Claim(ctx, req(i))
		})
	}
	close(start)
	wg.Wait()
	outcomes := map[dedupe.Outcome]int{}
	var won dedupe.Claim
	for i, c := range claims {
		if errs[i] != nil {
			t.Fatalf("claim %d: %v", i, errs[i])
		}
		outcomes[c.Outcome]++
		if c.Outcome == dedupe.Claimed {
			won = c
		}
	}
	return outcomes, won
}

// Claimants racing for one delivery leave exactly one of them holding it,
// whatever path their claims take.
func TestDynamoDBRaces(t *testing.T) {
	m := mototest.Start(t)
	const n = 20
	fresh := func(t *testing.T) subject {
		s, d, _, _ := spied(t, m)
		d.Client = &atomicWrites{api: d.Client}
		return s
	}
	expect := func(t *testing.T, got map[dedupe.Outcome]int, others dedupe.Outcome) {
		t.Helper()
		if got[dedupe.Claimed] != 1 || got[others] != n-1 {
			t.Fatalf("outcomes %v, want 1 claimed and %d %v", got, n-1, others)
		}
	}

	t.Run("one invocation", func(t *testing.T) {
		s := fresh(t)
		got, _ := race(t, s, n, func(int) dedupe.ClaimRequest { return s.req("a") })
		expect(t, got, dedupe.Busy)
	})
	t.Run("one invocation with its signature", func(t *testing.T) {
		s := fresh(t)
		got, _ := race(t, s, n, func(int) dedupe.ClaimRequest { return s.replay("a", "sig") })
		expect(t, got, dedupe.Busy)
	})
	t.Run("one signature replayed under fresh invocation ids", func(t *testing.T) {
		s := fresh(t)
		got, _ := race(t, s, n, func(i int) dedupe.ClaimRequest { return s.replay(fmt.Sprint("inv", i), "sig") })
		expect(t, got, dedupe.Duplicate)
	})
	t.Run("takeovers of an abandoned claim", func(t *testing.T) {
		s := fresh(t)
		old := s.want(t, s.req("a"), dedupe.Claimed, 0)
		ok(t, "Progress", s.Progress(ctx, "a", old.Token, 2))
		s.clock.Add(deadline)
		got, won := race(t, s, n, func(int) dedupe.ClaimRequest { return s.req("a") })
		expect(t, got, dedupe.Busy)
		if won.Batches != 2 {
			t.Errorf("the takeover found %d batches, want 2", won.Batches)
		}
		lost(t, "Complete of the abandoned claim", s.Complete(ctx, "a", old.Token))
		ok(t, "Complete of the claim won", s.Complete(ctx, "a", won.Token))
	})
	t.Run("queue consumers given one record twice", func(t *testing.T) {
		s := fresh(t)
		c := s.want(t, s.req("a"), dedupe.Claimed, 0)
		ok(t, "Queue", s.Queue(ctx, "a", c.Token))
		got, _ := race(t, s, n, func(int) dedupe.ClaimRequest { return fromQueue(s.req("a")) })
		expect(t, got, dedupe.Busy)
	})
}

// atomicWrites gives moto the atomicity DynamoDB guarantees and moto lacks:
// moto_server serves requests on threads and checks a condition apart from
// the write it guards (a transaction even restores a copy of the whole
// table when it fails), so two of its concurrent writes may both pass.
// One request at a time is what DynamoDB promises of each write; the
// claimants' requests still interleave freely.
type atomicWrites struct {
	api dedupe.DynamoDBAPI
	mu  sync.Mutex
}

func (a *atomicWrites) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.api.GetItem(ctx, in, optFns...)
}

func (a *atomicWrites) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.api.PutItem(ctx, in, optFns...)
}

func (a *atomicWrites) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.api.UpdateItem(ctx, in, optFns...)
}

func (a *atomicWrites) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.api.TransactWriteItems(ctx, in, optFns...)
}
