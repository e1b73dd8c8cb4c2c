package tickets_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/faulttest"
	"github.com/brazezendesk/bridge/shared/pacing"
	"github.com/brazezendesk/bridge/shared/tickets"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// BenchmarkBulkSend files a 10,000-ticket send in bulk mode, new
// requesters all, through two containers taking queue batches of 1,000 in
// turn, on a simulated clock: the stand-in holds the plan's 400 requests a
// minute, the containers share a budget of 400 a minute, and 30 % of the
// calls fail (429s, 500s, 503s, connections reset, answers lost after the
// work was done). It reports the Zendesk calls a ticket cost (faulted ones
// included), the 429s the plan's limit answered (the bridge's own doing),
// the simulated minutes to file all, and the tickets not filed exactly
// once (0).
func BenchmarkBulkSend(b *testing.B) {
	const send, perMinute, batch = 10_000, 400, 1_000
	for b.Loop() {
		r := newBulkRig(b)
		r.zd.SetRateLimit(perMinute)
		in := faulttest.NewInjector(7, 0.3)
		in.Kinds = []faulttest.Kind{faulttest.RateLimitShort, faulttest.RateLimitLong, faulttest.ServerError,
			faulttest.Unavailable, faulttest.Reset, faulttest.Lost}
		base, _ := url.Parse(in.Serve(b, r.zd.Config.Handler))
		budget := pacing.NewMemory()
		advance := func(_ context.Context, d time.Duration) error { r.clk.Add(d); return nil }
		var filers []*tickets.Bulk
		for range 2 {
			filers = append(filers, r.container(func() *zendesk.Client {
				c := zendesk.New(base, in.Client(10*time.Second), zendesk.APIToken{Email: agentEmail, Token: apiToken})
				c.Pace = &pacing.Budget{Counter: budget, PerMinute: perMinute, Now: r.clock, Sleep: advance}
				return c
			}))
		}
		its := items(b, "u", send)
		start := r.clock()
		type queued struct {
			item  tickets.Item
			ready time.Time
		}
		queue := make([]queued, len(its))
		for i, it := range its {
			queue[i] = queued{it, r.clock()}
		}
		for round := 0; len(queue) > 0; round++ {
			if round > 10_000 {
				b.Fatalf("%d tickets pending after 10,000 rounds", len(queue))
			}
			var take []tickets.Item
			var rest []queued
			next := time.Time{}
			for _, q := range queue {
				switch {
				case len(take) < batch && !q.ready.After(r.clock()):
					take = append(take, q.item)
				default:
					rest = append(rest, q)
					if next.IsZero() || q.ready.Before(next) {
						next = q.ready
					}
				}
			}
			if len(take) == 0 {
				r.set(next)
				queue = rest
				continue
			}
			for i, x := range filers[round%len(filers)].File(context.Background(), take) {
				switch x.Disposition {
				case tickets.Later:
					rest = append(rest, queued{take[i], r.clock().Add(x.After)})
				case tickets.Refused:
					b.Fatalf("ticket refused: %v", x.Err)
				}
			}
			queue = rest
		}
		exactlyOnce(b, r, its)
		if testing.Verbose() {
			byPath := map[string]int{}
			for _, q := range r.zd.Requests() {
				byPath[q.Method+" "+q.Path]++
			}
			b.Logf("calls %d, by path %v, faults %v", in.Calls(), byPath, in.Faults())
		}
		b.ReportMetric(float64(in.Calls())/send, "zendesk-calls/ticket")
		b.ReportMetric(float64(r.zd.RateLimited()), "429s")
		b.ReportMetric(r.clock().Sub(start).Minutes(), "minutes")
		b.ReportMetric(float64(in.Faults()[faulttest.RateLimitShort]+in.Faults()[faulttest.RateLimitLong]), "injected-429s")
		b.ReportMetric(0, "filed-twice") // exactlyOnce failed the benchmark otherwise
	}
}
