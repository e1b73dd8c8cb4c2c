package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/queue"
)

// Function is a container's Lambda handler, as lambdaio.Handler returns it.
type Function func(ctx context.Context, raw json.RawMessage) (any, error)

// Pump hands the messages of a retry queue on moto to a function's
// containers as Lambda's SQS event source does: it receives what is visible
// (mototest.Drain), invokes a random container with SQS events of at most
// BatchSize records, and deletes what the answer does not list in
// batchItemFailures (mototest.Settle).
//
// Visibility is virtual: give the containers the Pump as their
// lambdaio.Visibility, and a failed record's wait is counted on the Clock;
// once the clock passes it the record is made visible again on moto. A
// failed record that asked for no wait comes back after Visibility, the
// queue's visibility timeout.
type Pump struct {
	Moto       *mototest.Moto
	URL        string
	Clock      *Clock
	BatchSize  int
	Timeout    time.Duration // the function's timeout: each batch's deadline
	Visibility time.Duration // the queue's visibility timeout, on the Clock
	Functions  []Function    // one per container

	sqs *sqs.Client

	mu       sync.Mutex
	rng      *rand.Rand
	hidden   map[string]time.Time // receipt handle → when it is visible again
	sent     atomic.Int64         // messages the containers sent
	drained  int64                // sent, as of the last drain
	released bool                 // records were made visible since the last drain

	Batches   int // SQS events the containers were invoked with
	Records   int // records in them
	Failed    int // records answered failed
	Delivered int // records deleted after their batch
}

// NewPump returns a pump on the queue at url, hidden for 12 hours of real
// time once received (so that only the Clock brings a record back).
func NewPump(t testing.TB, m *mototest.Moto, url string, clock *Clock, seed uint64) *Pump {
	t.Helper()
	p := &Pump{Moto: m, URL: url, Clock: clock, BatchSize: 10, Timeout: 30 * time.Second, Visibility: 90 * time.Second,
		sqs: m.SQS(t), rng: rand.New(rand.NewPCG(seed, seed+7)), hidden: map[string]time.Time{}}
	if _, err := p.sqs.SetQueueAttributes(context.Background(), &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "43200"},
	}); err != nil {
		t.Fatalf("setting the visibility timeout of %s: %v", url, err)
	}
	return p
}

// Sender counts what s sends, so that the pump knows when to drain.
func (p *Pump) Sender(s queue.Sender) queue.Sender { return &countingSender{s: s, n: &p.sent} }

// Sent is how many messages the containers put on the queue.
func (p *Pump) Sent() int { return int(p.sent.Load()) }

type countingSender struct {
	s queue.Sender
	n *atomic.Int64
}

func (c *countingSender) Send(ctx context.Context, body []byte) error {
	err := c.s.Send(ctx, body)
	if err == nil {
		c.n.Add(1)
	}
	return err
}

// ChangeVisibility implements lambdaio.Visibility on the Clock.
func (p *Pump) ChangeVisibility(_ context.Context, handle string, after time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hidden[handle] = p.Clock.Now().Add(after)
	return nil
}

// NextDue is when the next record becomes visible; ok is false when none
// waits.
func (p *Pump) NextDue() (at time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sent.Load() != p.drained {
		return p.Clock.Now(), true // sent after the last drain: Lambda polls at once
	}
	for _, due := range p.hidden {
		if !ok || due.Before(at) {
			at, ok = due, true
		}
	}
	return at, ok
}

// Round makes visible what the clock has reached, then drains the queue into
// the containers, when anything can have become visible since the last
// drain.
func (p *Pump) Round(t testing.TB) {
	t.Helper()
	p.release(t)
	p.mu.Lock()
	quiet := p.sent.Load() == p.drained && !p.released
	p.mu.Unlock()
	if !quiet {
		p.Flush(t)
	}
}

// Flush drains whatever is visible on the queue into the containers, and
// returns how many records it handed them: also a message sent without the
// pump knowing (an SDK error after SQS took it).
func (p *Pump) Flush(t testing.TB) int {
	t.Helper()
	p.mu.Lock()
	p.drained, p.released = p.sent.Load(), false
	p.mu.Unlock()
	ev := p.Moto.Drain(t, p.URL)
	for i := 0; i < len(ev.Records); i += p.BatchSize {
		p.invoke(t, events.SQSEvent{Records: ev.Records[i:min(i+p.BatchSize, len(ev.Records))]})
	}
	return len(ev.Records)
}

func (p *Pump) release(t testing.TB) {
	t.Helper()
	now := p.Clock.Now()
	var due []string
	p.mu.Lock()
	for h, at := range p.hidden {
		if !at.After(now) {
			due = append(due, h)
			delete(p.hidden, h)
		}
	}
	if len(due) > 0 {
		p.released = true
	}
	p.mu.Unlock()
	for len(due) > 0 {
		n := min(len(due), 10)
		in := &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(p.URL)}
		for i, h := range due[:n] {
			in.Entries = append(in.Entries, types.ChangeMessageVisibilityBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h), VisibilityTimeout: 0,
			})
		}
		out, err := p.sqs.ChangeMessageVisibilityBatch(context.Background(), in)
		if err == nil && len(out.Failed) > 0 {
			err = fmt.Errorf("%s: %s", aws.ToString(out.Failed[0].Code), aws.ToString(out.Failed[0].Message))
		}
		if err != nil {
			t.Fatalf("making records visible again: %v", err)
		}
		due = due[n:]
	}
}

// invoke hands one SQS event to a random container and settles it.
func (p *Pump) invoke(t testing.TB, ev events.SQSEvent) {
	t.Helper()
	p.mu.Lock()
	fn := p.Functions[p.rng.IntN(len(p.Functions))]
	p.mu.Unlock()
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.Timeout)
	out, err := fn(ctx, raw)
	cancel()
	if err != nil {
		t.Fatalf("the function failed an SQS event: %v", err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("the function answered an SQS event with %T, not an events.SQSEventResponse", out)
	}
	handles := map[string]string{}
	for _, r := range ev.Records {
		handles[r.MessageId] = r.ReceiptHandle
	}
	failed := map[string]bool{}
	now := p.Clock.Now()
	p.mu.Lock()
	for _, f := range resp.BatchItemFailures {
		h, ok := handles[f.ItemIdentifier]
		if !ok {
			p.mu.Unlock()
			t.Fatalf("batchItemFailures names %q, which is not in the batch", f.ItemIdentifier)
		}
		failed[h] = true
		if _, postponed := p.hidden[h]; !postponed {
			p.hidden[h] = now.Add(p.Visibility)
		}
	}
	for _, h := range handles {
		if !failed[h] {
			delete(p.hidden, h) // deleted: a wait it asked for no longer matters
		}
	}
	p.Batches++
	p.Records += len(ev.Records)
	p.Failed += len(failed)
	p.mu.Unlock()
	p.Delivered += p.Moto.Settle(t, p.URL, ev, resp)
}

// Event drains the queue at url into one SQS event, as Lambda would invoke
// a function with, and its JSON.
func Event(t testing.TB, m *mototest.Moto, url string) (events.SQSEvent, []byte) {
	t.Helper()
	ev := m.Drain(t, url)
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return ev, raw
}
