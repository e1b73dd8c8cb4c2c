package tracking_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/pacing"
	"github.com/brazezendesk/bridge/shared/tracking"
	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

type runRecord struct {
	refreshed int
	lag       time.Duration
}

type runMetrics struct{ runs []runRecord }

func (m *runMetrics) Reconciled(n int, lag time.Duration) { m.runs = append(m.runs, runRecord{n, lag}) }

// reconciler is a run on the fixture's Zendesk and Braze, on clock, its
// pacers sleeping by moving clock on. slept sums their waits.
func reconciler(f *fixture, clock *clocktest.Clock, rpm int, slept *time.Duration) (*tracking.Reconciler, *dedupe.Memory, *runMetrics) {
	f.h.Service.Now = clock.Now
	sleep := func(_ context.Context, d time.Duration) error { *slept += d; clock.Add(d); return nil }
	cursors := dedupe.NewMemory()
	m := &runMetrics{}
	return &tracking.Reconciler{
		Service:     f.h.Service,
		Export:      f.h.Service.Zendesk.(*zendesk.Client),
		Cursors:     cursors,
		Pacer:       &pacing.Interval{PerMinute: rpm, Now: clock.Now, Sleep: sleep},
		ExportPacer: &pacing.Interval{PerMinute: 10, Now: clock.Now, Sleep: sleep},
		Backfill:    24 * time.Hour,
		Metrics:     m,
		Log:         f.h.Log,
	}, cursors, m
}

func TestReconcileHealsAPausedWebhook(t *testing.T) {
	f, clock := stateFixture(t)
	var slept time.Duration
	r, _, m := reconciler(f, clock, 200, &slept)
	type person struct {
		ext    string
		id     int64
		ticket int64
	}
	var people []person
	for i := range 5 {
		ext := fmt.Sprintf("user-%d", i)
		id := f.zd.AddUser(zendesktest.User{Name: ext, Email: ext + "@example.com", ExternalID: ext})
		tk := f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": id, "status": "open"})
		people = append(people, person{ext, id, tk})
		if resp, _ := f.send(t, ticketEvent(i, "created", tk, id, ``), fmt.Sprintf("inv-%d", i)); resp.Status != 200 {
			t.Fatalf("%d %s", resp.Status, resp.Body)
		}
	}
	// The first run catches up with the backfill window.
	clock.Add(2 * time.Minute)
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Zendesk pauses the failing webhook for 2 hours: three customers'
	// tickets are solved and one is rated, and no webhook says so.
	for i, p := range people[:3] {
		clock.Add(40 * time.Minute)
		f.zd.SetTicketStatus(p.ticket, "solved")
		if i == 1 {
			f.zd.RateTicket(p.ticket, "bad", "", "")
		}
	}
	clock.Add(2 * time.Minute) // past the minute Zendesk holds back
	for _, p := range people[:3] {
		if got := profile(f.bz, "external_id", p.ext); got["zendesk_open_tickets"] != float64(1) {
			t.Fatalf("%s's profile healed before the run: %v", p.ext, got)
		}
	}
	before := len(f.bz.Attributes())
	out, err := r.Scheduled(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	var run map[string]any
	json.Unmarshal(b, &run)
	if run["requesters_refreshed"] != float64(3) || run["tickets_seen"] != float64(3) {
		t.Errorf("run = %s, want 3 requesters refreshed of 3 tickets", b)
	}
	if at, err := time.Parse(time.RFC3339, fmt.Sprint(run["cursor_time"])); err != nil || clock.Now().Sub(at) > 2*time.Minute {
		t.Errorf("cursor_time = %v (%v); now is %v", run["cursor_time"], err, clock.Now())
	}
	for _, p := range people {
		if got, want := profile(f.bz, "external_id", p.ext), truth(t, f, p.id); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: attributes %v\nZendesk says %v", p.ext, got, want)
		}
	}
	if n := len(f.bz.Attributes()) - before; n != 3 {
		t.Errorf("%d profiles written, want only the 3 that changed", n)
	}
	if last := m.runs[len(m.runs)-1]; last.refreshed != 3 || last.lag > 2*time.Minute {
		t.Errorf("metrics = %+v", m.runs)
	}
	if !strings.Contains(f.logs.String(), `"msg":"reconciliation run"`) {
		t.Errorf("the run was not logged: %s", f.logs)
	}
}

func TestReconcileFirstRunIsBounded(t *testing.T) {
	f, clock := stateFixture(t)
	var slept time.Duration
	r, _, _ := reconciler(f, clock, 200, &slept)
	old := f.zd.AddUser(zendesktest.User{Name: "Old", Email: "old@example.com", ExternalID: "old"})
	f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": old})
	clock.Add(30 * time.Hour)
	recent := f.zd.AddUser(zendesktest.User{Name: "New", Email: "new@example.com", ExternalID: "new"})
	f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": recent})
	clock.Add(2 * time.Hour)
	run, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if run.RequestersRefreshed != 1 || run.TicketsSeen != 1 || len(profile(f.bz, "external_id", "old")) != 0 {
		t.Errorf("run = %+v: the 24-hour backfill window was not kept", run)
	}
	start := f.zd.RequestsTo(zendesktest.IncrementalTicketsPath)[0].Query().Get("start_time")
	if want := fmt.Sprint(clock.Now().Add(-24 * time.Hour).Unix()); start != want {
		t.Errorf("start_time = %s, want %s", start, want)
	}
}

func TestReconcileResumesFromItsCursorAndKeepsPace(t *testing.T) {
	f, clock := stateFixture(t)
	var slept time.Duration
	const rpm = 100
	r, cursors, _ := reconciler(f, clock, rpm, &slept)
	limited := 0
	f.zd.Observe = func(q zendesktest.Request, status int) {
		if q.Path == zendesktest.IncrementalTicketsPath && status == 429 {
			limited++
		}
	}
	// A backlog of 1,200 changed tickets: 300 requesters of 4 each, two
	// export pages (1,000 and 200).
	var users []int64
	for i := range 300 {
		ext := fmt.Sprintf("u-%03d", i)
		id := f.zd.AddUser(zendesktest.User{Name: ext, Email: ext + "@example.com", ExternalID: ext})
		users = append(users, id)
		for k := range 4 {
			f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": id, "status": []string{"open", "solved"}[k%2]})
		}
		clock.Add(time.Second)
	}
	clock.Add(2 * time.Minute)
	// Zendesk fails a requester of the second page for good in this run.
	fail := zendesktest.Reply{Status: 500}
	f.zd.Script(zendesktest.RequestedTicketsPath(users[260]), fail, fail, fail)

	first, err := r.Run(context.Background())
	if err == nil {
		t.Fatalf("the run did not fail: %+v", first)
	}
	// The first page's 250, and the 10 of the second read before the
	// failure, each sent and saved as done.
	if first.RequestersRefreshed != 260 || first.TicketsSeen != 1200 {
		t.Errorf("first run = %+v, want 260 refreshed", first)
	}
	saved, ok, _ := cursors.Cursor(context.Background(), tracking.CursorName)
	if !ok || saved.Value == "" || len(saved.Done) != 10 {
		t.Fatalf("cursor saved = %+v, want the second page's, with its 10 requesters done", saved)
	}
	second, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if second.RequestersRefreshed != 40 || second.TicketsSeen != 200 {
		t.Errorf("second run = %+v, want the second page's other 40", second)
	}
	writes := map[string]int{}
	for _, a := range f.bz.Attributes() {
		writes[fmt.Sprint(a["external_id"])]++
	}
	for i, id := range users {
		ext := fmt.Sprintf("u-%03d", i)
		if writes[ext] != 1 {
			t.Errorf("%s written %d times, want once", ext, writes[ext])
		}
		if i%50 == 0 {
			if got, want := profile(f.bz, "external_id", ext), truth(t, f, id); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %v, want %v", ext, got, want)
			}
		}
	}
	// Paced: the state reads (a user and a ticket list per requester, 300
	// of each, and the failed one's retries) spread at rpm a minute, and the
	// export's own limit was never met.
	reads := 0
	for _, q := range f.zd.Requests() {
		if q.Path != zendesktest.IncrementalTicketsPath {
			reads++
		}
	}
	counts := map[string]int{}
	for _, q := range f.zd.Requests() {
		counts[strings.SplitN(strings.TrimPrefix(q.Path, "/api/v2/"), "/", 2)[0]]++
	}
	t.Logf("requests: %v, slept %v", counts, slept)
	if float64(reads) > rpm*slept.Minutes()+10 {
		t.Errorf("%d reads in %v of waits: more than %d a minute", reads, slept, rpm)
	}
	if reads < 600 {
		t.Errorf("%d reads, want 600 at least", reads)
	}
	if limited > 0 {
		t.Errorf("the export was refused %d times for its rate limit", limited)
	}
}

// A page too large for one run's time is worked off over several runs,
// each going on from the requesters the last saved as done.
func TestReconcileWorksOffAPageOverRuns(t *testing.T) {
	f, clock := stateFixture(t)
	var slept time.Duration
	r, cursors, _ := reconciler(f, clock, 100, &slept)
	for i := range 120 {
		ext := fmt.Sprintf("w-%03d", i)
		id := f.zd.AddUser(zendesktest.User{Name: ext, Email: ext + "@example.com", ExternalID: ext})
		f.zd.AddTicket(map[string]any{"subject": "s", "requester_id": id, "status": "open"})
	}
	clock.Add(2 * time.Minute)
	// Each run may make 30 requests: a user and a ticket list for 15.
	limited := &countdown{left: 30}
	r.Pacer = limited
	total := 0
	for run := 0; run < 20 && total < 120; run++ {
		limited.left = 30
		out, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if out.RequestersRefreshed == 0 {
			t.Fatalf("run %d made no progress (%+v): a page larger than a run never ends", run, out)
		}
		total += out.RequestersRefreshed
	}
	writes := map[any]int{}
	for _, a := range f.bz.Attributes() {
		writes[a["external_id"]]++
	}
	if total != 120 || len(writes) != 120 {
		t.Fatalf("refreshed %d, profiles written %d; want 120", total, len(writes))
	}
	for ext, n := range writes {
		if n != 1 {
			t.Errorf("%v written %d times", ext, n)
		}
	}
	if c, _, _ := cursors.Cursor(context.Background(), tracking.CursorName); len(c.Done) != 0 {
		t.Errorf("the page is finished, and its done list kept: %v", c.Done)
	}
}

// countdown lets left calls through, then answers as a run out of time
// does: its context's error.
type countdown struct{ left int }

func (c *countdown) Wait(context.Context) error {
	if c.left <= 0 {
		return context.DeadlineExceeded
	}
	c.left--
	return nil
}
