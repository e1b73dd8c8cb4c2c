package metricstest

import (
	"testing"

	"github.com/brazezendesk/bridge/shared/metrics"
)

// Want is what one line must say: the counter and its outcome, the Status
// dimension ("" none), the credential failure, and the retries (-1: no
// downstream request, so no latency or retries at all).
type Want struct {
	Counter     string
	Outcome     metrics.Outcome
	Status      string
	Credentials bool
	Retries     int
}

// Check fails t unless l says what w does.
func (w Want) Check(t *testing.T, l Line) {
	t.Helper()
	if l.Values[w.Counter] != 1 || l.Outcome() != string(w.Outcome) {
		t.Errorf("%s %s = %v, want 1 %s: %s", w.Counter, l.Outcome(), l.Values[w.Counter], w.Outcome, l.Raw)
	}
	other := map[string]string{metrics.Deliveries: metrics.QueueRedeliveries, metrics.QueueRedeliveries: metrics.Deliveries}[w.Counter]
	if l.Has(other) {
		t.Errorf("the line counts %s too: %s", other, l.Raw)
	}
	if got := l.Dimensions[metrics.DimStatus]; got != w.Status || l.Has(metrics.DownstreamStatus) != (w.Status != "") {
		t.Errorf("Status = %q, want %q: %s", got, w.Status, l.Raw)
	}
	if got := l.Values[metrics.CredentialFailures]; (got == 1) != w.Credentials || !l.Has(metrics.CredentialFailures) {
		t.Errorf("CredentialFailures = %v, want %v: %s", got, w.Credentials, l.Raw)
	}
	if w.Retries < 0 {
		if l.Has(metrics.DownstreamLatency) || l.Has(metrics.Retries) {
			t.Errorf("no downstream request was made, yet: %s", l.Raw)
		}
		return
	}
	if !l.Has(metrics.DownstreamLatency) || l.Values[metrics.DownstreamLatency] <= 0 || l.Values[metrics.Retries] != float64(w.Retries) {
		t.Errorf("latency %v, retries %v; want some latency and %d retries: %s",
			l.Values[metrics.DownstreamLatency], l.Values[metrics.Retries], w.Retries, l.Raw)
	}
}

// Expect is the Want of its arguments, in field order.
func Expect(counter string, o metrics.Outcome, status string, credentials bool, retries int) Want {
	return Want{Counter: counter, Outcome: o, Status: status, Credentials: credentials, Retries: retries}
}
