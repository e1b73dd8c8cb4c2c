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
// page, and refreshes each page's requesters, each once a run, in
// /users/track calls of Braze's object limit. After each call it saves the
// page's cursor with the requesters done so far, and after each page the
// next page's: a run that stops midway (out of time, or failing) is taken
// up by the next from where it stopped, however large a page. It stops
// at the end of the stream, or Reserve before its context ends.
func (r *Reconciler) Run(ctx context.Context) (out Run, err error) {
	s := r.Service
	c, ok, err := r.Cursors.Cursor(ctx, CursorName)
	if err != nil {
		return Run{}, &StoreError{Err: err}
	}
	if !ok {
		c = dedupe.Cursor{Time: s.now().Add(-r.Backfill)} // no cursor yet: start there
	}
	start := c.Time // where a reading without a cursor starts
	defer func() {
		out.CursorTime = isoTime(c.Time)
		if r.Metrics != nil {
			r.Metrics.Reconciled(out.RequestersRefreshed, s.now().Sub(c.Time))
		}
	}()
	work, cancel := r.workTime(ctx)
	defer cancel()
	refreshed := map[int64]bool{}
	for {
		if err := r.ExportPacer.Wait(work); err != nil {
			return out, nil // out of time: the next run goes on
		}
		page, err := r.Export.ExportTickets(work, c.Value, start)
		if err != nil && work.Err() != nil {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("reading the incremental ticket export: %w", err)
		}
		out.TicketsSeen += len(page.Tickets)
		var n int
		var stopped bool
		c, n, stopped, err = r.refresh(work, ctx, c, page.Tickets, refreshed)
		out.RequestersRefreshed += n
		if err != nil {
			return out, err
		}
		if stopped {
			return out, nil // the page's cursor and what was done of it are saved
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
			return out, nil
		}
	}
}

// workTime is ctx ending Reserve before it, so that what was done is
// still sent and saved in the time ctx has.
func (r *Reconciler) workTime(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-r.Reserve))
	}
	return context.WithCancel(ctx)
}

// refresh sends the state of the requesters of ts that neither this run
// nor an earlier reading of the page (c.Done) refreshed, in calls of
// Braze's object limit, saving c with the requesters done after each.
// stopped is work running out: what was read is sent, under ctx. It
// returns c as saved, and how many requesters it refreshed.
func (r *Reconciler) refresh(work, ctx context.Context, c dedupe.Cursor, ts []zendesk.TicketState, run map[int64]bool) (dedupe.Cursor, int, bool, error) {
	s := r.Service
	done := map[int64]bool{}
	for _, id := range c.Done {
		done[id] = true
	}
	var batch []braze.Object
	var handled []int64 // since the last save: refreshed, or passed over
	n := 0
	flush := func() error {
		if len(handled) == 0 {
			return nil
		}
		if len(batch) > 0 {
			if _, err := s.send(ctx, braze.Track{Attributes: batch}); err != nil {
				return err
			}
		}
		saved := c
		saved.Done = append(slices.Clip(c.Done), handled...)
		if err := r.Cursors.SaveCursor(ctx, CursorName, saved); err != nil {
			return &StoreError{Err: err}
		}
		c = saved
		n += len(batch)
		batch, handled = nil, nil
		return nil
	}
	stopped := false
	for _, t := range ts {
		id := t.RequesterID
		if id == 0 || done[id] || run[id] {
			continue
		}
		a, err := r.state(work, id)
		var held *pacerStop
		if err != nil && (work.Err() != nil || errors.As(err, &held)) {
			stopped = true
			break
		}
		if err != nil {
			if ferr := flush(); ferr != nil {
				return c, n, false, ferr
			}
			return c, n, false, err
		}
		done[id], run[id] = true, true
		handled = append(handled, id)
		if a != nil {
			batch = append(batch, a)
		}
		if len(batch) >= s.limit() {
			if err := flush(); err != nil {
				return c, n, false, err
			}
		}
	}
	if err := flush(); err != nil {
		return c, n, false, err
	}
	return c, n, stopped, nil
}

// state is the attributes object of requester id, or nil for one
// reconciliation cannot address (gone, or without an external id or
// email).
func (r *Reconciler) state(ctx context.Context, id int64) (braze.Object, error) {
	s := r.Service
	if _, cached := s.identities.get(id); !cached {
		if err := r.Pacer.Wait(ctx); err != nil {
			return nil, &pacerStop{err}
		}
	}
	p, err := s.identity(ctx, id)
	if err != nil {
		if skippable(err) {
			return nil, nil
		}
		return nil, err
	}
	if err := r.Pacer.Wait(ctx); err != nil {
		return nil, &pacerStop{err}
	}
	tickets, err := s.Zendesk.RequestedTickets(ctx, id)
	if errors.Is(err, zendesk.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a := braze.Object{p.key: p.value}
	for k, v := range StateAttributes(tickets) {
		a[k] = v
	}
	return a, nil
}

// pacerStop is a pacer that will not let the next call go in the time
// left (its context ended, or its budget is spent past it): the run stops
// there, and the next goes on.
type pacerStop struct{ err error }

func (e *pacerStop) Error() string { return "paced out of time: " + e.err.Error() }
func (e *pacerStop) Unwrap() error { return e.err }

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
