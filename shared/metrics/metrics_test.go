package metrics_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/metrics/metricstest"
)

var byOutcome = [][]string{{"Function"}, {"Function", "Outcome"}}

// The names and units are a contract with the template's alarms and
// dashboard: spelled out here, not taken from the constants.
func TestNamesAreTheContract(t *testing.T) {
	got := []string{metrics.Namespace, metrics.Deliveries, metrics.DownstreamStatus, metrics.CredentialFailures,
		metrics.DownstreamLatency, metrics.Retries, metrics.QueueRedeliveries, metrics.DimFunction, metrics.DimOutcome,
		metrics.DimStatus, metrics.BrazeToZendesk, metrics.ZendeskToBraze, metrics.UnitCount, metrics.UnitMilliseconds}
	want := []string{"BrazeZendeskBridge", "Deliveries", "DownstreamStatus", "CredentialFailures",
		"DownstreamLatency", "Retries", "QueueRedeliveries", "Function", "Outcome",
		"Status", "BrazeToZendesk", "ZendeskToBraze", "Count", "Milliseconds"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names = %q\nwant    %q", got, want)
	}
	outcomes := []metrics.Outcome{metrics.Created, metrics.Replayed, metrics.Duplicate, metrics.Queued,
		metrics.Rejected, metrics.Failed, metrics.Ignored, metrics.Dropped}
	wantOutcomes := []metrics.Outcome{"created", "replayed", "duplicate", "queued", "rejected", "failed", "ignored", "dropped"}
	if !reflect.DeepEqual(outcomes, wantOutcomes) {
		t.Errorf("outcomes = %q, want %q", outcomes, wantOutcomes)
	}
}

func TestDeliveryLines(t *testing.T) {
	for _, tc := range []struct {
		name       string
		outcome    metrics.Outcome
		d          metrics.Downstream
		values     map[string]float64
		status     string // the Status dimension; "" none
		latencySet bool
	}{
		{name: "created after a retry", outcome: metrics.Created,
			d:      metrics.Downstream{Requests: 4, Retries: 1, Latency: 1234567 * time.Microsecond},
			values: map[string]float64{"Deliveries": 1, "DownstreamLatency": 1234.567, "Retries": 1, "CredentialFailures": 0}},
		{name: "replayed", outcome: metrics.Replayed, d: metrics.Downstream{Requests: 1, Latency: time.Millisecond},
			values: map[string]float64{"Deliveries": 1, "DownstreamLatency": 1, "Retries": 0, "CredentialFailures": 0}},
		{name: "duplicate: nothing sent", outcome: metrics.Duplicate,
			values: map[string]float64{"Deliveries": 1, "CredentialFailures": 0}},
		{name: "queued by a 503", outcome: metrics.Queued, d: metrics.Downstream{Requests: 3, Retries: 2, Latency: 30 * time.Millisecond, Status: "503"},
			values: map[string]float64{"Deliveries": 1, "DownstreamLatency": 30, "Retries": 2, "CredentialFailures": 0, "DownstreamStatus": 1}, status: "503"},
		{name: "rejected by us", outcome: metrics.Rejected,
			values: map[string]float64{"Deliveries": 1, "CredentialFailures": 0}},
		{name: "rejected downstream", outcome: metrics.Rejected, d: metrics.Downstream{Requests: 3, Status: "422"},
			values: map[string]float64{"Deliveries": 1, "DownstreamLatency": 0, "Retries": 0, "CredentialFailures": 0, "DownstreamStatus": 1}, status: "422"},
		{name: "failed: credentials", outcome: metrics.Failed, d: metrics.Downstream{Requests: 2, Latency: 5 * time.Millisecond, Status: "401", CredentialFailure: true},
			values: map[string]float64{"Deliveries": 1, "DownstreamLatency": 5, "Retries": 0, "CredentialFailures": 1, "DownstreamStatus": 1}, status: "401"},
		{name: "failed: misconfigured", outcome: metrics.Failed, d: metrics.Downstream{CredentialFailure: true},
			values: map[string]float64{"Deliveries": 1, "CredentialFailures": 1}},
		{name: "failed: timeout", outcome: metrics.Failed, d: metrics.Downstream{Requests: 1, Latency: 3 * time.Second, Status: "timeout"},
			values: map[string]float64{"Deliveries": 1, "DownstreamLatency": 3000, "Retries": 0, "CredentialFailures": 0, "DownstreamStatus": 1}, status: "timeout"},
		{name: "ignored", outcome: metrics.Ignored,
			values: map[string]float64{"Deliveries": 1, "CredentialFailures": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := metricstest.New(metrics.ZendeskToBraze)
			c.Delivery(tc.outcome, tc.d)
			lines := c.Lines(t)
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1", len(lines))
			}
			l := lines[0]
			if !reflect.DeepEqual(l.Values, tc.values) {
				t.Errorf("values = %v\nwant     %v", l.Values, tc.values)
			}
			wantDims := map[string]string{"Function": "ZendeskToBraze", "Outcome": string(tc.outcome)}
			if tc.status != "" {
				wantDims["Status"] = tc.status
			}
			if !reflect.DeepEqual(l.Dimensions, wantDims) {
				t.Errorf("dimensions = %v, want %v", l.Dimensions, wantDims)
			}
			if l.Timestamp != metricstest.Epoch.UnixMilli() {
				t.Errorf("Timestamp = %d, want the clock's %d", l.Timestamp, metricstest.Epoch.UnixMilli())
			}
			checkSets(t, l)
		})
	}
}

// checkSets holds every metric to its unit and dimension sets.
func checkSets(t *testing.T, l metricstest.Line) {
	t.Helper()
	want := map[string]struct {
		unit string
		sets [][]string
	}{
		"Deliveries":         {"Count", byOutcome},
		"QueueRedeliveries":  {"Count", byOutcome},
		"DownstreamLatency":  {"Milliseconds", byOutcome},
		"Retries":            {"Count", byOutcome},
		"CredentialFailures": {"Count", [][]string{{"Function"}}},
		"DownstreamStatus":   {"Count", [][]string{{"Function"}, {"Function", "Status"}}},
	}
	for name, unit := range l.Units {
		w, ok := want[name]
		if !ok {
			t.Errorf("unexpected metric %s", name)
			continue
		}
		if unit != w.unit || !reflect.DeepEqual(l.Sets[name], w.sets) {
			t.Errorf("%s: unit %s sets %v, want %s %v", name, unit, l.Sets[name], w.unit, w.sets)
		}
	}
}

func TestRedeliveryLines(t *testing.T) {
	for _, tc := range []struct {
		outcome metrics.Outcome
		d       metrics.Downstream
	}{
		{metrics.Created, metrics.Downstream{Requests: 1, Latency: time.Millisecond}},
		{metrics.Failed, metrics.Downstream{Requests: 3, Retries: 2, Status: "5xx"}},
		{metrics.Failed, metrics.Downstream{Requests: 2, Status: "403", CredentialFailure: true}},
		{metrics.Dropped, metrics.Downstream{}},
	} {
		t.Run(string(tc.outcome), func(t *testing.T) {
			c := metricstest.New(metrics.BrazeToZendesk)
			c.Redelivery(tc.outcome, tc.d)
			l := c.Lines(t)[0]
			if l.Values["QueueRedeliveries"] != 1 || l.Has("Deliveries") || l.Outcome() != string(tc.outcome) ||
				l.Dimensions["Function"] != "BrazeToZendesk" {
				t.Errorf("line %s", l.Raw)
			}
			if l.Has("DownstreamLatency") != (tc.d.Requests > 0) || l.Has("DownstreamStatus") != (tc.d.Status != "") {
				t.Errorf("downstream metrics of %+v: %s", tc.d, l.Raw)
			}
			if cred := l.Values["CredentialFailures"]; cred != map[bool]float64{true: 1}[tc.d.CredentialFailure] {
				t.Errorf("CredentialFailures = %v", cred)
			}
			checkSets(t, l)
		})
	}
}

// A value outside the fixed sets never reaches a dimension: free text
// there could be personal data, and every value is a metric that costs.
func TestOnlyFixedValuesReachDimensions(t *testing.T) {
	var buf bytes.Buffer
	r := metrics.New(&buf, metrics.BrazeToZendesk)
	r.Delivery("ada@example.com", metrics.Downstream{Status: "user-123"})
	r.Delivery(metrics.Dropped, metrics.Downstream{}) // not a webhook outcome
	r.Redelivery(metrics.Duplicate, metrics.Downstream{Status: "0429"})
	for _, raw := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		if m["Outcome"] != "unknown" {
			t.Errorf("Outcome = %v, want unknown: %s", m["Outcome"], raw)
		}
		if s, ok := m["Status"]; ok && s != "unknown" {
			t.Errorf("Status = %v, want unknown: %s", s, raw)
		}
	}
	if strings.Contains(buf.String(), "ada@") || strings.Contains(buf.String(), "user-123") {
		t.Errorf("free text reached a line: %s", buf.String())
	}
}

func TestOutcomeOf(t *testing.T) {
	for status, want := range map[int]metrics.Outcome{
		200: metrics.Created, 201: metrics.Created, 202: metrics.Queued, 400: metrics.Rejected, 401: metrics.Rejected,
		409: metrics.Duplicate, 413: metrics.Rejected, 422: metrics.Rejected, 429: metrics.Failed, 500: metrics.Failed,
		502: metrics.Failed, 503: metrics.Failed, 504: metrics.Failed, 0: metrics.Failed,
	} {
		if got := metrics.OutcomeOf(status); got != want {
			t.Errorf("OutcomeOf(%d) = %s, want %s", status, got, want)
		}
	}
}

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		status  int
		timeout bool
		want    string
	}{
		{0, true, "timeout"}, {0, false, "unreachable"}, {429, false, "429"}, {500, false, "500"}, {502, false, "502"},
		{503, false, "503"}, {504, false, "504"}, {401, false, "401"}, {403, false, "403"}, {404, false, "404"},
		{409, false, "409"}, {413, false, "413"}, {422, false, "422"}, {400, false, "400"}, {418, false, "4xx"},
		{507, false, "5xx"}, {599, false, "5xx"}, {429, true, "429"}, {302, false, "unknown"},
	} {
		if got := metrics.StatusOf(tc.status, tc.timeout); got != tc.want {
			t.Errorf("StatusOf(%d, %v) = %q, want %q", tc.status, tc.timeout, got, tc.want)
		}
	}
	// The set stays small: every status maps to one of a few values.
	seen := map[string]bool{}
	for code := range 1000 {
		seen[metrics.StatusOf(code, code%2 == 0)] = true
	}
	if len(seen) > 20 {
		t.Errorf("%d Status values: %v", len(seen), seen)
	}
}

func TestAnsweredCountsARefusedRequest(t *testing.T) {
	c := metricstest.New(metrics.BrazeToZendesk)
	c.Answered(413)
	c.Answered(500)
	lines := c.Lines(t)
	if len(lines) != 2 || lines[0].Outcome() != "rejected" || lines[0].Values["CredentialFailures"] != 0 ||
		lines[1].Outcome() != "failed" || lines[1].Values["CredentialFailures"] != 1 {
		t.Fatalf("lines %v", lines)
	}
}

func TestNilAndNopRecordNothing(t *testing.T) {
	var r *metrics.Recorder
	r.Delivery(metrics.Created, metrics.Downstream{})
	r.Redelivery(metrics.Created, metrics.Downstream{})
	r.Answered(413)
	var n metrics.Nop
	n.Delivery(metrics.Created, metrics.Downstream{})
	n.Redelivery(metrics.Created, metrics.Downstream{})
	n.Answered(413)
	var tally *metrics.Tally
	tally.Try(1, time.Second)
	if d := tally.Downstream(); d != (metrics.Downstream{}) {
		t.Errorf("a nil tally = %+v", d)
	}
}

// Lines written at once from many goroutines come out whole, one a line.
func TestConcurrentRecordsAreWholeLines(t *testing.T) {
	c := metricstest.New(metrics.ZendeskToBraze)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			for range 20 {
				if i%2 == 0 {
					c.Delivery(metrics.Created, metrics.Downstream{Requests: 2, Retries: 1, Latency: time.Millisecond})
				} else {
					c.Redelivery(metrics.Failed, metrics.Downstream{Requests: 1, Status: "503"})
				}
			}
		})
	}
	wg.Wait()
	if n := len(c.Lines(t)); n != 1000 {
		t.Errorf("%d lines, want 1000", n)
	}
}

func TestTally(t *testing.T) {
	var tally metrics.Tally
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			tally.Try(0, time.Millisecond)
			tally.Try(1, 2*time.Millisecond)
		})
	}
	wg.Wait()
	want := metrics.Downstream{Requests: 20, Retries: 10, Latency: 30 * time.Millisecond}
	if got := tally.Downstream(); got != want {
		t.Errorf("tally = %+v, want %+v", got, want)
	}
}

// A writer that fails loses the line, never the caller's delivery.
func TestWriteFailureIsSwallowed(t *testing.T) {
	r := metrics.New(failingWriter{}, metrics.BrazeToZendesk)
	r.Delivery(metrics.Created, metrics.Downstream{})
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestClock(t *testing.T) {
	var buf bytes.Buffer
	r := metrics.New(&buf, metrics.BrazeToZendesk)
	at := time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	r.Now = func() time.Time { return at }
	r.Delivery(metrics.Created, metrics.Downstream{})
	if l := metricstest.Parse(t, buf.String()); len(l) != 1 || l[0].Timestamp != at.UnixMilli() {
		t.Errorf("lines %v, want one at %d", l, at.UnixMilli())
	}
	buf.Reset()
	r.Now = nil
	before := time.Now().UnixMilli()
	r.Delivery(metrics.Created, metrics.Downstream{})
	if ts := metricstest.Parse(t, buf.String())[0].Timestamp; ts < before || ts > time.Now().UnixMilli() {
		t.Errorf("Timestamp %d is not now", ts)
	}
}
