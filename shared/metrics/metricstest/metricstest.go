// Package metricstest captures a metrics.Recorder's lines and reads them
// back strictly: every line must be Embedded Metric Format as CloudWatch
// takes it, and hold nothing but its metrics and dimensions, each from the
// bridge's fixed sets.
package metricstest

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/metrics"
)

// Epoch is the capture's clock: every line's Timestamp is its milliseconds.
var Epoch = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// Capture is a recorder writing to memory on a fixed clock. It is safe for
// concurrent use.
type Capture struct {
	*metrics.Recorder
	buf syncBuffer
}

// New returns a capture for function.
func New(function string) *Capture {
	c := &Capture{}
	c.Recorder = metrics.New(&c.buf, function)
	c.Recorder.Now = func() time.Time { return Epoch }
	return c
}

// Text is everything written so far.
func (c *Capture) Text() string { return c.buf.String() }

// Reset forgets what was written.
func (c *Capture) Reset() { c.buf.Reset() }

// Lines reads back every line written so far; a line that is not strict
// EMF fails t.
func (c *Capture) Lines(t testing.TB) []Line {
	t.Helper()
	return Parse(t, c.Text())
}

// Line is one EMF line, read back.
type Line struct {
	Raw        string
	Timestamp  int64
	Dimensions map[string]string     // dimension key → value
	Values     map[string]float64    // metric name → value
	Units      map[string]string     // metric name → unit
	Sets       map[string][][]string // metric name → its dimension sets
}

// Outcome is the line's Outcome dimension ("" without one).
func (l Line) Outcome() string { return l.Dimensions[metrics.DimOutcome] }

// Has reports whether the line declares metric name.
func (l Line) Has(name string) bool { _, ok := l.Values[name]; return ok }

// Parse reads text as EMF lines, one JSON object a line, and fails t for
// any line that is not strict EMF:
//   - an "_aws" object with an integer Timestamp in milliseconds and a
//     non-empty CloudWatchMetrics array;
//   - each directive with Namespace metrics.Namespace, non-empty
//     Dimensions (arrays of dimension keys) and Metrics (Name and a known
//     Unit), no metric declared twice;
//   - every declared metric a top-level number, every dimension key a
//     top-level string from the bridge's fixed sets, and nothing else.
func Parse(t testing.TB, text string) []Line {
	t.Helper()
	var out []Line
	for _, raw := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if raw == "" {
			continue
		}
		out = append(out, parseLine(t, raw))
	}
	return out
}

func parseLine(t testing.TB, raw string) Line {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("EMF line %s: "+format, append([]any{raw}, args...)...)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &top); err != nil {
		fail("not a JSON object: %v", err)
	}
	var aws struct {
		Timestamp         *json.Number `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  *string `json:"Namespace"`
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		} `json:"CloudWatchMetrics"`
	}
	dec := json.NewDecoder(bytes.NewReader(top["_aws"]))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if top["_aws"] == nil || dec.Decode(&aws) != nil {
		fail("no _aws object of Timestamp and CloudWatchMetrics")
	}
	if aws.Timestamp == nil {
		fail("no Timestamp")
	}
	ts, err := aws.Timestamp.Int64()
	if err != nil || ts <= 0 {
		fail("Timestamp %v is not epoch milliseconds", aws.Timestamp)
	}
	if len(aws.CloudWatchMetrics) == 0 {
		fail("no CloudWatchMetrics directive")
	}
	l := Line{Raw: raw, Timestamp: ts, Dimensions: map[string]string{}, Values: map[string]float64{},
		Units: map[string]string{}, Sets: map[string][][]string{}}
	for _, d := range aws.CloudWatchMetrics {
		if d.Namespace == nil || *d.Namespace != metrics.Namespace {
			fail("Namespace is not %q", metrics.Namespace)
		}
		if len(d.Dimensions) == 0 || len(d.Metrics) == 0 {
			fail("a directive without Dimensions or Metrics")
		}
		for _, set := range d.Dimensions {
			if len(set) == 0 || len(set) > 30 {
				fail("a dimension set of %d keys", len(set))
			}
			for _, key := range set {
				var v string
				if json.Unmarshal(top[key], &v) != nil || v == "" {
					fail("dimension %q is not a top-level string", key)
				}
				if !allowed(key, v) {
					fail("dimension %s=%q is not one of the fixed values", key, v)
				}
				l.Dimensions[key] = v
			}
		}
		for _, m := range d.Metrics {
			if _, dup := l.Units[m.Name]; dup || m.Name == "" {
				fail("metric %q declared twice or unnamed", m.Name)
			}
			if m.Unit != metrics.UnitCount && m.Unit != metrics.UnitMilliseconds {
				fail("metric %s has unit %q", m.Name, m.Unit)
			}
			var v float64
			if json.Unmarshal(top[m.Name], &v) != nil {
				fail("metric %s is not a top-level number", m.Name)
			}
			l.Values[m.Name], l.Units[m.Name], l.Sets[m.Name] = v, m.Unit, d.Dimensions
		}
	}
	for key := range top {
		_, dim := l.Dimensions[key]
		_, metric := l.Values[key]
		if key != "_aws" && !dim && !metric {
			fail("top-level %q is neither a declared metric nor a dimension", key)
		}
	}
	return l
}

// allowed reports whether v is one of the fixed values of dimension key.
func allowed(key, v string) bool {
	switch key {
	case metrics.DimFunction:
		return v == metrics.BrazeToZendesk || v == metrics.ZendeskToBraze
	case metrics.DimOutcome:
		switch metrics.Outcome(v) {
		case metrics.Created, metrics.Replayed, metrics.Duplicate, metrics.Queued, metrics.Rejected,
			metrics.Failed, metrics.Ignored, metrics.Dropped:
			return true
		}
	case metrics.DimStatus:
		return statuses()[v]
	}
	return false
}

var statuses = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for code := range 1000 {
		m[metrics.StatusOf(code, false)] = true
		m[metrics.StatusOf(code, true)] = true
	}
	delete(m, metrics.Unknown)
	return m
})

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}
