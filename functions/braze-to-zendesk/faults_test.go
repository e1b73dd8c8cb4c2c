package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/faulttest"
	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// Test-tuned timings of an in-process container: each attempt gets 300 ms
// (the injector's slow answers take longer), and the in-call retries wait
// milliseconds; a wait asked for that is longer than 100 ms does not fit
// and goes to the retry queue, as a long one does in production.
const (
	attemptTimeout = 300 * time.Millisecond
	functionTime   = 28 * time.Second // the template's Timeout
)

var inCall = retry.Policy{Attempts: 3, Base: 5 * time.Millisecond, Max: 100 * time.Millisecond, Reserve: 50 * time.Millisecond}

const dedupeTable = "bridge-dedupe"

const (
	faultClient       = "braze_bridge"
	faultClientSecret = "fault-suite-client-secret"
)

var epoch = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// fleet is the function's containers in process, built as main.go builds
// them but with test-tuned timings, sharing one dedupe table and one retry
// queue on moto, with Zendesk behind a seeded fault injector.
type fleet struct {
	clock    *faulttest.Clock
	moto     *mototest.Moto
	zd       *zendesktest.Server
	faults   *faulttest.Injector
	url, dlq string
	pump     *faulttest.Pump
	fns      []faulttest.Function
	check    *faulttest.Checker
	observe  func(faulttest.Answer) // sees every answer, when set
}

type fleetConfig struct {
	seed     uint64
	rate     float64          // share of Zendesk calls that fail
	kinds    []faulttest.Kind // nil: all
	dynamoDB string           // the endpoint the containers reach the table at: moto, or a fault proxy
	sqs      string           // the same for the queue
	bulk     bool             // TICKET_DELIVERY=bulk
}

func newFleet(t *testing.T, moto *mototest.Moto, cfg fleetConfig) *fleet {
	t.Helper()
	f := &fleet{clock: faulttest.NewClock(epoch), moto: moto, check: &faulttest.Checker{}}
	moto.CreateTable(t, dedupeTable)
	f.url, f.dlq = moto.CreateQueue(t, "braze-to-zendesk-retry", 10)
	f.zd = zendesktest.New(agent, zdToken)
	f.zd.Now = f.clock.Now // its Idempotency-Key records and tokens age on the clock
	// OAuth alone, as after 30 April 2027; the token requests go through
	// the injector like any other call.
	f.zd.AddOAuthClient(faultClient, faultClientSecret)
	f.zd.DisableAPITokens(true)
	t.Cleanup(f.zd.Close)
	f.faults = faulttest.NewInjector(cfg.seed, cfg.rate)
	f.faults.Kinds = cfg.kinds
	zdURL := f.faults.Serve(t, f.zd.Config.Handler)

	ddbCalls, sqsCalls := &faulttest.Serial{}, &faulttest.Serial{}
	f.pump = faulttest.NewPump(t, moto, f.url, f.clock, cfg.seed)
	f.pump.BatchSize, f.pump.Timeout, f.pump.Visibility = 10, functionTime, 180*time.Second // the template's
	if cfg.bulk {
		f.pump.BatchSize = 1000 // the template's in bulk mode
	}
	log := faulttest.Log(t)
	for range 2 {
		// Each container has its own AWS clients, as durability.FromEnv
		// builds them, on the one table and the one queue.
		store := dedupe.NewDynamoDB(ddbCalls.DynamoDB(faulttest.DynamoDB(t, moto, cfg.dynamoDB)), dedupeTable)
		store.Now = f.clock.Now
		q := &queue.SQS{Client: sqsCalls.SQS(faulttest.SQS(t, moto, cfg.sqs)), URL: f.url}
		h := container(t, f.faults.Client(attemptTimeout), zdURL, store, f.pump.Sender(q), f.clock)
		h.Log, h.Misconfig = log, &webhook.Misconfig{Log: log, Now: f.clock.Now}
		if cfg.bulk {
			inBulk(h, store, f.clock)
		}
		f.fns = append(f.fns, lambdaio.Handler(h, h, f.pump, log))
	}
	f.pump.Functions = f.fns
	return f
}

// container is one warm container: its own HTTP client (hc) and secret
// cache.
func container(t *testing.T, hc *http.Client, zdURL string, store dedupe.Tickets, q queue.Sender, clock *faulttest.Clock) *tickets.Handler {
	t.Helper()
	base, err := url.Parse(zdURL)
	if err != nil {
		t.Fatal(err)
	}
	cache := secrets.NewCache(faulttest.Secret{zendesk.KeyOAuthClientID: faultClient, zendesk.KeyOAuthClientSecret: faultClientSecret,
		tickets.KeyWebhookToken: hookToken}, secrets.DefaultTTL)
	cache.Now = clock.Now
	auth := zendesk.NewSecretAuth(cache, base, hc, zendesk.ScopesFileTickets, nil)
	// Zendesk's shortest lifetime: the suite's hours of simulated time see
	// tokens expire and renewed many times over.
	auth.Lifetime, auth.Now = 5*time.Minute, clock.Now
	zc := zendesk.New(base, hc, auth)
	zc.Retry = inCall
	svc := &tickets.Service{Zendesk: zc, Secrets: cache, Queue: q, Filed: store, Now: clock.Now}
	return &tickets.Handler{Service: svc}
}

// Delivery n is Braze's webhook for user n%100 of a send of its own: the
// body the README has users paste (rendered), and the Idempotency-Key it
// recommends.
func body(n int) []byte {
	u := n % 100
	return fmt.Appendf(nil, `{"ticket": {"requester_id": "user-%d", "requester": {"name": "User %d", "email": "user%d@example.com"},
  "subject": "Delivery %d", "comment": {"body": "delivery %d"}, "priority": "normal", "tags": ["braze"]}}`, u, u, u, n, n)
}

func dispatch(n int) string { return fmt.Sprintf("dispatch-%d-user-%d", n, n%100) }

// key is the Idempotency-Key delivery n's ticket must be filed under, and
// carry as its external_id.
func key(n int) string {
	return tickets.IdempotencyKey(dispatch(n), body(n), fmt.Sprintf("external_id:user-%d", n%100))
}

// send makes one attempt of d as Braze does.
func (f *fleet) send(_ context.Context, d *faulttest.Delivery, c int) faulttest.Answer {
	raw := faulttest.Request("/braze/tickets", map[string]string{
		"authorization":   "Bearer " + hookToken,
		"content-type":    "application/json",
		"idempotency-key": dispatch(d.N),
	}, body(d.N))
	a := faulttest.Invoke(f.fns[c], functionTime, 0, raw)
	f.check.Check(a)
	if f.observe != nil {
		f.observe(a)
	}
	return a
}

func (f *fleet) run(n, wave int) *faulttest.Run {
	return &faulttest.Run{Clock: f.clock, Deliveries: n, Wave: wave, WaveEvery: 30 * time.Second, Workers: 16,
		Containers: len(f.fns), Seed: 13, Retry: faulttest.BrazeRetry{}, Send: f.send, Pump: f.pump}
}

// outcome is what Zendesk holds.
type outcome struct {
	tickets   int // tickets filed
	keys      int // distinct keys among them
	lost      int // deliveries without a ticket
	doubled   int // tickets filed again under a key that had one
	conflicts int // tickets tagged braze_email_in_use
}

// verify counts Zendesk's tickets against deliveries 0..n-1: each carries
// its own key as its external_id, and is filed once.
func (f *fleet) verify(t *testing.T, n int) outcome {
	t.Helper()
	want := map[string]int{}
	for i := range n {
		want[key(i)] = i
	}
	var o outcome
	count := map[string]int{}
	for _, tk := range f.zd.Tickets() {
		o.tickets++
		if tags, _ := tk["tags"].([]any); len(tags) > 1 {
			o.conflicts++
		}
		ext, _ := tk["external_id"].(string)
		count[ext]++
		i, ok := want[ext]
		comment, _ := tk["comment"].(map[string]any)
		switch {
		case !ok:
			t.Errorf("ticket %v carries external_id %q, no delivery's key", tk["id"], ext)
		case comment["body"] != fmt.Sprintf("delivery %d", i):
			t.Errorf("ticket %v carries delivery %d's key but says %q", tk["id"], i, comment["body"])
		}
	}
	var lost []string
	for k, i := range want {
		switch c := count[k]; {
		case c == 0:
			o.lost++
			lost = append(lost, fmt.Sprint(i))
		case c > 1:
			o.doubled += c - 1
			t.Errorf("delivery %d was filed %d times", i, c)
		}
	}
	o.keys = len(count)
	if len(lost) > 0 {
		t.Errorf("lost %d deliveries: %s", len(lost), strings.Join(lost[:min(len(lost), 10)], ", "))
	}
	if q, d := f.moto.Count(t, f.url), f.moto.Count(t, f.dlq); q != 0 || d != 0 {
		t.Errorf("the retry queue holds %d messages and its dead-letter queue %d, want none", q, d)
	}
	return o
}

func (f *fleet) figures(t *testing.T, r *faulttest.Run, ds []*faulttest.Delivery, o outcome, took time.Duration) {
	t.Helper()
	final, gaveUp := faulttest.Summary(ds)
	t.Logf("deliveries: %d (virtual time %s, %d rounds, real time %s)", len(ds), f.clock.Now().Sub(epoch), r.Rounds, took.Round(time.Millisecond))
	t.Logf("injected faults on Zendesk: %s", f.faults.FaultSummary())
	t.Logf("answers to Braze, every attempt: %s; last answers: %s; senders that gave up: %d", r.Answers.String(), final.String(), gaveUp)
	t.Logf("queued: %d messages sent; %d SQS events of %d records, %d records failed and redelivered, %d deleted",
		f.pump.Sent(), f.pump.Batches, f.pump.Records, f.pump.Failed, f.pump.Delivered)
	t.Logf("Zendesk: %d tickets created under %d distinct keys; lost %d; doubled %d; tagged %s %d", o.tickets, o.keys, o.lost, o.doubled, tickets.ConflictTag, o.conflicts)
}

// TestFaultSuite files 1,000 Braze webhooks through two containers while a
// seeded 30 % of Zendesk's calls fail (429 short and long, 500, 503, slow
// past the attempt timeout, reset, ticket or user made but the answer
// lost), Braze retrying as it does and the retry queue drained as Lambda
// would: exactly one ticket per delivery, each under its own key.
func TestFaultSuite(t *testing.T) {
	const n = 1000
	moto := mototest.Start(t)
	f := newFleet(t, moto, fleetConfig{seed: 20261125, rate: 0.30, dynamoDB: moto.Endpoint, sqs: moto.Endpoint})
	r := f.run(n, 50)
	began := time.Now()
	ds := r.Go(t)
	o := f.verify(t, n)
	f.figures(t, r, ds, o, time.Since(began))
	f.check.Report(t)
	if o.tickets != n || o.keys != n || o.lost != 0 || o.doubled != 0 {
		t.Errorf("want exactly %d tickets, one per delivery", n)
	}
	// Every requester's email is their own: a tag saying it belongs to
	// another user is a user made by a lost answer, or by a concurrent
	// delivery, mistaken for someone else.
	if o.conflicts != 0 {
		t.Errorf("%d tickets are tagged %s, though no requester's email belongs to another user", o.conflicts, tickets.ConflictTag)
	}
	if got := f.faults.Faults(); len(got) < len(faulttest.Kinds) {
		t.Errorf("not every kind of fault struck: %v", got)
	}
}

// TestOutageZendesk: Zendesk answers 503 to everything for 45 minutes,
// longer than Braze's half hour of retries; every webhook is answered 202
// (queued), and once Zendesk is back the queue files each ticket once.
func TestOutageZendesk(t *testing.T) {
	const n = 50
	moto := mototest.Start(t)
	f := newFleet(t, moto, fleetConfig{seed: 3, dynamoDB: moto.Endpoint, sqs: moto.Endpoint})
	r := f.run(n, 25)
	recovered := false
	r.Round = func(now time.Time) {
		if now.Sub(epoch) < 45*time.Minute {
			f.faults.SetOutage(503)
			return
		}
		if !recovered {
			recovered = true
			f.faults.SetOutage(0)
			if got := len(f.zd.Tickets()); got != 0 {
				t.Errorf("Zendesk filed %d tickets while it was down", got)
			}
		}
	}
	began := time.Now()
	ds := r.Go(t)
	o := f.verify(t, n)
	f.figures(t, r, ds, o, time.Since(began))
	f.check.Report(t)
	for _, d := range ds {
		if a := d.Last(); a.Status != 202 {
			t.Errorf("delivery %d: the sender's last answer was %d %s, want 202 (queued)", d.N, a.Status, a.Body)
		}
	}
	if !recovered || o.tickets != n || o.keys != n {
		t.Errorf("after the outage: %d tickets under %d keys; want %d, each once", o.tickets, o.keys, n)
	}
}

// TestFaultsStoreUnreachable puts a fault proxy in front of moto for the
// dedupe table (which the queue's consumer reads and writes) and then for
// the retry queue, and switches it to throttling, server errors and closed
// connections for a while, three times, while webhooks arrive and a share
// of Zendesk's calls fail: every answer is clear (never a 500, never SDK
// text; a 429 or 503 with Retry-After), and once the proxy passes again
// Braze's retries and the queue file every ticket exactly once, nothing
// restarted.
func TestFaultsStoreUnreachable(t *testing.T) {
	for _, svc := range []string{"DynamoDB", "SQS"} {
		t.Run(svc, func(t *testing.T) {
			const n = 200
			moto := mototest.Start(t)
			proxy := mototest.StartFaultProxy(t, moto)
			cfg := fleetConfig{seed: 41, rate: 0.3, dynamoDB: moto.Endpoint, sqs: moto.Endpoint}
			if svc == "DynamoDB" {
				cfg.dynamoDB = proxy.Endpoint
			} else {
				cfg.sqs = proxy.Endpoint
			}
			f := newFleet(t, moto, cfg)
			r := f.run(n, 20)
			// Three windows of 15 s, each on a wave of webhooks and the
			// queue deliveries that fall in it.
			w := &faulttest.Windows{Proxy: proxy, Length: 15 * time.Second,
				At:    []time.Time{epoch.Add(60 * time.Second), epoch.Add(150 * time.Second), epoch.Add(240 * time.Second)},
				Modes: []mototest.Mode{mototest.Throttle, mototest.ServerError, mototest.CloseConn}}
			r.Round, f.observe = w.Round, w.Record
			began := time.Now()
			ds := r.Go(t)
			w.Stop()
			o := f.verify(t, n)
			f.figures(t, r, ds, o, time.Since(began))
			t.Logf("%s through the proxy: %d requests; answers while it failed: %s", svc, proxy.Requests(), w.Answers())
			f.check.Report(t)
			if o.tickets != n || o.keys != n {
				t.Errorf("%d tickets under %d keys; want %d, each once", o.tickets, o.keys, n)
			}
			if proxy.Requests() == 0 {
				t.Errorf("nothing reached %s: the test tested nothing", svc)
			}
		})
	}
}
