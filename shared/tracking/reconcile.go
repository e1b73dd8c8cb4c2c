package tracking

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/brazezendesk/bridge/shared/braze"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// CursorName is the name the reconciliation cursor is kept under.
const CursorName = "zendesk_ticket_export"

// Pacer spaces Zendesk requests within the account's rate limit: Wait
// returns when the next one may be made, or ctx's error.
type Pacer interface {
	Wait(ctx context.Context) error
}

// Exporter is the part of the Zendesk API reconciliation reads changes with.
type Exporter interface {
	ExportTickets(ctx context.Context, cursor string, start time.Time) (zendesk.ExportPage, error)
}

// ReconcileMetrics is where a run is counted: a *metrics.Recorder in Lambda.
type ReconcileMetrics interface {
	Reconciled(refreshed int, lag time.Duration)
}

// Reconciler refreshes the support state of every requester whose tickets
// changed since its last run, so that a webhook lost (a bridge outage, or
// Zendesk pausing a failing webhook, which it never replays) leaves no
// profile wrong for longer than a period.
type Reconciler struct {
	Service *Service // reads the state and sends it to Braze
	Export  Exporter
	Cursors dedupe.Cursors
	// Pacer paces the requests for the state (a requester's identity and
	// tickets); ExportPacer the export's, which has its own limit of 10 a
	// minute.
	Pacer, ExportPacer Pacer
	// Backfill is how far back a first run starts.
	Backfill time.Duration
	// Reserve is the time left on the run's context at which it stops,
	// saves where it is, and leaves the rest to the next run.
	Reserve time.Duration
	Metrics ReconcileMetrics // nil: none
	Log     *slog.Logger
}

// Run is what a run did: the contract's answer to the schedule's event.
type Run struct {
	RequestersRefreshed int    `json:"requesters_refreshed"`
	TicketsSeen         int    `json:"tickets_seen"`
	CursorTime          string `json:"cursor_time"`
}

// Run reads the export from the saved cursor (or Backfill ago), page by
// page; refreshes each page's requesters, each once a run, in one
// /users/track call per Braze's object limit; and saves the cursor after
// each page, so that a run that fails midway is resumed by the next from
// the page it was on. It stops at the end of the stream or when its time
// runs short.
func (r *Reconciler) Run(ctx context.Context) (out Run, err error) {
	s := r.Service
	now := s.now()
	c, ok, err := r.Cursors.Cursor(ctx, CursorName)
	if err != nil {
		return Run{}, &StoreError{Err: err}
	}
	start := now.Add(-r.Backfill)
	if !ok {
		c = dedupe.Cursor{Time: start}
	}
	refreshed := map[int64]bool{}
	defer func() {
		out.CursorTime = isoTime(c.Time)
		if r.Metrics != nil {
			r.Metrics.Reconciled(out.RequestersRefreshed, s.now().Sub(c.Time))
		}
	}()
	for !r.short(ctx) {
		if err := r.ExportPacer.Wait(ctx); err != nil {
			return out, nil // out of time: the next run goes on
		}
		page, err := r.Export.ExportTickets(ctx, c.Value, start)
		if err != nil {
			return out, fmt.Errorf("reading the incremental ticket export: %w", err)
		}
		out.TicketsSeen += len(page.Tickets)
		n, err := r.refresh(ctx, page.Tickets, refreshed)
		out.RequestersRefreshed += n
		if err != nil && ctx.Err() != nil {
			return out, nil // out of time mid-page: the next run reads it again
		}
		if err != nil {
			return out, err
		}
		next := dedupe.Cursor{Value: page.AfterCursor, Time: c.Time}
		for _, t := range page.Tickets {
			if t.UpdatedAt.After(next.Time) {
				next.Time = t.UpdatedAt
			}
		}
		if page.EndOfStream {
			// Everything up to a minute ago is read (Zendesk holds back
			// the last minute's changes).
			next.Time = maxTime(next.Time, s.now().Add(-time.Minute))
		}
		if next.Value == "" {
			next.Value = c.Value
		}
		if err := r.Cursors.SaveCursor(ctx, CursorName, next); err != nil {
			return out, &StoreError{Err: err}
		}
		c = next
		if page.EndOfStream {
			break
		}
	}
	return out, nil
}

// short reports a run whose context ends within the reserve.
func (r *Reconciler) short(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < r.Reserve
}

// refresh sends the state of the requesters of ts not refreshed yet in
// this run, and says how many it sent. A requester who no longer exists
// or has no identifier Braze knows is passed over.
func (r *Reconciler) refresh(ctx context.Context, ts []zendesk.TicketState, done map[int64]bool) (int, error) {
	s := r.Service
	var attrs []braze.Object
	var ids []int64
	for _, t := range ts {
		id := t.RequesterID
		if id == 0 || done[id] || slices.Contains(ids, id) {
			continue
		}
		if _, cached := s.identities.get(id); !cached {
			if err := r.Pacer.Wait(ctx); err != nil {
				return 0, err
			}
		}
		p, err := s.identity(ctx, id)
		if err != nil {
			if skippable(err) {
				continue
			}
			return 0, err
		}
		if err := r.Pacer.Wait(ctx); err != nil {
			return 0, err
		}
		tickets, err := s.Zendesk.RequestedTickets(ctx, id)
		if errors.Is(err, zendesk.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		a := braze.Object{p.key: p.value}
		for k, v := range StateAttributes(tickets) {
			a[k] = v
		}
		attrs = append(attrs, a)
		ids = append(ids, id)
	}
	for _, b := range braze.Batches(braze.Track{Attributes: attrs}, s.limit()) {
		if _, err := s.send(ctx, b); err != nil {
			return 0, err
		}
	}
	for _, id := range ids {
		done[id] = true
	}
	return len(ids), nil
}

// skippable is a requester reconciliation cannot address: gone, or
// without an external id or email.
func skippable(err error) bool {
	var inv *webhook.InvalidError
	return errors.As(err, &inv)
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Scheduled runs reconciliation for the schedule's event, answering and
// logging what the run did. A run that failed answers an error that says
// so without the failure's own text (it may carry an SDK's), which goes to
// the log; the next run resumes from the cursor.
func (r *Reconciler) Scheduled(ctx context.Context) (any, error) {
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	run, err := r.Run(ctx)
	if err != nil {
		log.ErrorContext(ctx, "reconciliation stopped; the next run resumes from its cursor", "requesters_refreshed", run.RequestersRefreshed,
			"tickets_seen", run.TicketsSeen, "cursor_time", run.CursorTime, "error", err.Error())
		return nil, ErrReconcileStopped
	}
	log.InfoContext(ctx, "reconciliation run", "requesters_refreshed", run.RequestersRefreshed, "tickets_seen", run.TicketsSeen,
		"cursor_time", run.CursorTime)
	return run, nil
}

// ErrReconcileStopped is the answer of a run that failed midway.
var ErrReconcileStopped = errors.New("reconciliation stopped before the end of Zendesk's ticket export (the function's log says why); " +
	"the next run resumes from its cursor")

// Scheduled runs the function's reconciliation, when it has one.
func (h *Handler) Scheduled(ctx context.Context) (any, error) {
	if h.Reconciler == nil {
		err := errors.New("reconciliation is not set up: it needs ZENDESK_SUBDOMAIN, the Zendesk keys of the secret and SUPPORT_STATE on")
		h.Log.ErrorContext(ctx, "scheduled event not run", "error", err.Error())
		return nil, err
	}
	return h.Reconciler.Scheduled(ctx)
}
