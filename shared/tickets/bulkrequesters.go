package tickets

import (
	"context"
	"strings"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// resolved is an item's requester.
type resolved struct {
	id       int64
	conflict bool
}

// requesters resolves the requesters of items, under the identity rules
// of direct mode: remembered ones first; then the users are created a
// hundred a job, which Zendesk refuses for an external id someone holds;
// the holders of the refused ones are read a hundred a call
// (users/show_many); anything unusual (an email taken, an email-only
// requester, an external id holding a comma) is resolved in direct mode,
// one by one. Creating first costs a send to new people nothing to look
// up, and a send to people Zendesk knows one call more a hundred than
// looking up first. An item without an answer is left Later.
func (run *bulkRun) requesters(ctx context.Context, items []int) map[int]resolved {
	s := run.b.Service
	out := map[int]resolved{}
	// What the table remembers, read for all at once.
	type memo struct {
		rem dedupe.Requester
		ok  bool
	}
	memos := make([]memo, len(items))
	if s.Requesters != nil {
		parallel(len(items), func(n int) {
			rem, ok, err := s.Requesters.RememberedRequester(ctx, requesterKey(run.items[items[n]].Request))
			memos[n] = memo{rem, err == nil && ok && s.now().Sub(rem.Checked) < VerifyAfter}
		})
	}
	byExt := map[string][]int{} // lower-case external id → items
	for n, i := range items {
		r := run.items[i].Request
		if r.ExternalID == "" || strings.Contains(r.ExternalID, ",") {
			run.direct(ctx, i, out)
			continue
		}
		if memos[n].ok {
			out[i] = resolved{memos[n].rem.UserID, memos[n].rem.Conflict}
			continue
		}
		if same := byExt[lowerID(r.ExternalID)]; len(same) > 0 && run.items[same[0]].Request.ExternalID != r.ExternalID {
			// Another case of an id in this batch: one value to Zendesk,
			// another Braze user, resolved one by one.
			run.direct(ctx, i, out)
			continue
		}
		byExt[lowerID(r.ExternalID)] = append(byExt[lowerID(r.ExternalID)], i)
	}
	refused := run.createUsers(ctx, byExt, out)
	for _, items := range run.showMany(ctx, refused, out) {
		for _, i := range items {
			run.direct(ctx, i, out) // not held by anyone: an email taken, say
		}
	}
	// Remember what was found, all at once.
	if s.Requesters != nil {
		parallel(len(run.remember), func(n int) {
			x := run.remember[n]
			s.rememberRequester(ctx, requesterKey(run.items[x.item].Request), x.rem)
		})
		run.remember = nil
	}
	return out
}

// direct resolves item i as direct mode does.
func (run *bulkRun) direct(ctx context.Context, i int, out map[int]resolved) {
	id, conflict, _, err := run.b.Service.requester(ctx, run.items[i].Request, false)
	if err != nil {
		run.failRequester(i, err)
		return
	}
	out[i] = resolved{id, conflict}
}

// failRequester leaves item i on the queue, or refuses it for good.
func (run *bulkRun) failRequester(i int, err error) {
	if again, wait := retryable(err); again || rejected(err) {
		run.later(i, wait, err)
		return
	}
	run.results[i] = BulkResult{Disposition: Refused, Err: err}
}

// showMany finds the users holding the external ids of byExt, a hundred
// a call, and returns the external ids no user holds.
func (run *bulkRun) showMany(ctx context.Context, byExt map[string][]int, out map[int]resolved) map[string][]int {
	ids := make([]string, 0, len(byExt))
	for id := range byExt {
		ids = append(ids, run.items[byExt[id][0]].Request.ExternalID)
	}
	missing := map[string][]int{}
	for start := 0; start < len(ids); start += zendesk.BulkLimit {
		chunk := ids[start:min(start+zendesk.BulkLimit, len(ids))]
		users, err := run.b.Zendesk.UsersByExternalIDs(ctx, chunk)
		if err != nil {
			for _, id := range chunk {
				for _, i := range byExt[lowerID(id)] {
					run.later(i, 0, err)
				}
			}
			continue
		}
		held := map[string]zendesk.User{}
		for _, u := range users {
			held[lowerID(u.ExternalID)] = u
		}
		for _, id := range chunk {
			u, ok := held[lowerID(id)]
			if !ok {
				missing[lowerID(id)] = byExt[lowerID(id)]
				continue
			}
			for _, i := range byExt[lowerID(id)] {
				run.found(ctx, i, u, out)
			}
		}
	}
	return missing
}

// found resolves item i to u, the user holding its external id, with the
// conflict tag direct mode would give it, and remembers it.
func (run *bulkRun) found(ctx context.Context, i int, u zendesk.User, out map[int]resolved) {
	s := run.b.Service
	r := run.items[i].Request
	id, conflict, err := s.held(ctx, &u, r, nil)
	if err != nil {
		run.failRequester(i, err)
		return
	}
	out[i] = resolved{id, conflict}
	run.remember = append(run.remember, remembered{i, dedupe.Requester{UserID: id, Conflict: conflict, Checked: s.now()}})
}

// remembered is a requester found, to be remembered.
type remembered struct {
	item int
	rem  dedupe.Requester
}

// createUsers makes the users of missing (external id → items), a
// hundred a job, awaits the jobs, and returns the external ids Zendesk
// refused a user for (held already, or an email taken). A job not ended
// in time leaves its items Later (its users are found next time).
func (run *bulkRun) createUsers(ctx context.Context, missing map[string][]int, out map[int]resolved) (refused map[string][]int) {
	refused = map[string][]int{}
	if len(missing) == 0 {
		return refused
	}
	exts := make([]string, 0, len(missing))
	for ext := range missing {
		exts = append(exts, ext)
	}
	type job struct {
		exts []string
	}
	jobs := map[string]job{}
	for start := 0; start < len(exts); start += zendesk.BulkLimit {
		chunk := exts[start:min(start+zendesk.BulkLimit, len(exts))]
		users := make([]zendesk.User, len(chunk))
		for n, ext := range chunk {
			r := run.items[missing[ext][0]].Request
			email := r.Requester.Email
			users[n] = zendesk.User{ExternalID: r.ExternalID, Name: firstNonEmpty(r.Requester.Name, email, r.ExternalID), Email: email, Phone: r.Requester.Phone}
		}
		st, err := run.b.Zendesk.CreateUsers(ctx, users)
		if err != nil {
			for _, ext := range chunk {
				for _, i := range missing[ext] {
					run.later(i, 0, err)
				}
			}
			continue
		}
		jobs[st.ID] = job{chunk}
	}
	for len(jobs) > 0 {
		if !run.b.now().Add(run.b.poll()).Before(run.until) || run.b.sleep(ctx, run.b.poll()) != nil {
			break
		}
		ids := make([]string, 0, len(jobs))
		for id := range jobs {
			ids = append(ids, id)
		}
		sts, err := run.b.Zendesk.JobStatuses(ctx, ids[:min(len(ids), zendesk.BulkLimit)])
		if err != nil {
			continue
		}
		for _, st := range sts {
			if !st.Ended() {
				continue
			}
			j := jobs[st.ID]
			delete(jobs, st.ID)
			byIndex := map[int]zendesk.JobResult{}
			for _, r := range st.Results {
				byIndex[r.Index] = r
			}
			for n, ext := range j.exts {
				r, ok := byIndex[n]
				for _, i := range missing[ext] {
					switch {
					case ok && r.OK():
						first := run.items[missing[ext][0]].Request
						run.found(ctx, i, zendesk.User{ID: r.ID, Email: first.Requester.Email, ExternalID: first.ExternalID}, out)
					case ok:
						refused[ext] = append(refused[ext], i)
					default:
						run.later(i, 0, nil) // the job died before it
					}
				}
			}
		}
		// Statuses Zendesk no longer has: the users are found next time.
		known := map[string]bool{}
		for _, st := range sts {
			known[st.ID] = true
		}
		for id, j := range jobs {
			if !known[id] {
				delete(jobs, id)
				for _, ext := range j.exts {
					for _, i := range missing[ext] {
						run.later(i, 0, nil)
					}
				}
			}
		}
	}
	for _, j := range jobs {
		for _, ext := range j.exts {
			for _, i := range missing[ext] {
				run.later(i, run.b.poll(), nil)
			}
		}
	}
	return refused
}
