package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/faulttest"
	"github.com/brazezendesk/bridge/shared/lambdaio"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/tracking"
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
	functionTime   = 12 * time.Second // the template's Timeout
	zendeskGivesUp = 12 * time.Second
)

var inCall = retry.Policy{Attempts: 3, Base: 5 * time.Millisecond, Max: 100 * time.Millisecond, Reserve: 50 * time.Millisecond}

const dedupeTable = "bridge-dedupe"

// fleet is the function's containers in process, built as main.go builds
// them but with test-tuned timings, sharing one dedupe table and one retry
// queue on moto, with Braze behind a seeded fault injector.
type fleet struct {
	clock    *faulttest.Clock
	moto     *mototest.Moto
	bz       *brazetest.Server
	faults   *faulttest.Injector // in front of Braze
	zdFaults *faulttest.Injector // in front of Zendesk
	url, dlq string
	pump     *faulttest.Pump
	fns      []faulttest.Function
	check    *faulttest.Checker
	observe  func(faulttest.Answer) // sees every answer, when set
	table    *dynamodb.Client       // on moto, for what DynamoDB does itself
}

type fleetConfig struct {
	seed     uint64
	rate     float64          // share of Braze calls that fail
	kinds    []faulttest.Kind // nil: all
	dynamoDB string           // the endpoint the containers reach the table at: moto, or a fault proxy
	sqs      string           // the same for the queue
	tickets  int              // Zendesk holds the tickets of deliveries 0..tickets-1 that read theirs
}

var epoch = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

const (
	faultClient       = "braze_bridge_reader"
	faultClientSecret = "fault-suite-client-secret"
)

func newFleet(t *testing.T, moto *mototest.Moto, cfg fleetConfig) *fleet {
	t.Helper()
	f := &fleet{clock: faulttest.NewClock(epoch), moto: moto, check: &faulttest.Checker{RetryAfter503: true, MaxRetryAfter: 59}}
	f.table = moto.CreateTable(t, dedupeTable)
	f.url, f.dlq = moto.CreateQueue(t, "zendesk-to-braze-retry", 10)
	f.bz = brazetest.New(apiKey)
	t.Cleanup(f.bz.Close)
	f.bz.AssumeProfilesExist() // every requester here is a Braze user
	zd := zendesktest.New(zdAgent, zdToken)
	t.Cleanup(zd.Close)
	// OAuth alone, as after 30 April 2027; tokens age on the clock, and
	// the token requests go through the injector like any other read.
	zd.Now = f.clock.Now
	zd.AddOAuthClient(faultClient, faultClientSecret)
	zd.DisableAPITokens(true)
	// A hundred requesters, each with the solved tickets of the deliveries
	// on their profile: the support state every delivery reads.
	var requesters [profiles]int64
	for k := range min(cfg.tickets, profiles) {
		requesters[k] = zd.AddUser(zendesktest.User{Name: fmt.Sprintf("User %d", k), Email: fmt.Sprintf("user-%d@example.com", k), ExternalID: fmt.Sprintf("user-%d", k)})
	}
	for n := range cfg.tickets {
		zd.AddTicket(map[string]any{"id": ticketOf(n), "subject": zendeskSubject(n), "comment": map[string]any{"body": "from Zendesk"},
			"requester_id": requesters[n%profiles], "status": "solved"})
	}
	f.zdFaults = faulttest.NewInjector(cfg.seed+1, cfg.rate)
	f.zdFaults.Kinds = cfg.kinds
	zdURL := f.zdFaults.Serve(t, zd.Config.Handler)
	f.faults = faulttest.NewInjector(cfg.seed, cfg.rate)
	f.faults.Kinds = cfg.kinds
	bzURL := f.faults.Serve(t, f.bz.Config.Handler)

	ddbCalls, sqsCalls := &faulttest.Serial{}, &faulttest.Serial{}
	f.pump = faulttest.NewPump(t, moto, f.url, f.clock, cfg.seed)
	f.pump.BatchSize, f.pump.Timeout, f.pump.Visibility = 750, functionTime, 90*time.Second // the template's
	log := faulttest.Log(t)
	for range 2 {
		// Each container has its own AWS clients, as durability.FromEnv
		// builds them, on the one table and the one queue.
		store := dedupe.NewDynamoDB(ddbCalls.DynamoDB(faulttest.DynamoDB(t, moto, cfg.dynamoDB)), dedupeTable)
		store.Now = f.clock.Now
		q := &queue.SQS{Client: sqsCalls.SQS(faulttest.SQS(t, moto, cfg.sqs)), URL: f.url}
		h := container(t, f.faults.Client(attemptTimeout), f.zdFaults.Client(attemptTimeout), bzURL, zdURL, store, f.pump.Sender(q), f.clock)
		h.Log, h.Misconfig = log, &webhook.Misconfig{Log: log, Now: f.clock.Now}
		f.fns = append(f.fns, lambdaio.Handler(h, h, f.pump, log))
	}
	f.pump.Functions = f.fns
	return f
}

// container is one warm container: its own HTTP clients (bzc for Braze, zdc
// for Zendesk), secret cache and identity cache.
func container(t *testing.T, bzc, zdc *http.Client, bzURL, zdURL string, store dedupe.Store, q queue.Sender, clock *faulttest.Clock) *tracking.Handler {
	t.Helper()
	base, err := braze.Endpoint(bzURL)
	if err != nil {
		t.Fatal(err)
	}
	bc := braze.New(base, bzc)
	bc.Retry = inCall
	zbase, err := url.Parse(zdURL)
	if err != nil {
		t.Fatal(err)
	}
	vals := secret()
	delete(vals, zendesk.KeyEmail)
	delete(vals, zendesk.KeyAPIToken)
	vals[zendesk.KeyOAuthClientID], vals[zendesk.KeyOAuthClientSecret] = faultClient, faultClientSecret
	cache := secrets.NewCache(faulttest.Secret(vals), secrets.DefaultTTL)
	cache.Now = clock.Now
	auth := zendesk.NewSecretAuth(cache, zbase, zdc, zendesk.ScopesReadTickets, nil)
	// Zendesk's shortest lifetime: the suite's hours of simulated time see
	// tokens expire and renewed many times over.
	auth.Lifetime, auth.Now = 5*time.Minute, clock.Now
	zc := zendesk.New(zbase, zdc, auth)
	zc.Retry = inCall
	svc := &tracking.Service{Braze: bc, Secrets: cache, Dedupe: store, Zendesk: zc, Queue: q, Now: clock.Now, SupportState: true}
	return &tracking.Handler{Service: svc, Now: clock.Now}
}

// readEvery: every fifth delivery's body is the README's recommended trigger
// body, without the subject, which is read from Zendesk's ticket (through
// its own fault injector); the others have everything Braze needs.
const readEvery = 5

// profiles is how many Braze profiles the deliveries are spread over.
const profiles = 100

// body is delivery n's trigger body: a ticket of its own on one of a
// hundred profiles.
func body(n int) []byte {
	if n%readEvery == 0 {
		return fmt.Appendf(nil, `{"ticket_id": "%d", "status": "Solved", "external_id": "user-%d"}`, ticketOf(n), n%profiles)
	}
	return fmt.Appendf(nil, `{"ticket_id": "%d", "status": "Solved", "external_id": "user-%d", "subject": "%s"}`, ticketOf(n), n%profiles, subject(n))
}

// subject is the subject delivery n's event must carry.
func subject(n int) string {
	if n%readEvery == 0 {
		return zendeskSubject(n)
	}
	return fmt.Sprintf("Delivery %d", n)
}

func zendeskSubject(n int) string { return fmt.Sprintf("Zendesk's subject of ticket %d", ticketOf(n)) }

func ticketOf(n int) int      { return 700_000 + n }
func invocation(n int) string { return fmt.Sprintf("inv-%06d", n) }

// send makes one attempt of d as Zendesk does: signed at the clock's time,
// under d's invocation id, given up after 12 seconds.
func (f *fleet) send(_ context.Context, d *faulttest.Delivery, c int) faulttest.Answer {
	b := body(d.N)
	ts := f.clock.Now().UTC().Format(time.RFC3339)
	raw := faulttest.Request("/zendesk/events", map[string]string{
		"content-type":                   "application/json",
		zendesk.InvocationIDHeader:       invocation(d.N),
		zendesk.SignatureTimestampHeader: ts,
		zendesk.SignatureHeader:          zendesk.Sign(hookSecret, ts, b),
	}, b)
	a := faulttest.Invoke(f.fns[c], functionTime, zendeskGivesUp, raw)
	f.check.Check(a)
	if f.observe != nil {
		f.observe(a)
	}
	return a
}

func (f *fleet) run(n, wave int) *faulttest.Run {
	return &faulttest.Run{Clock: f.clock, Deliveries: n, Wave: wave, WaveEvery: 30 * time.Second, Workers: 4,
		Containers: len(f.fns), Seed: 11, Retry: faulttest.ZendeskRetry{}, Send: f.send, Pump: f.pump}
}

// outcome is what reached Braze.
type outcome struct {
	events      int // events Braze stored
	distinct    int // distinct zendesk_invocation_id among them
	lost        int // deliveries with no event
	doubledLost int // events stored again, explained by a lost answer on /users/track
	doubledSlow int // events stored again, explained by an attempt that timed out after Braze stored them
	doubledElse int // events stored again for any other reason
	lostFaults  int // lost-answer faults on /users/track
	unanswered  int // calls to /users/track Braze served but whose attempt timed out first
}

// verify counts what reached Braze against deliveries 0..n-1. Braze has
// no idempotency key: an event whose /users/track answer was lost in flight
// may be stored twice, so each double must be explained by a lost-answer
// fault on a call carrying that event, and must carry the same
// zendesk_invocation_id as its twin (the same ticket), so that analytics
// can drop it.
func (f *fleet) verify(t *testing.T, n int) outcome {
	t.Helper()
	var o outcome
	count := map[string]int{}
	byTicket := map[float64]map[string]bool{}
	for _, ev := range f.bz.Events() {
		props, _ := ev["properties"].(map[string]any)
		inv, _ := props[tracking.InvocationProperty].(string)
		tid, _ := props["ticket_id"].(float64)
		if n := int(tid) - ticketOf(0); props["subject"] != subject(n) {
			t.Errorf("the event of %s has the subject %q, want %q", inv, props["subject"], subject(n))
		}
		count[inv]++
		if byTicket[tid] == nil {
			byTicket[tid] = map[string]bool{}
		}
		byTicket[tid][inv] = true
		o.events++
	}
	// The invocations each lost answer carried.
	carried := func(calls []faulttest.Call) map[string]int {
		m := map[string]int{}
		for _, c := range calls {
			if c.Path != brazetest.TrackPath {
				continue
			}
			var tr braze.Track
			json.Unmarshal(c.Body, &tr)
			for _, ev := range tr.Events {
				props, _ := ev["properties"].(map[string]any)
				inv, _ := props[tracking.InvocationProperty].(string)
				m[inv]++
			}
		}
		return m
	}
	lostCalls, slowCalls := f.faults.Struck(faulttest.Lost), f.faults.Unanswered()
	explained, timedOut := carried(lostCalls), carried(slowCalls)
	o.lostFaults, o.unanswered = len(lostCalls), len(slowCalls)
	want := map[string]bool{}
	var lost []string
	for i := range n {
		inv := invocation(i)
		want[inv] = true
		c := count[inv]
		if c == 0 {
			o.lost++
			lost = append(lost, inv)
		}
		if c > 1 {
			byLost := min(c-1, explained[inv])
			bySlow := min(c-1-byLost, timedOut[inv])
			o.doubledLost += byLost
			o.doubledSlow += bySlow
			o.doubledElse += c - 1 - byLost - bySlow
			if c-1 > byLost+bySlow {
				t.Errorf("%s reached Braze %d times, and only %d lost answers carried it", inv, c, explained[inv]+timedOut[inv])
			}
		}
	}
	for inv := range count {
		if want[inv] {
			o.distinct++
		} else {
			t.Errorf("Braze stored an event with zendesk_invocation_id %q, which no delivery has", inv)
		}
	}
	for tid, invs := range byTicket {
		if len(invs) > 1 {
			t.Errorf("the events of ticket %.0f carry different zendesk_invocation_ids %v: a double analytics cannot drop", tid, keys(invs))
		}
	}
	if len(lost) > 0 {
		t.Errorf("lost %d deliveries: %s", len(lost), strings.Join(lost[:min(len(lost), 10)], ", "))
	}
	f.verifyState(t, n)
	if q, d := f.moto.Count(t, f.url), f.moto.Count(t, f.dlq); q != 0 || d != 0 {
		t.Errorf("the retry queue holds %d messages and its dead-letter queue %d, want none", q, d)
	}
	return o
}

// figures logs a run's numbers.
func (f *fleet) figures(t *testing.T, r *faulttest.Run, ds []*faulttest.Delivery, o outcome, took time.Duration) {
	t.Helper()
	final, gaveUp := faulttest.Summary(ds)
	t.Logf("deliveries: %d (virtual time %s, %d rounds, real time %s)", len(ds), f.clock.Now().Sub(epoch), r.Rounds, took.Round(time.Millisecond))
	t.Logf("injected faults on Braze: %s", f.faults.FaultSummary())
	t.Logf("injected faults on Zendesk (reading the subject of every %dth ticket): %s", readEvery, f.zdFaults.FaultSummary())
	t.Logf("answers to Zendesk, every attempt: %s; last answers: %s; senders that gave up: %d", r.Answers.String(), final.String(), gaveUp)
	t.Logf("queued: %d messages sent; %d SQS events of %d records, %d records failed and redelivered, %d deleted",
		f.pump.Sent(), f.pump.Batches, f.pump.Records, f.pump.Failed, f.pump.Delivered)
	t.Logf("Braze: %d events created, %d distinct invocation ids; lost %d; doubled by a lost answer on /users/track %d (%d such faults), "+
		"by an attempt that timed out after Braze stored it %d (%d such calls); doubled otherwise %d",
		o.events, o.distinct, o.lost, o.doubledLost, o.lostFaults, o.doubledSlow, o.unanswered, o.doubledElse)
}

// verifyState checks the support state Braze got with the events: every
// profile of a delivery has it, and every attributes object (whichever
// attempt, retry or queue redelivery sent it) holds Zendesk's state: all
// of the profile's tickets solved, the last the one with the highest id
// (they share one updated_at).
func (f *fleet) verifyState(t *testing.T, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, a := range f.bz.Attributes() {
		ext, _ := a["external_id"].(string)
		var k int
		if _, err := fmt.Sscanf(ext, "user-%d", &k); err != nil || k < 0 || k >= min(n, profiles) {
			t.Errorf("attributes on a profile no delivery names: %v", a)
			continue
		}
		seen[ext]++
		last := k + (n-1-k)/profiles*profiles // the highest delivery on profile k
		want := map[string]any{"zendesk_open_tickets": float64(0), "zendesk_last_ticket_id": float64(ticketOf(last)),
			"zendesk_last_ticket_status": "solved", "zendesk_last_ticket_updated_at": epoch.Format(time.RFC3339)}
		for key, v := range want {
			if a[key] != v {
				t.Errorf("%s: %s = %v, want %v (Zendesk's)", ext, key, a[key], v)
			}
		}
	}
	for k := range min(n, profiles) {
		if ext := fmt.Sprintf("user-%d", k); seen[ext] == 0 {
			t.Errorf("%s got events but no support state", ext)
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestFaultSuite delivers 1,000 signed webhooks through two containers
// while a seeded 30 % of Braze's calls fail (429 short and long, 500, 503,
// slow past the attempt timeout, reset, answer lost after the work),
// Zendesk retrying as it does and the retry queue drained as Lambda would:
// every delivery reaches Braze, and the only doubles are those a lost
// answer explains, each carrying its twin's invocation id.
func TestFaultSuite(t *testing.T) {
	const n = 1000
	moto := mototest.Start(t)
	f := newFleet(t, moto, fleetConfig{seed: 20261125, rate: 0.30, dynamoDB: moto.Endpoint, sqs: moto.Endpoint, tickets: n})
	r := f.run(n, 50)
	// Waves every 3 minutes, and DynamoDB's TTL deleting what expired (a
	// signature's record, 6 minutes after it was signed): the table stays
	// the size it would be, and moto fast.
	r.WaveEvery = 3 * time.Minute
	swept := 0
	r.Round = func(now time.Time) { swept += faulttest.SweepTTL(t, f.table, dedupeTable, now) }
	began := time.Now()
	ds := r.Go(t)
	o := f.verify(t, n)
	f.figures(t, r, ds, o, time.Since(began))
	t.Logf("expired items TTL deleted from the table: %d", swept)
	f.check.Report(t)
	if o.distinct != n || o.lost != 0 || o.doubledElse != 0 {
		t.Errorf("want %d distinct events, none lost, none doubled but by a lost answer", n)
	}
	if got := f.faults.Faults(); len(got) < len(faulttest.Kinds) {
		t.Errorf("not every kind of fault struck: %v", got)
	}
}

// TestOutageBraze: Braze answers 503 to everything for 45 minutes, longer
// than Zendesk's retries; every webhook is answered 202 (queued), and once
// Braze is back the queue delivers each exactly once.
func TestOutageBraze(t *testing.T) {
	const n = 50
	moto := mototest.Start(t)
	f := newFleet(t, moto, fleetConfig{seed: 3, dynamoDB: moto.Endpoint, sqs: moto.Endpoint, tickets: n})
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
			if got := len(f.bz.Events()); got != 0 {
				t.Errorf("Braze stored %d events while it was down", got)
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
			t.Errorf("%s: the sender's last answer was %d %s, want 202 (queued)", invocation(d.N), a.Status, a.Body)
		}
	}
	if !recovered || o.distinct != n || o.events != n {
		t.Errorf("after the outage: %d events, %d distinct; want %d, each once", o.events, o.distinct, n)
	}
}

// TestFaultsStoreUnreachable puts a fault proxy in front of moto for the
// dedupe table (and then for the retry queue) and switches it to throttling,
// server errors and closed connections for a while, three times, while
// webhooks arrive and a share of Braze's calls fail (none losing an answer,
// so that no double is excused): every answer is clear (a 503 with
// Retry-After under a minute, 202, 409 or 200; never a 500, never SDK
// text), and once the proxy passes again the senders' retries and the queue
// deliver everything exactly once, nothing restarted.
func TestFaultsStoreUnreachable(t *testing.T) {
	for _, svc := range []string{"DynamoDB", "SQS"} {
		t.Run(svc, func(t *testing.T) {
			const n = 200
			moto := mototest.Start(t)
			proxy := mototest.StartFaultProxy(t, moto)
			cfg := fleetConfig{seed: 41, rate: 0.3, dynamoDB: moto.Endpoint, sqs: moto.Endpoint, tickets: n,
				kinds: []faulttest.Kind{faulttest.RateLimitShort, faulttest.RateLimitLong, faulttest.ServerError, faulttest.Unavailable, faulttest.Reset}}
			if svc == "DynamoDB" {
				cfg.dynamoDB = proxy.Endpoint
			} else {
				cfg.sqs = proxy.Endpoint
			}
			f := newFleet(t, moto, cfg)
			r := f.run(n, 20)
			// Three windows of 15 s, each on a wave of webhooks (and on
			// the Zendesk retries and queue deliveries that fall in it).
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
			if o.distinct != n || o.events != n {
				t.Errorf("%d events, %d distinct; want %d, each once", o.events, o.distinct, n)
			}
			if w.Struck() == 0 {
				t.Errorf("no answer was given while %s failed: the test tested nothing", svc)
			}
		})
	}
}
