package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/faulttest"
	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// TestTwoContainersShareOneTable runs two emulators of the built bootstrap,
// both with DEDUPE_TABLE (one table on one moto), RETRY_QUEUE_URL and the
// same secret, as two warm containers of one function.
func TestTwoContainersShareOneTable(t *testing.T) {
	moto := mototest.Start(t)
	moto.Put(t, secretID, secret())
	moto.CreateTable(t, dedupeTable)
	url, dlq := moto.CreateQueue(t, "zendesk-to-braze-retry", 10)
	bz := brazetest.New(apiKey)
	t.Cleanup(bz.Close)
	bz.AssumeProfilesExist() // every requester here is a Braze user
	zd := zendesktest.New(zdAgent, zdToken)
	zd.AddSamples()
	t.Cleanup(zd.Close)
	vars := append(moto.Env(), "SECRET_ID="+secretID, "BRAZE_REST_ENDPOINT="+bz.URL, "ZENDESK_BASE_URL="+zd.URL,
		"DEDUPE_TABLE="+dedupeTable, "RETRY_QUEUE_URL="+url)
	bin := lambdatest.Build(t, "zendesk-to-braze")
	var a, b *lambdatest.Function
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = lambdatest.Start(t, bin, vars...) }()
	go func() { defer wg.Done(); b = lambdatest.Start(t, bin, vars...) }()
	wg.Wait()
	if a == nil || b == nil {
		t.FailNow()
	}

	// signed is the sample trigger body about ticket id, signed now, under
	// invocation id inv (each case its own ticket: one body signed in one
	// second is one signature, which a second invocation may not reuse).
	signed := func(t *testing.T, ticket int, inv string) events.APIGatewayV2HTTPRequest {
		t.Helper()
		ev := lambdatest.LoadEvent(t, filepath.Join(lambdatest.Root(t), "events", "zendesk-to-braze.json"))
		ev.Body = strings.ReplaceAll(ev.Body, "4211", fmt.Sprint(ticket))
		ev.Headers[zendesk.InvocationIDHeader] = inv
		if err := apigw.SignZendesk(&ev, hookSecret, time.Now()); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	carrying := func(inv string) (calls int) {
		for _, r := range bz.RequestsTo(brazetest.TrackPath) {
			if strings.Contains(string(r.Body), `"`+inv+`"`) {
				calls++
			}
		}
		return calls
	}

	t.Run("A then B", func(t *testing.T) {
		ev := signed(t, 9001, "inv-a-then-b")
		ra := a.Invoke(t, ev)
		if ra.StatusCode != 200 || lambdatest.JSON(t, ra)["duplicate"] == true {
			t.Fatalf("container A: %d %s, want 200 delivered", ra.StatusCode, ra.Body)
		}
		rb := b.Invoke(t, ev)
		if rb.StatusCode != 200 || lambdatest.JSON(t, rb)["duplicate"] != true {
			t.Errorf("container B: %d %s, want 200 duplicate", rb.StatusCode, rb.Body)
		}
		if n := carrying("inv-a-then-b"); n != 1 {
			t.Errorf("Braze was called %d times with the invocation, want 1", n)
		}
	})

	t.Run("both at once while Braze is slow", func(t *testing.T) {
		ev := signed(t, 9002, "inv-both")
		// Braze takes 2 s to answer this one (the function gives an
		// attempt 4 s); the second container gets the same request while
		// the first is waiting for Braze.
		bz.Script(brazetest.TrackPath, brazetest.Reply{Status: 201, Delay: 2 * time.Second,
			Body: `{"message": "success", "events_processed": 1}`})
		before := len(bz.RequestsTo(brazetest.TrackPath))
		first := make(chan events.APIGatewayV2HTTPResponse, 1)
		go func() { first <- a.Invoke(t, ev) }()
		for deadline := time.Now().Add(10 * time.Second); len(bz.RequestsTo(brazetest.TrackPath)) == before; {
			if time.Now().After(deadline) {
				t.Fatal("container A never called Braze")
			}
			time.Sleep(10 * time.Millisecond)
		}
		rb := b.Invoke(t, ev)
		ra := <-first
		if ra.StatusCode != 200 || lambdatest.JSON(t, ra)["duplicate"] == true {
			t.Errorf("container A: %d %s, want 200 delivered", ra.StatusCode, ra.Body)
		}
		outB := lambdatest.JSON(t, rb)
		if rb.StatusCode != 409 && (rb.StatusCode != 200 || outB["duplicate"] != true) {
			t.Errorf("container B, while A waited for Braze: %d %s, want 409 (or 200 duplicate)", rb.StatusCode, rb.Body)
		}
		if n := len(bz.RequestsTo(brazetest.TrackPath)) - before; n != 1 {
			t.Errorf("Braze was called %d times, want 1", n)
		}
		// Zendesk retries the 409: a duplicate now, in either container.
		if r := b.Invoke(t, ev); r.StatusCode != 200 || lambdatest.JSON(t, r)["duplicate"] != true {
			t.Errorf("Zendesk's retry of the 409: %d %s, want 200 duplicate", r.StatusCode, r.Body)
		}
	})

	t.Run("queued by A, delivered by B", func(t *testing.T) {
		ev := signed(t, 9003, "inv-queued")
		fail := brazetest.Reply{Status: 503}
		bz.Script(brazetest.TrackPath, fail, fail, fail) // every attempt the call has
		ra := a.Invoke(t, ev)
		if ra.StatusCode != 202 || lambdatest.JSON(t, ra)["queued"] != true {
			t.Fatalf("container A while Braze fails: %d %s, want 202 queued", ra.StatusCode, ra.Body)
		}
		sqsEvent, raw := faulttest.Event(t, moto, url)
		if len(sqsEvent.Records) != 1 {
			t.Fatalf("the queue holds %d records, want 1", len(sqsEvent.Records))
		}
		before := len(bz.Events())
		for i := range 2 { // SQS delivers a message twice now and then
			var resp events.SQSEventResponse
			out := b.InvokeRaw(t, raw)
			if err := json.Unmarshal(out, &resp); err != nil || resp.BatchItemFailures == nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("container B, SQS event %d: %s, want an empty batchItemFailures", i+1, out)
			}
			if n := len(bz.Events()) - before; n != 1 {
				t.Errorf("after SQS event %d Braze holds %d new events, want 1", i+1, n)
			}
		}
		if n := carrying("inv-queued"); n != 4 { // three 503s, one delivery
			t.Errorf("Braze was called %d times with the invocation, want 3 failures and 1 delivery", n)
		}
		moto.Settle(t, url, sqsEvent, events.SQSEventResponse{})
		// Zendesk's retry of the queued invocation, to either container.
		if rb := b.Invoke(t, ev); rb.StatusCode != 200 || lambdatest.JSON(t, rb)["duplicate"] != true {
			t.Errorf("Zendesk's retry: %d %s, want 200 duplicate", rb.StatusCode, rb.Body)
		}
		if q, d := moto.Count(t, url), moto.Count(t, dlq); q != 0 || d != 0 {
			t.Errorf("queue %d, dead letters %d; want none", q, d)
		}
	})
}

// TestQueuedBurst sends 10,000 signed webhooks through a container in
// queued mode (DELIVERY_MODE=queued), then consumes the queue in SQS events
// of 750 records (the template's BatchSize), through the function's Lambda
// entry point: 10,000 events reach Braze, in at most 134 /users/track calls
// (⌈10,000 / 75⌉). It uses the memory twins of the table and the queue
// (dedupe.Memory, queue.Memory): on moto the 50,000 table and queue calls
// would take minutes.
func TestQueuedBurst(t *testing.T) {
	const n, batch, most = 10_000, 750, 134
	clock := faulttest.NewClock(epoch)
	bz := brazetest.New(apiKey)
	t.Cleanup(bz.Close)
	bz.AssumeProfilesExist() // every requester here is a Braze user
	zd := zendesktest.New(zdAgent, zdToken)
	t.Cleanup(zd.Close)
	// The consumer reads each requester's support state when it sends:
	// the burst's tickets are unknown to Zendesk, so each goes without.
	zd.AddOAuthClient(faultClient, faultClientSecret)
	q := &queue.Memory{Now: clock.Now, Visibility: 90 * time.Second}
	store := dedupe.NewMemory()
	store.Now = clock.Now
	h := container(t, faulttest.Transport(attemptTimeout), faulttest.Transport(attemptTimeout), bz.URL, zd.URL, store, q, clock)
	h.Service.Queued = true
	log := faulttest.Log(t)
	h.Log, h.Misconfig = log, &webhook.Misconfig{Log: log}
	fn := lambdaio.Handler(h, h, nil, log)
	check := &faulttest.Checker{RetryAfter503: true, MaxRetryAfter: 59}
	statuses := faulttest.Counts[int]{}
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				b := fmt.Appendf(nil, `{"ticket_id": "%d", "status": "Solved", "external_id": "user-%d", "subject": "Burst %d"}`, ticketOf(i), i%100, i)
				ts := clock.Now().Format(time.RFC3339)
				a := faulttest.Invoke(fn, functionTime, 0, faulttest.Request("/zendesk/events", map[string]string{
					"content-type":                   "application/json",
					zendesk.InvocationIDHeader:       invocation(i),
					zendesk.SignatureTimestampHeader: ts,
					zendesk.SignatureHeader:          zendesk.Sign(hookSecret, ts, b),
				}, b))
				check.Check(a)
				statuses.Add(a.Status)
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	check.Report(t)
	if statuses.Get(202) != n || len(bz.Requests()) != 0 {
		t.Fatalf("answers %s, Braze calls %d; want %d × 202 and no call yet", statuses.String(), len(bz.Requests()), n)
	}
	invocations := 0
	for {
		recs := q.Receive(batch)
		if len(recs) == 0 {
			break
		}
		invocations++
		raw, err := json.Marshal(faulttest.SQSEvent(recs))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), functionTime)
		out, err := fn(ctx, raw)
		cancel()
		resp, ok := out.(events.SQSEventResponse)
		if err != nil || !ok || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("SQS event %d: %v %+v", invocations, err, out)
		}
		q.Settle(recs, make([]queue.Result, len(recs)))
	}
	calls := len(bz.RequestsTo(brazetest.TrackPath))
	seen := map[string]int{}
	for _, ev := range bz.Events() {
		props, _ := ev["properties"].(map[string]any)
		inv, _ := props[tracking.InvocationProperty].(string)
		seen[inv]++
	}
	t.Logf("%d webhooks answered 202; %d SQS events of at most %d records; %d events reached Braze in %d /users/track calls",
		n, invocations, batch, len(bz.Events()), calls)
	if len(bz.Events()) != n || len(seen) != n || calls > most || q.Len() != 0 {
		t.Errorf("%d events (%d distinct) in %d calls, queue %d; want %d in at most %d, queue empty",
			len(bz.Events()), len(seen), calls, q.Len(), n, most)
	}
}

// TestQueuedModeWithoutZendesk: in queued mode, a function with no Zendesk
// account refuses at once (500 naming ZENDESK_SUBDOMAIN) a body that needs
// the ticket's requester read from Zendesk, and queues nothing; a body
// naming its requester is still queued.
func TestQueuedModeWithoutZendesk(t *testing.T) {
	moto := mototest.Start(t)
	moto.Put(t, secretID, secret())
	moto.CreateTable(t, dedupeTable)
	url, _ := moto.CreateQueue(t, "zendesk-to-braze-retry", 10)
	bz := brazetest.New(apiKey)
	t.Cleanup(bz.Close)
	bz.AssumeProfilesExist()
	fn := lambdatest.Start(t, lambdatest.Build(t, "zendesk-to-braze"), append(moto.Env(), "SECRET_ID="+secretID,
		"BRAZE_REST_ENDPOINT="+bz.URL, "ZENDESK_BASE_URL=", "ZENDESK_SUBDOMAIN=",
		"DEDUPE_TABLE="+dedupeTable, "RETRY_QUEUE_URL="+url, "DELIVERY_MODE=queued")...)

	r := fn.Invoke(t, event(t, "zendesk-to-braze-ticket-status-changed.json"))
	if msg, _ := lambdatest.JSON(t, r)["error"].(string); r.StatusCode != 500 || !strings.Contains(msg, "ZENDESK_SUBDOMAIN") {
		t.Errorf("event webhook: %d %s, want 500 naming ZENDESK_SUBDOMAIN", r.StatusCode, r.Body)
	}
	if n := moto.Count(t, url); n != 0 {
		t.Errorf("%d queued, want none", n)
	}
	if r := fn.Invoke(t, event(t, "zendesk-to-braze.json")); r.StatusCode != 202 {
		t.Errorf("trigger body naming its requester: %d %s, want 202", r.StatusCode, r.Body)
	}
	if len(bz.Requests()) != 0 {
		t.Error("Braze was called")
	}
}
