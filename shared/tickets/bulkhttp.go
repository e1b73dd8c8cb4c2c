package tickets

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/queue"
	"github.com/brazezendesk/bridge/shared/webhook"
)

// BulkMode is what the route needs to take tickets in bulk mode: the
// webhook claims a ticket's key and queues it (202), and the queue's
// consumer files a batch's tickets with Bulk.
type BulkMode struct {
	Bulk   *Bulk
	Claims dedupe.Store // a ticket's key, claimed when its webhook is queued
}

// claimWindow is how long a claim of a ticket being queued holds before it
// counts as abandoned: far more than one queue write takes.
const claimWindow = 30 * time.Second

// queueBulk answers a verified, parsed webhook in bulk mode: the ticket's
// key is claimed, so that a Braze retry is not queued twice, and the
// ticket queued for the consumer.
func (h *Handler) queueBulk(ctx context.Context, r *Request, key string) (webhook.Response, metrics.Outcome, error) {
	s := h.Service
	accepted := webhook.JSON(http.StatusAccepted, Queued{Message: "queued: the ticket will be filed in a bulk job", Queued: true})
	id := "bulk-ticket#" + key
	c, err := h.Bulk.Claims.Claim(ctx, dedupe.ClaimRequest{ID: id, Deadline: s.now().Add(claimWindow)})
	switch {
	case err != nil:
		h.Log.ErrorContext(ctx, "the dedupe table could not be read", "error", err.Error())
		return webhook.Fail(&webhook.Error{Status: http.StatusServiceUnavailable, Message: "the bridge's table is unavailable; retry later", RetryAfter: 5}), "", err
	case c.Outcome == dedupe.Duplicate:
		return accepted, metrics.Duplicate, nil
	case c.Outcome == dedupe.Busy:
		// Another request is queueing it: Braze retries a 503.
		return webhook.Fail(&webhook.Error{Status: http.StatusServiceUnavailable, Message: "this ticket is being queued by another request; retry later", RetryAfter: 5}), "", nil
	}
	if err := s.enqueue(ctx, r, key); err != nil {
		h.Log.ErrorContext(ctx, "the retry queue could not be written", "error", err.Error())
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		h.Bulk.Claims.Release(rctx, id, c.Token)
		return webhook.Fail(&webhook.Error{Status: http.StatusServiceUnavailable, Message: "the queue is unavailable; retry later", RetryAfter: 5}), "", err
	}
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	// Were this lost, the claim's deadline passes and a Braze retry queues
	// the ticket again: the consumer files it once all the same.
	h.Bulk.Claims.Queue(qctx, id, c.Token)
	return accepted, metrics.Queued, nil
}

// consumeBulk files a batch of queued tickets with Bulk, a hundred a call.
// A record whose ticket shares its key with another of the batch (a
// message the queue delivered twice) gets that one's result.
func (h *Handler) consumeBulk(ctx context.Context, records []queue.Record) []queue.Result {
	results := make([]queue.Result, len(records))
	var items []Item
	var at []int
	first := map[string]int{} // key → its item
	same := map[int]int{}     // record → the item it shares a key with
	for n, rec := range records {
		var q queued
		dec := json.NewDecoder(bytes.NewReader(rec.Body))
		dec.UseNumber()
		if err := dec.Decode(&q); err != nil || q.Key == "" || q.Request.Ticket == nil {
			h.Log.ErrorContext(ctx, "a retry queue message is not one of this function's; dropped", "message_id", rec.ID)
			h.redelivered(metrics.Dropped, nil)
			continue
		}
		if i, dup := first[q.Key]; dup {
			same[n] = i
			continue
		}
		req := q.Request
		first[q.Key] = len(items)
		items = append(items, Item{Key: q.Key, Request: &req})
		at = append(at, n)
	}
	out := h.Bulk.Bulk.File(ctx, items)
	for i, x := range out {
		results[at[i]] = h.bulkResult(ctx, records[at[i]], x)
	}
	for n, i := range same {
		results[n] = results[at[i]]
	}
	return results
}

// bulkResult is what becomes of a record whose ticket Bulk dealt with.
func (h *Handler) bulkResult(ctx context.Context, rec queue.Record, x BulkResult) queue.Result {
	switch x.Disposition {
	case Done:
		h.redelivered(metrics.Created, nil)
		return queue.Result{}
	case Refused:
		h.Log.ErrorContext(ctx, "queued ticket refused for good; dropped", "error", x.Err.Error())
		h.redelivered(metrics.Dropped, x.Err)
		return queue.Result{}
	}
	wait := x.After
	if wait <= 0 {
		wait = queue.Backoff(rec.ReceiveCount)
	}
	h.redelivered(metrics.Failed, x.Err)
	return queue.Result{Failed: true, After: wait}
}

func (h *Handler) redelivered(o metrics.Outcome, err error) {
	if h.Metrics != nil {
		h.Metrics.Redelivery(o, downstream(nil, err, false))
	}
}
