package tickets

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/queue"
)

// lookupAfter is how old a queued ticket may get before Zendesk may have
// forgotten its Idempotency-Key (2 hours): from then on the ticket is
// looked up by its external id before it is filed again.
const lookupAfter = 110 * time.Minute

// Consume files the tickets of a batch of the retry queue's records, each
// under its own Idempotency-Key, and never twice: a ticket filed from the
// queue is remembered by its key, and one that may have been filed more
// than Zendesk's 2 hours ago is looked up first.
// In bulk mode the batch is filed with Bulk, a hundred a call.
func (h *Handler) Consume(ctx context.Context, records []queue.Record) []queue.Result {
	if h.Bulk != nil {
		return h.consumeBulk(ctx, records)
	}
	results := make([]queue.Result, len(records))
	for i, r := range records {
		results[i] = h.consume(ctx, r)
	}
	return results
}

func (h *Handler) consume(ctx context.Context, r queue.Record) queue.Result {
	ctx, tally := h.tally(ctx)
	res, o, err := h.redeliver(ctx, r)
	if h.Metrics != nil {
		h.Metrics.Redelivery(o, downstream(tally, err, false))
	}
	return res
}

// redeliver files one record's ticket, and says what became of it for the
// metrics: Created, Failed (it stays on the queue) or Dropped, and the
// failure.
func (h *Handler) redeliver(ctx context.Context, r queue.Record) (queue.Result, metrics.Outcome, error) {
	s := h.Service
	var q queued
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&q); err != nil || q.Key == "" || q.Request.Ticket == nil {
		h.Log.ErrorContext(ctx, "a retry queue message is not one of this function's; dropped", "message_id", r.ID)
		return queue.Result{}, metrics.Dropped, nil
	}
	id, err := s.fileQueued(ctx, &q)
	if err == nil {
		h.Log.InfoContext(ctx, "queued ticket filed", "ticket_id", id, "receive_count", r.ReceiveCount)
		return queue.Result{}, metrics.Created, nil
	}
	again, wait := retryable(err)
	if again || rejected(err) {
		if wait <= 0 {
			wait = queue.Backoff(r.ReceiveCount)
		}
		h.Log.WarnContext(ctx, "queued ticket not filed; it stays on the queue", "receive_count", r.ReceiveCount,
			"retry_in_s", int(wait.Seconds()), "error", err.Error())
		return queue.Result{Failed: true, After: wait}, metrics.Failed, err
	}
	h.Log.ErrorContext(ctx, "queued ticket refused for good; dropped", "error", err.Error())
	return queue.Result{}, metrics.Dropped, err
}

// fileQueued files q's ticket unless it was filed already.
func (s *Service) fileQueued(ctx context.Context, q *queued) (int64, error) {
	if s.Filed != nil {
		id, ok, err := s.Filed.FiledTicket(ctx, q.Key)
		if err != nil {
			return 0, &storeError{err}
		}
		if ok {
			return id, nil
		}
	}
	if s.now().Sub(q.QueuedAt) >= lookupAfter {
		ext := q.Key
		if v, ok := q.Request.Ticket["external_id"].(string); ok && v != "" {
			ext = v
		}
		found, err := s.Zendesk.FindTicketByExternalID(ctx, ext)
		if err != nil {
			return 0, err
		}
		if found != 0 {
			s.remember(ctx, q.Key, found)
			return found, nil
		}
	}
	created, err := s.Create(ctx, &q.Request, q.Key)
	if err != nil {
		return 0, err
	}
	s.remember(ctx, q.Key, created.ID)
	return created.ID, nil
}

// remember records a ticket filed from the queue; were that to fail, its
// external id still finds it.
func (s *Service) remember(ctx context.Context, key string, id int64) {
	if s.Filed == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	s.Filed.RememberTicket(ctx, key, id)
}
