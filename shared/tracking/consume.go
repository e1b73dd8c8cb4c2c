package tracking

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/queue"
)

// pending is one record being redelivered.
type pending struct {
	i     int // its index in the batch
	q     queued
	claim dedupe.Claim
	seen  *redelivery
}

// redelivery is what became of one record, for the metrics.
type redelivery struct {
	outcome metrics.Outcome // Created, Failed or Dropped
	err     error           // the failure, if any
	tally   *metrics.Tally  // its requests, and those of a merged call it led
}

// Consume redelivers a batch of the retry queue's records, merging their
// objects into /users/track calls of at most the contract's objects per
// request. A record
// Braze accepted, or that was delivered before, or that fails for good
// (logged) leaves the queue; one that may pass later, or whose
// credentials were refused (an operator fixes the secret and redrives it
// from the dead-letter queue), stays.
//
// Each record is counted: its outcome, and the requests made for it; the
// requests of a merged call are counted with its first record.
func (h *Handler) Consume(ctx context.Context, records []queue.Record) []queue.Result {
	results := make([]queue.Result, len(records))
	seen := make([]redelivery, len(records))
	var ready []pending
	for i, r := range records {
		var rctx context.Context
		rctx, seen[i].tally = h.tally(ctx)
		p, res, ok := h.claimRecord(rctx, i, r, &seen[i])
		if !ok {
			results[i] = res
			continue
		}
		ready = append(ready, p)
	}
	for _, group := range pack(ready, h.Service.limit()) {
		err := h.sendGroup(counting(ctx, group[0].seen.tally), group)
		if again, _ := retryable(err); err != nil && !again && !rejected(err) && len(group) > 1 {
			// Braze refused the merged call: one record may be at fault,
			// so each goes alone and only a bad one is dropped.
			for _, p := range group {
				results[p.i] = h.settle(ctx, records[p.i], p, h.sendGroup(counting(ctx, p.seen.tally), []pending{p}))
			}
			continue
		}
		for _, p := range group {
			results[p.i] = h.settle(ctx, records[p.i], p, err)
		}
	}
	if h.Metrics != nil {
		for _, r := range seen {
			h.Metrics.Redelivery(r.outcome, downstream(r.tally, r.err, false))
		}
	}
	return results
}

// sendGroup sends the merged objects of group in one call; a record too
// large to merge goes in its own batches, with their progress.
func (h *Handler) sendGroup(ctx context.Context, group []pending) error {
	if len(group) == 1 && group[0].q.Message.Len() > h.Service.limit() {
		p := group[0]
		_, err := h.Service.deliverClaimed(ctx, p.q.Invocation, p.claim, &p.q.Message)
		return err
	}
	var t braze.Track
	for _, p := range group {
		t.Attributes = append(t.Attributes, p.q.Message.Attributes...)
		t.Events = append(t.Events, p.q.Message.Events...)
		t.Purchases = append(t.Purchases, p.q.Message.Purchases...)
	}
	if t.Len() == 0 {
		return nil
	}
	_, err := h.Service.send(ctx, t)
	return err
}

// claimRecord decodes a record, claims its delivery and reads what it
// lacks from Zendesk. ok is false when the record is settled already.
// seen is where what became of the record is noted.
func (h *Handler) claimRecord(ctx context.Context, i int, r queue.Record, seen *redelivery) (pending, queue.Result, bool) {
	s := h.Service
	var q queued
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&q); err != nil || q.Invocation == "" {
		h.Log.ErrorContext(ctx, "a retry queue message is not one of this function's; dropped", "message_id", r.ID)
		seen.outcome = metrics.Dropped
		return pending{}, queue.Result{}, false
	}
	deadline := s.deadline(ctx)
	claim, err := s.Dedupe.Claim(ctx, dedupe.ClaimRequest{ID: q.Invocation, Deadline: deadline, FromQueue: true})
	switch {
	case err != nil:
		h.Log.WarnContext(ctx, "the dedupe table could not be reached; the record stays queued", "invocation_id", q.Invocation, "error", err.Error())
		seen.outcome, seen.err = metrics.Failed, &StoreError{Err: err}
		return pending{}, queue.Result{Failed: true, After: queue.Backoff(r.ReceiveCount)}, false
	case claim.Outcome == dedupe.Duplicate:
		h.Log.InfoContext(ctx, "queued delivery made already", "invocation_id", q.Invocation)
		seen.outcome = metrics.Created // made, and off the queue
		return pending{}, queue.Result{}, false
	case claim.Outcome == dedupe.Busy:
		seen.outcome = metrics.Failed
		return pending{}, queue.Result{Failed: true, After: max(deadline.Sub(s.now()), time.Second)}, false
	}
	p := pending{i: i, q: q, claim: claim, seen: seen}
	if err := s.Complete(ctx, &p.q.Message); err != nil {
		return pending{}, h.settle(ctx, r, p, err), false
	}
	// The support state is read now, when the delivery is made, not when
	// it was queued.
	sent, err := s.withState(ctx, p.q.Message)
	if err != nil {
		return pending{}, h.settle(ctx, r, p, err), false
	}
	p.q.Message = sent
	return p, queue.Result{}, true
}

// settle records what became of one record's delivery.
func (h *Handler) settle(ctx context.Context, r queue.Record, p pending, err error) queue.Result {
	s := h.Service
	inv := p.q.Invocation
	if err == nil {
		s.recordDone(ctx, inv, p.claim.Token, h.Log)
		h.Log.InfoContext(ctx, "queued delivery made", "invocation_id", inv, "receive_count", r.ReceiveCount)
		p.seen.outcome = metrics.Created
		return queue.Result{}
	}
	p.seen.err = err
	again, wait := retryable(err)
	if again || rejected(err) {
		p.seen.outcome = metrics.Failed
		// Back to queued: Zendesk's retries stay duplicates, the next
		// delivery of the record claims it again.
		qctx, cancel := detached(ctx)
		defer cancel()
		if qerr := s.Dedupe.Queue(qctx, inv, p.claim.Token); qerr != nil {
			h.Log.WarnContext(ctx, "a queued delivery's claim could not be put back; it lapses at its deadline", "invocation_id", inv, "error", qerr.Error())
		}
		if wait <= 0 {
			wait = queue.Backoff(r.ReceiveCount)
		}
		h.Log.WarnContext(ctx, "queued delivery failed; it stays on the queue", "invocation_id", inv,
			"receive_count", r.ReceiveCount, "retry_in_s", int(wait.Seconds()), "error", err.Error())
		return queue.Result{Failed: true, After: wait}
	}
	// A refusal no retry can change: recorded as made, so that neither the
	// queue nor Zendesk tries it again, and logged for a person.
	s.recordDone(ctx, inv, p.claim.Token, h.Log)
	h.Log.ErrorContext(ctx, "queued delivery refused for good; dropped", "invocation_id", inv, "error", err.Error())
	p.seen.outcome = metrics.Dropped
	return queue.Result{}
}

// pack groups records into /users/track calls of at most limit objects,
// in order, first fit; a record larger than that goes alone, to be sent in
// batches.
func pack(ps []pending, limit int) [][]pending {
	var groups [][]pending
	var cur []pending
	n := 0
	for _, p := range ps {
		size := p.q.Message.Len()
		if size > limit {
			groups = append(groups, []pending{p})
			continue
		}
		if n+size > limit {
			groups, cur, n = append(groups, cur), nil, 0
		}
		cur, n = append(cur, p), n+size
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}
