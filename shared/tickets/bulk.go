package tickets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/retry"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// BulkZendesk is the part of the Zendesk API bulk filing uses.
type BulkZendesk interface {
	UsersByExternalIDs(ctx context.Context, externalIDs []string) ([]zendesk.User, error)
	CreateUsers(ctx context.Context, users []zendesk.User) (zendesk.JobStatus, error)
	CreateTickets(ctx context.Context, tickets []map[string]any) (zendesk.JobStatus, error)
	JobStatuses(ctx context.Context, ids []string) ([]zendesk.JobStatus, error)
}

// Bulk files queued tickets a hundred a call: requesters looked up a
// hundred at a time (users/show_many), the missing ones created a hundred
// at a time, the tickets filed with tickets/create_many, each job followed
// to its end. Exactly once holds as in direct mode: each ticket carries its
// idempotency key as its external_id, and is recorded as submitted (batch,
// place) before its job is sent and with the job's id before the job is
// awaited; a ticket whose job's answer or status was lost is resolved by
// looking tickets up, never by sending them again blindly.
type Bulk struct {
	Service     *Service // single calls, the tickets filed, the requesters remembered
	Zendesk     BulkZendesk
	Submissions dedupe.Submissions
	Log         *slog.Logger
	// Sleep waits between reads of job statuses; nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Poll is the wait between reads of job statuses; 0: DefaultPoll.
	Poll time.Duration
	// Grace is how long a job whose answer was lost may still run before
	// its tickets are looked up; 0: DefaultGrace.
	Grace time.Duration
	// MaxWait bounds the awaiting of jobs in one File; 0: until three
	// seconds before ctx's deadline, or five minutes without one.
	MaxWait time.Duration
}

// Defaults of Bulk's timings.
const (
	DefaultPoll  = 5 * time.Second
	DefaultGrace = 10 * time.Minute
)

// Item is one queued ticket.
type Item struct {
	Key     string
	Request *Request
}

// Disposition is what became of an Item.
type Disposition int

const (
	// Later: not done yet; the item stays on the queue, to come back after
	// BulkResult.After.
	Later Disposition = iota
	// Done: filed, now or before.
	Done
	// Refused: Zendesk refused this ticket for good; the item leaves the
	// queue, as a 4xx does in direct mode.
	Refused
)

// BulkResult is what became of one Item.
type BulkResult struct {
	Disposition Disposition
	TicketID    int64 // 0 when filed but its id is not known (found as filed)
	After       time.Duration
	Err         error
}

// bulkRun is one File: the items, their results, and the jobs awaited.
type bulkRun struct {
	b        *Bulk
	items    []Item
	results  []BulkResult
	subs     map[int]dedupe.Submission
	until    time.Time    // when to stop awaiting jobs
	remember []remembered // requesters found, to remember
}

// File files items and says what became of each, in order.
func (b *Bulk) File(ctx context.Context, items []Item) []BulkResult {
	run := &bulkRun{b: b, items: items, results: make([]BulkResult, len(items)), subs: map[int]dedupe.Submission{}}
	for i := range run.results {
		run.results[i] = BulkResult{Disposition: Later, After: b.poll()}
	}
	run.until = b.now().Add(b.maxWait(ctx))
	var fresh, submitted []int
	type look struct {
		st  knownState
		id  int64
		sub dedupe.Submission
		err error
	}
	looks := make([]look, len(items))
	parallel(len(items), func(i int) {
		l := &looks[i]
		l.st, l.id, l.sub, l.err = run.known(ctx, items[i])
	})
	for i, l := range looks {
		switch {
		case l.err != nil:
			run.later(i, 0, l.err)
		case l.st == knownDone:
			run.results[i] = BulkResult{Disposition: Done, TicketID: l.id}
		case l.st == knownSubmitted:
			run.subs[i] = l.sub
			submitted = append(submitted, i)
		default:
			fresh = append(fresh, i)
		}
	}
	fresh = append(fresh, run.resolve(ctx, submitted)...)
	run.submit(ctx, fresh)
	return run.results
}

type knownState int

const (
	knownNothing knownState = iota
	knownDone
	knownSubmitted
)

// known says whether it was filed (and as which ticket) or submitted
// before. It touches no shared state, so items are asked about at once.
func (run *bulkRun) known(ctx context.Context, it Item) (knownState, int64, dedupe.Submission, error) {
	s := run.b.Service
	if s.Filed != nil {
		id, ok, err := s.Filed.FiledTicket(ctx, it.Key)
		if err != nil {
			return 0, 0, dedupe.Submission{}, &storeError{err}
		}
		if ok {
			return knownDone, id, dedupe.Submission{}, nil
		}
	}
	sub, ok, err := run.b.Submissions.Submitted(ctx, it.Key)
	if err != nil {
		return 0, 0, dedupe.Submission{}, &storeError{err}
	}
	if ok {
		return knownSubmitted, 0, sub, nil
	}
	return knownNothing, 0, dedupe.Submission{}, nil
}

// parallel runs f(0) … f(n-1), a few at a time: the table's reads and
// writes for a batch of hundreds would not fit in an invocation one by one.
func parallel(n int, f func(i int)) {
	const width = 16
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(width, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// resolve settles items submitted before: by their job's status while
// Zendesk keeps it, else (after Grace) by looking their tickets up. It
// returns the items that turned out never filed, to be sent again.
func (run *bulkRun) resolve(ctx context.Context, submitted []int) (again []int) {
	if len(submitted) == 0 {
		return nil
	}
	byJob := map[string][]int{}
	var lookups []int
	for _, i := range submitted {
		if job := run.subs[i].Job; job != "" {
			byJob[job] = append(byJob[job], i)
		} else {
			lookups = append(lookups, i)
		}
	}
	gone, failed := run.await(ctx, byJob, true)
	for _, i := range failed {
		again = append(again, i)
	}
	lookups = append(lookups, gone...)
	return append(again, run.lookUp(ctx, lookups)...)
}

// lookUp settles submitted items whose job is not known (its answer was
// lost) or no longer known (its status expired): once Grace has passed
// since their batch was sent, the job has run if it ever will, and their
// tickets are looked up by external id. The tickets of one batch here are
// looked up by their first and last (in the batch's order; a job works its
// items in order): both filed, the job ran them all; neither, it never ran
// and they are sent again; one, each ticket is looked up. (A job that ran
// and refused both probed while filing others between is the one case this
// reads wrong: Zendesk refuses a ticket for its fields, and the tickets of
// one send are rendered from one template.)
func (run *bulkRun) lookUp(ctx context.Context, items []int) (again []int) {
	byBatch := map[string][]int{}
	for _, i := range items {
		sub := run.subs[i]
		if age := run.b.now().Sub(sub.At); age < run.b.grace() {
			run.later(i, run.b.grace()-age, nil)
			continue
		}
		byBatch[sub.Batch] = append(byBatch[sub.Batch], i)
	}
	for _, group := range byBatch {
		each := group
		absent := map[int]bool{} // probed and not filed
		if len(group) > 3 {
			byPlace := slices.Clone(group)
			slices.SortFunc(byPlace, func(a, b int) int { return run.subs[a].Index - run.subs[b].Index })
			probe := []int{byPlace[0], byPlace[len(byPlace)-1]}
			filed, err := 0, error(nil)
			for _, i := range probe {
				var id int64
				if id, err = run.find(ctx, i); err != nil {
					break
				}
				if id != 0 {
					filed++
				} else {
					absent[i] = true
				}
			}
			switch {
			case err != nil:
				for _, i := range group {
					run.later(i, 0, err)
				}
				continue
			case filed == len(probe):
				// First and last filed: it ran them all (one it refused is
				// not sent again either: a refusal leaves the queue anyway).
				for _, i := range group {
					if run.results[i].Disposition != Done {
						run.done(ctx, i, 0)
					}
				}
				continue
			case filed == 0:
				for _, i := range group {
					run.forget(ctx, i)
				}
				again = append(again, group...)
				continue
			}
		}
		for _, i := range each {
			if run.results[i].Disposition == Done {
				continue
			}
			var id int64
			var err error
			if !absent[i] {
				id, err = run.find(ctx, i)
			}
			switch {
			case err != nil:
				run.later(i, 0, err)
			case id == 0:
				run.forget(ctx, i)
				again = append(again, i)
			}
		}
	}
	return again
}

// find looks item i's ticket up by its external id, and records it as
// filed when found.
func (run *bulkRun) find(ctx context.Context, i int) (int64, error) {
	it := run.items[i]
	id, err := run.b.Service.Zendesk.FindTicketByExternalID(ctx, externalIDOf(it))
	if err == nil && id != 0 {
		run.done(ctx, i, id)
	}
	return id, err
}

// externalIDOf is the external id item's ticket is filed with.
func externalIDOf(it Item) string {
	if v, ok := it.Request.Ticket["external_id"].(string); ok && v != "" {
		return v
	}
	return it.Key
}

// submit files fresh items: requesters, then the tickets a hundred a job,
// each job awaited.
func (run *bulkRun) submit(ctx context.Context, fresh []int) {
	if len(fresh) == 0 {
		return
	}
	who := run.requesters(ctx, fresh)
	var ready []int
	for _, i := range fresh {
		if _, ok := who[i]; ok {
			ready = append(ready, i)
		}
	}
	byJob := map[string][]int{}
	for start := 0; start < len(ready); start += zendesk.BulkLimit {
		chunk := ready[start:min(start+zendesk.BulkLimit, len(ready))]
		if job := run.send(ctx, chunk, who); job != "" {
			byJob[job] = chunk
		}
	}
	gone, failed := run.await(ctx, byJob, false)
	// A job that died before these: never filed; the queue brings them back.
	for _, i := range failed {
		run.later(i, 0, nil)
	}
	// A job whose status could not be read: resolved by lookups later.
	for _, i := range gone {
		run.later(i, run.b.grace(), nil)
	}
}

// send records chunk as submitted, sends it as one job, and records the
// job's id; it returns the id, or "" when the job was not started.
func (run *bulkRun) send(ctx context.Context, chunk []int, who map[int]resolved) string {
	b := run.b
	batch := newBatchID()
	at := b.now()
	tickets := make([]map[string]any, len(chunk))
	for n, i := range chunk {
		it := run.items[i]
		t := maps.Clone(it.Request.Ticket)
		if _, set := t["external_id"]; !set {
			t["external_id"] = it.Key
		}
		t["requester_id"] = who[i].id
		if who[i].conflict {
			t["tags"] = append(tags(t["tags"]), ConflictTag)
		}
		tickets[n] = t
		run.subs[i] = dedupe.Submission{Batch: batch, Index: n, Size: len(chunk), At: at}
	}
	errs := make([]error, len(chunk))
	parallel(len(chunk), func(n int) {
		errs[n] = b.Submissions.RecordSubmitted(ctx, run.items[chunk[n]].Key, run.subs[chunk[n]])
	})
	if err := errors.Join(errs...); err != nil {
		// Not sent: nothing to resolve, the queue brings them back.
		parallel(len(chunk), func(n int) { run.forget(ctx, chunk[n]) })
		for _, j := range chunk {
			run.later(j, 0, &storeError{err})
		}
		return ""
	}
	job, err := b.Zendesk.CreateTickets(ctx, tickets)
	if err != nil {
		var ze *zendesk.Error
		switch {
		case errors.As(err, &ze) && (ze.Status == 429 || ze.Status == 503):
			// Answered, and nothing done: the batch may go again at once.
			for _, i := range chunk {
				run.forget(ctx, i)
				run.later(i, ze.RetryAfter, err)
			}
		case errors.As(err, &ze) && ze.Status >= 400 && ze.Status < 500:
			// The whole request refused: each ticket is filed alone, so
			// that one refused is refused alone.
			for _, i := range chunk {
				run.forget(ctx, i)
			}
			for _, i := range chunk {
				run.alone(ctx, i)
			}
		default:
			// No answer: the job may run all the same. Resolved after Grace.
			for _, i := range chunk {
				run.later(i, b.grace(), err)
			}
		}
		return ""
	}
	for _, i := range chunk {
		sub := run.subs[i]
		sub.Job = job.ID
		run.subs[i] = sub
	}
	parallel(len(chunk), func(n int) {
		i := chunk[n]
		if err := b.Submissions.RecordSubmitted(ctx, run.items[i].Key, run.subs[i]); err != nil && b.Log != nil {
			// The first record stands: a lost job id is resolved by lookups.
			b.Log.WarnContext(ctx, "a bulk job's id could not be recorded", "error", err.Error())
		}
	})
	return job.ID
}

// alone files item i in direct mode, under its idempotency key.
func (run *bulkRun) alone(ctx context.Context, i int) {
	it := run.items[i]
	c, err := run.b.Service.Create(ctx, it.Request, it.Key)
	switch {
	case err == nil:
		run.done(ctx, i, c.ID)
	default:
		if again, wait := retryable(err); again || rejected(err) {
			run.later(i, wait, err)
		} else {
			run.results[i] = BulkResult{Disposition: Refused, Err: err}
		}
	}
}

// await follows jobs (id → items, in job order) until each ended or time
// is up. It returns the items of jobs Zendesk no longer knows (gone, when
// gone is asked for; else they count as failed) and those a job ended
// without doing (failed: killed before them).
func (run *bulkRun) await(ctx context.Context, byJob map[string][]int, known bool) (gone, failed []int) {
	first := known // jobs from an earlier delivery may have ended already
	for len(byJob) > 0 {
		if !first {
			if !run.b.now().Add(run.b.poll()).Before(run.until) || run.b.sleep(ctx, run.b.poll()) != nil {
				break
			}
		}
		first = false
		ids := make([]string, 0, len(byJob))
		for id := range byJob {
			ids = append(ids, id)
		}
		statuses := map[string]zendesk.JobStatus{}
		var err error
		for start := 0; start < len(ids) && err == nil; start += zendesk.BulkLimit {
			var sts []zendesk.JobStatus
			sts, err = run.b.Zendesk.JobStatuses(ctx, ids[start:min(start+zendesk.BulkLimit, len(ids))])
			for _, st := range sts {
				statuses[st.ID] = st
			}
		}
		if err != nil {
			continue // a passing fault: read again after the next wait
		}
		for id, items := range byJob {
			st, ok := statuses[id]
			switch {
			case !ok:
				gone = append(gone, items...)
			case !st.Ended():
				continue
			default:
				failed = append(failed, run.settle(ctx, items, st)...)
			}
			delete(byJob, id)
		}
	}
	for _, items := range byJob {
		for _, i := range items {
			run.later(i, run.b.poll(), nil)
		}
	}
	return gone, failed
}

// settle records what an ended job did with items: filed, refused alone,
// or not reached (returned).
func (run *bulkRun) settle(ctx context.Context, items []int, st zendesk.JobStatus) (notDone []int) {
	byIndex := map[int]zendesk.JobResult{}
	for _, r := range st.Results {
		byIndex[r.Index] = r
	}
	for _, i := range items {
		r, ok := byIndex[run.subs[i].Index]
		switch {
		case !ok:
			run.forget(ctx, i)
			notDone = append(notDone, i)
		case r.OK():
			run.done(ctx, i, r.ID)
		default:
			err := &zendesk.Error{Op: "create ticket", Status: 422, Code: r.Error, Details: r.Details}
			if requesterRefused(err) && run.b.Service.Requesters != nil {
				// A remembered requester Zendesk no longer has: looked up
				// again when the queue brings the ticket back, as in
				// direct mode.
				run.b.Service.forgetRequester(ctx, run.items[i].Request)
				run.forget(ctx, i)
				run.later(i, 0, err)
				continue
			}
			if run.b.Log != nil {
				run.b.Log.WarnContext(ctx, "Zendesk refused a ticket of a bulk job; dropped", "error", err.Error())
			}
			run.results[i] = BulkResult{Disposition: Refused, Err: err}
		}
	}
	return notDone
}

func (run *bulkRun) done(ctx context.Context, i int, id int64) {
	run.results[i] = BulkResult{Disposition: Done, TicketID: id}
	run.b.Service.remember(ctx, run.items[i].Key, id)
}

func (run *bulkRun) later(i int, after time.Duration, err error) {
	if after <= 0 {
		after = run.b.poll()
	}
	run.results[i] = BulkResult{Disposition: Later, After: after, Err: err}
}

func (run *bulkRun) forget(ctx context.Context, i int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	run.b.Submissions.ForgetSubmitted(ctx, run.items[i].Key)
}

func newBatchID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (b *Bulk) now() time.Time { return b.Service.now() }

func (b *Bulk) poll() time.Duration {
	if b.Poll > 0 {
		return b.Poll
	}
	return DefaultPoll
}

func (b *Bulk) grace() time.Duration {
	if b.Grace > 0 {
		return b.Grace
	}
	return DefaultGrace
}

func (b *Bulk) maxWait(ctx context.Context) time.Duration {
	if b.MaxWait > 0 {
		return b.MaxWait
	}
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d) - 3*time.Second
	}
	return 5 * time.Minute
}

func (b *Bulk) sleep(ctx context.Context, d time.Duration) error {
	if b.Sleep != nil {
		return b.Sleep(ctx, d)
	}
	return retry.Sleep(ctx, d)
}

// lowerID is the form external ids are compared in: Zendesk ignores case.
func lowerID(s string) string { return strings.ToLower(s) }
