package tickets_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// bulkRig is a bulk filer on the stand-in, with the stores all its
// containers share and one simulated clock.
type bulkRig struct {
	zd    *zendesktest.Server
	store *dedupe.Memory
	clk   *clocktest.Clock // read by the stand-in's goroutines too
}

func newBulkRig(t testing.TB) *bulkRig {
	zd := zendesktest.New(agentEmail, apiToken)
	t.Cleanup(zd.Close)
	r := &bulkRig{zd: zd, store: dedupe.NewMemory(), clk: clocktest.New()}
	zd.Now = r.clock
	r.store.Now = r.clock
	return r
}

func (r *bulkRig) clock() time.Time { return r.clk.Now() }

// set moves the clock to t (never back).
func (r *bulkRig) set(t time.Time) {
	if d := t.Sub(r.clk.Now()); d > 0 {
		r.clk.Add(d)
	}
}

// container is one container's filer: its own client, the shared stores.
func (r *bulkRig) container(hc func() *zendesk.Client) *tickets.Bulk {
	var c *zendesk.Client
	if hc != nil {
		c = hc()
	} else {
		base, _ := url.Parse(r.zd.URL)
		c = zendesk.New(base, r.zd.Client(), zendesk.APIToken{Email: agentEmail, Token: apiToken})
	}
	// Reads are retried at once (the clock is simulated: a real wait would
	// only slow the test); a bulk write is sent once in any case.
	c.Retry = retry.Policy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond}
	svc := &tickets.Service{Zendesk: c, Filed: r.store, Requesters: r.store, Now: r.clock}
	return &tickets.Bulk{Service: svc, Zendesk: c, Submissions: r.store, MaxWait: time.Minute,
		Sleep: func(_ context.Context, d time.Duration) error { r.clk.Add(d); return nil }}
}

// items are n tickets of a send, each for requester prefix-i.
func items(t testing.TB, prefix string, n int) []tickets.Item {
	out := make([]tickets.Item, n)
	for i := range out {
		body := ticketFor(fmt.Sprint(prefix, i), fmt.Sprintf("%s%d@example.com", prefix, i))
		req, err := tickets.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = tickets.Item{Key: tickets.IdempotencyKey("dispatch-1", []byte(body), req.Identity()), Request: req}
	}
	return out
}

// drain files items until none is Later, moving the clock by each wait
// as the queue would, and returns the rounds it took.
func drain(t testing.TB, r *bulkRig, filers []*tickets.Bulk, its []tickets.Item) int {
	pending := its
	for round := 0; len(pending) > 0; round++ {
		if round > 50 {
			t.Fatalf("%d tickets still pending after 50 rounds", len(pending))
		}
		res := filers[round%len(filers)].File(context.Background(), pending)
		var next []tickets.Item
		wait := time.Duration(0)
		for i, x := range res {
			if x.Disposition == tickets.Later {
				next = append(next, pending[i])
				wait = max(wait, x.After)
			}
		}
		r.clk.Add(wait)
		pending = next
	}
	return 0
}

// exactlyOnce fails unless each item's key is the external id of exactly
// one ticket, and no other ticket exists.
func exactlyOnce(t testing.TB, r *bulkRig, its []tickets.Item) {
	t.Helper()
	count := map[string]int{}
	for _, tk := range r.zd.Tickets() {
		ext, _ := tk["external_id"].(string)
		count[ext]++
	}
	for _, it := range its {
		if count[it.Key] != 1 {
			t.Fatalf("ticket %s filed %d times", it.Key, count[it.Key])
		}
	}
	if n := len(r.zd.Tickets()); n != len(its) {
		t.Fatalf("%d tickets, want %d", n, len(its))
	}
}

func TestBulkFilesAHundredACall(t *testing.T) {
	r := newBulkRig(t)
	its := items(t, "u", 250)
	res := r.container(nil).File(context.Background(), its)
	for i, x := range res {
		if x.Disposition != tickets.Done || x.TicketID == 0 {
			t.Fatalf("item %d: %+v", i, x)
		}
	}
	exactlyOnce(t, r, its)
	// 3 user jobs and one read of their statuses, 3 ticket jobs and one
	// read: nothing to look up for people new to Zendesk.
	if n := len(r.zd.Requests()); n != 8 {
		t.Errorf("%d Zendesk calls for 250 tickets of new requesters, want 8", n)
	}
	// A second send to the same people: the requesters are remembered.
	before := len(r.zd.Requests())
	again := items(t, "u", 250)
	for i := range again {
		again[i].Key += "-2"
	}
	r.container(nil).File(context.Background(), again)
	if n := len(r.zd.Requests()) - before; n != 4 {
		t.Errorf("%d Zendesk calls for 250 tickets of known requesters, want 4", n)
	}
	for _, u := range r.zd.Users() {
		if u.ExternalID == "" || u.Email == "" {
			t.Errorf("user made without its identity: %+v", u)
		}
	}
}

// A redelivered queue batch files nothing twice: the tickets are known.
func TestBulkRedeliveredBatch(t *testing.T) {
	r := newBulkRig(t)
	its := items(t, "u", 30)
	r.container(nil).File(context.Background(), its)
	before := len(r.zd.Requests())
	for _, x := range r.container(nil).File(context.Background(), its) {
		if x.Disposition != tickets.Done {
			t.Fatalf("redelivered: %+v", x)
		}
	}
	if len(r.zd.Requests()) != before {
		t.Error("a redelivered batch called Zendesk")
	}
	exactlyOnce(t, r, its)
}

// A ticket Zendesk refuses inside a job is refused alone.
func TestBulkRefusedAlone(t *testing.T) {
	r := newBulkRig(t)
	its := items(t, "u", 5)
	its[2].Request.Ticket["priority"] = "extreme"
	res := r.container(nil).File(context.Background(), its)
	for i, x := range res {
		want := tickets.Done
		if i == 2 {
			want = tickets.Refused
		}
		if x.Disposition != want {
			t.Errorf("item %d: %+v, want %v", i, x, want)
		}
	}
	if len(r.zd.Tickets()) != 4 {
		t.Errorf("%d tickets, want 4", len(r.zd.Tickets()))
	}
}

func TestBulkFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(r *bulkRig)
	}{
		{"create_many's answer lost", func(r *bulkRig) {
			r.zd.Script(zendesktest.CreateManyTicketsPath, zendesktest.Reply{Lost: true})
		}},
		{"create_many refused with 503", func(r *bulkRig) {
			r.zd.Script(zendesktest.CreateManyTicketsPath, zendesktest.Reply{Status: 503, Body: `{"error": "unavailable"}`})
		}},
		{"job status reads fail", func(r *bulkRig) {
			for range 3 {
				r.zd.Script(zendesktest.JobStatusesPath, zendesktest.Reply{Status: 500})
			}
		}},
		{"the job killed part way", func(r *bulkRig) { r.zd.KillNextJob(0); r.zd.KillNextJob(40) }},
		{"user creation's answer lost", func(r *bulkRig) {
			r.zd.Script(zendesktest.CreateManyUsersPath, zendesktest.Reply{Lost: true})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newBulkRig(t)
			its := items(t, "u", 100)
			tc.fault(r)
			drain(t, r, []*tickets.Bulk{r.container(nil)}, its)
			exactlyOnce(t, r, its)
			if n := len(r.zd.Users()); n != 100 {
				t.Errorf("%d users, want 100", n)
			}
		})
	}
}

// A job whose status expired before a container came back to it is
// resolved by looking its tickets up: three calls, not a hundred.
func TestBulkExpiredJobStatus(t *testing.T) {
	r := newBulkRig(t)
	its := items(t, "u", 100)
	first := r.container(nil)
	first.MaxWait = 8 * time.Second // users made, then this container's time runs out before the job ends
	res := first.File(context.Background(), its)
	if res[0].Disposition != tickets.Later {
		t.Fatalf("%+v", res[0])
	}
	r.clk.Add(zendesktest.JobRetention)
	before := len(r.zd.Requests())
	second := r.container(nil)
	for _, x := range second.File(context.Background(), its) {
		if x.Disposition != tickets.Done {
			t.Fatalf("%+v", x)
		}
	}
	exactlyOnce(t, r, its)
	// The statuses read (none), then the first and last looked up.
	if n := len(r.zd.Requests()) - before; n != 3 {
		t.Errorf("%d calls to resolve an expired job, want 3", n)
	}
}

// A job killed part way whose status expired: the first is found, the
// last not, so each is looked up and the rest sent again, once.
func TestBulkExpiredKilledJob(t *testing.T) {
	r := newBulkRig(t)
	its := items(t, "u", 100)
	first := r.container(nil)
	first.MaxWait = 8 * time.Second
	r.zd.KillNextJob(100) // the users' job, whole
	r.zd.KillNextJob(40)  // the tickets' job, part way
	first.File(context.Background(), its)
	r.clk.Add(zendesktest.JobRetention)
	drain(t, r, []*tickets.Bulk{r.container(nil)}, its)
	exactlyOnce(t, r, its)
	if n := len(r.zd.RequestsTo(zendesktest.TicketsPath)); n != 100 {
		t.Errorf("%d lookups, want 100 (two probes, then the 98 others)", n)
	}
}

// Two containers take turns with the same records, as the queue hands a
// record whose visibility ran out to another: each ticket once.
func TestBulkTwoContainers(t *testing.T) {
	r := newBulkRig(t)
	its := items(t, "u", 150)
	a, b := r.container(nil), r.container(nil)
	a.MaxWait, b.MaxWait = 8*time.Second, 8*time.Second
	r.zd.Script(zendesktest.CreateManyTicketsPath, zendesktest.Reply{Lost: true})
	drain(t, r, []*tickets.Bulk{a, b}, its)
	exactlyOnce(t, r, its)
}

// Bulk mode tells external ids that differ only in case apart, as direct
// mode does, whether Zendesk holds one already or both arrive in one
// batch: each ticket goes to a user of its own, never to the other's.
func TestBulkExternalIDsDifferingInCase(t *testing.T) {
	r := newBulkRig(t)
	held := r.zd.AddUser(zendesktest.User{Name: "Held", Email: "held@example.com", ExternalID: "Held-1"})
	var its []tickets.Item
	for _, p := range [][2]string{{"Held-1", "held@example.com"}, {"held-1", "other@example.com"}, {"New-2", "a2@example.com"}, {"new-2", "b2@example.com"}} {
		body := ticketFor(p[0], p[1])
		req, err := tickets.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		its = append(its, tickets.Item{Key: tickets.IdempotencyKey("dispatch-1", []byte(body), req.Identity()), Request: req})
	}
	drain(t, r, []*tickets.Bulk{r.container(nil)}, its)
	exactlyOnce(t, r, its)
	requester := map[string]int64{}
	for _, tk := range r.zd.Tickets() {
		for _, it := range its {
			if tk["external_id"] == it.Key {
				requester[it.Request.ExternalID] = int64(tk["requester_id"].(float64))
			}
		}
	}
	if requester["Held-1"] != held || requester["held-1"] == held {
		t.Errorf("requesters %v: Held-1 must go to %d, held-1 elsewhere", requester, held)
	}
	if requester["New-2"] == requester["new-2"] {
		t.Errorf("New-2 and new-2 share Zendesk user %d", requester["New-2"])
	}
	for _, u := range r.zd.Users() {
		if u.ExternalID != "" && u.ExternalID != "Held-1" && u.ExternalID != "New-2" && u.ExternalID != "new-2" {
			t.Errorf("unexpected user %+v", u)
		}
	}
}
