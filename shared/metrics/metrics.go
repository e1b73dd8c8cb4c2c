// Package metrics writes the bridge's CloudWatch metrics as Embedded
// Metric Format (EMF) lines: JSON log lines that CloudWatch Logs turns into
// metrics, without a call to the CloudWatch API. It is the one place that
// knows the format, the namespace and the metric and dimension names.
//
// Every line carries only the function's name, an outcome and a status
// class, each from a fixed set: never an id, an email address, a token or
// message text.
package metrics

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "BrazeZendeskBridge"

// Values of the Function dimension.
const (
	BrazeToZendesk = "BrazeToZendesk"
	ZendeskToBraze = "ZendeskToBraze"
)

// Metric names. The template's alarms and dashboard are built on them.
const (
	// Deliveries counts webhook calls, by Outcome.
	Deliveries = "Deliveries"
	// DownstreamStatus counts the deliveries (webhook calls or queue
	// records) a Zendesk or Braze failure failed, by Status.
	DownstreamStatus = "DownstreamStatus"
	// CredentialFailures counts deliveries Zendesk or Braze refused the
	// credentials or permissions of (401/403 after a refetch), or that a
	// misconfigured function answered 500.
	CredentialFailures = "CredentialFailures"
	// DownstreamLatency is the time one delivery spent in Zendesk and
	// Braze requests, retries included, backoff waits not.
	DownstreamLatency = "DownstreamLatency"
	// Retries counts the requests a client sent again within one call.
	Retries = "Retries"
	// QueueRedeliveries counts records consumed from the retry queue, by
	// Outcome (Created, Failed or Dropped).
	QueueRedeliveries = "QueueRedeliveries"
	// LegacyZendeskToken counts containers that call Zendesk with an API
	// token, which Zendesk switches off on 30 April 2027: the deployments
	// still to move to OAuth.
	LegacyZendeskToken = "LegacyZendeskToken"
)

// Dimension names.
const (
	DimFunction = "Function"
	DimOutcome  = "Outcome"
	DimStatus   = "Status"
)

// Units.
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
)

// Outcome is what became of a delivery: the value of the Outcome dimension.
type Outcome string

const (
	// Created: the ticket was filed, or the events delivered.
	Created Outcome = "created"
	// Replayed: Zendesk answered an idempotent replay with the ticket it
	// had filed.
	Replayed Outcome = "replayed"
	// Duplicate: delivered, queued or being delivered before; nothing sent.
	Duplicate Outcome = "duplicate"
	// Queued: on the retry queue, to be delivered by its consumer.
	Queued Outcome = "queued"
	// Rejected: bad input (400, 401, 413) or a refusal no retry changes
	// (a downstream 4xx such as 422).
	Rejected Outcome = "rejected"
	// Failed: answered 5xx or 429 without queueing (the sender retries),
	// or, for a queue record, left on the queue.
	Failed Outcome = "failed"
	// Ignored: a Zendesk event that is not about a ticket.
	Ignored Outcome = "ignored"
	// Dropped: a queue record deleted undelivered: not one of the
	// function's, or refused for good.
	Dropped Outcome = "dropped"
)

// Unknown replaces an outcome or status outside the fixed sets, so that a
// mistake can never put free text into a dimension.
const Unknown = "unknown"

var deliveryOutcomes = set(Created, Replayed, Duplicate, Queued, Rejected, Failed, Ignored)
var queueOutcomes = set(Created, Failed, Dropped)

func set(os ...Outcome) map[Outcome]bool {
	m := make(map[Outcome]bool, len(os))
	for _, o := range os {
		m[o] = true
	}
	return m
}

// OutcomeOf is the outcome of a webhook call answered with status: 201 and
// 200 Created, 202 Queued, 409 Duplicate (being delivered by another
// request), 429 and 5xx Failed, any other 4xx Rejected. A route names
// Replayed, Duplicate and Ignored itself: their status says too little.
func OutcomeOf(status int) Outcome {
	switch {
	case status == 202:
		return Queued
	case status >= 200 && status < 300:
		return Created
	case status == 409:
		return Duplicate
	case status == 429 || status >= 500:
		return Failed
	case status >= 400:
		return Rejected
	}
	return Failed
}

// Values of the Status dimension besides the codes in statuses.
const (
	StatusTimeout     = "timeout"     // no answer in time
	StatusUnreachable = "unreachable" // no answer: connection refused, DNS, TLS
	Status4xx         = "4xx"         // a client error without its own value
	Status5xx         = "5xx"         // a server error without its own value
)

// statuses are the codes that keep their own Status value.
var statuses = map[int]bool{400: true, 401: true, 403: true, 404: true, 409: true, 413: true, 422: true, 429: true,
	500: true, 502: true, 503: true, 504: true}

// StatusOf is the Status value of a failed downstream call: the HTTP code
// (status) for the few worth telling apart, else its class; without an
// answer (status 0), "timeout" when time ran out and "unreachable" when
// not. The set is small and fixed.
func StatusOf(status int, timedOut bool) string {
	switch {
	case status == 0 && timedOut:
		return StatusTimeout
	case status == 0:
		return StatusUnreachable
	case statuses[status]:
		return strconv.Itoa(status)
	case status >= 400 && status < 500:
		return Status4xx
	case status >= 500 && status < 600:
		return Status5xx
	}
	return Unknown
}

func validStatus(s string) bool {
	switch s {
	case StatusTimeout, StatusUnreachable, Status4xx, Status5xx:
		return true
	}
	n, err := strconv.Atoi(s)
	return err == nil && statuses[n] && strconv.Itoa(n) == s
}

// Downstream is what one delivery met downstream, in Zendesk and Braze.
type Downstream struct {
	Requests int           // HTTP requests sent, retries included; 0: none
	Retries  int           // of which sent again within a call
	Latency  time.Duration // spent in those requests
	// Status is StatusOf the failure that failed the delivery; "": none.
	Status string
	// CredentialFailure: Zendesk or Braze refused the credentials or
	// permissions, or the function is misconfigured.
	CredentialFailure bool
}

// Recorder writes one EMF line per record to its writer. It is safe for
// concurrent use, and a nil *Recorder records nothing.
type Recorder struct {
	// Now is the clock of the lines' Timestamp; nil means time.Now. Set it
	// before the recorder is used.
	Now func() time.Time

	mu       sync.Mutex
	w        io.Writer
	function string
}

// New returns a recorder for function (BrazeToZendesk or ZendeskToBraze)
// writing to w: os.Stdout in Lambda, where CloudWatch Logs reads EMF.
func New(w io.Writer, function string) *Recorder {
	return &Recorder{w: w, function: function}
}

// Delivery records what became of one webhook call: Deliveries by Outcome,
// and what it met downstream.
func (r *Recorder) Delivery(o Outcome, d Downstream) {
	if r == nil {
		return
	}
	if !deliveryOutcomes[o] {
		o = Unknown
	}
	r.write(Deliveries, o, d)
}

// Redelivery records what became of one record of the retry queue:
// QueueRedeliveries by Outcome (Created, Failed or Dropped), and what it
// met downstream.
func (r *Recorder) Redelivery(o Outcome, d Downstream) {
	if r == nil {
		return
	}
	if !queueOutcomes[o] {
		o = Unknown
	}
	r.write(QueueRedeliveries, o, d)
}

// Answered records a webhook call answered with status before a route saw
// it, such as a body over the size limit (413): Deliveries by
// OutcomeOf(status), and a CredentialFailure for a 500.
func (r *Recorder) Answered(status int) {
	r.Delivery(OutcomeOf(status), Downstream{CredentialFailure: status == 500})
}

// LegacyZendeskTokenUsed records one container calling Zendesk with an
// API token rather than OAuth (once per container).
func (r *Recorder) LegacyZendeskTokenUsed() {
	if r == nil {
		return
	}
	line := map[string]any{DimFunction: r.function, LegacyZendeskToken: 1, "_aws": envelope{Timestamp: r.now().UnixMilli(),
		CloudWatchMetrics: []directive{{Namespace: Namespace, Dimensions: [][]string{{DimFunction}}, Metrics: []metricDef{{LegacyZendeskToken, UnitCount}}}}}}
	r.writeLine(line)
}

// Nop records nothing: for tests and local runs.
type Nop struct{}

func (Nop) Delivery(Outcome, Downstream)   {}
func (Nop) Redelivery(Outcome, Downstream) {}
func (Nop) Answered(int)                   {}

type metricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type envelope struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// write prints one line: counter (Deliveries or QueueRedeliveries) and,
// when requests were made, DownstreamLatency and Retries, by Function and
// by Function and Outcome; CredentialFailures by Function; and, when a
// downstream failure failed the delivery, DownstreamStatus by Function and
// by Function and Status.
func (r *Recorder) write(counter string, o Outcome, d Downstream) {
	byOutcome := [][]string{{DimFunction}, {DimFunction, DimOutcome}}
	counted := directive{Namespace: Namespace, Dimensions: byOutcome, Metrics: []metricDef{{counter, UnitCount}}}
	line := map[string]any{DimFunction: r.function, DimOutcome: string(o), counter: 1}
	if d.Requests > 0 {
		counted.Metrics = append(counted.Metrics, metricDef{DownstreamLatency, UnitMilliseconds}, metricDef{Retries, UnitCount})
		line[DownstreamLatency] = milliseconds(d.Latency)
		line[Retries] = max(d.Retries, 0)
	}
	dirs := []directive{counted,
		{Namespace: Namespace, Dimensions: [][]string{{DimFunction}}, Metrics: []metricDef{{CredentialFailures, UnitCount}}}}
	line[CredentialFailures] = 0
	if d.CredentialFailure {
		line[CredentialFailures] = 1
	}
	if d.Status != "" {
		status := d.Status
		if !validStatus(status) {
			status = Unknown
		}
		dirs = append(dirs, directive{Namespace: Namespace, Dimensions: [][]string{{DimFunction}, {DimFunction, DimStatus}},
			Metrics: []metricDef{{DownstreamStatus, UnitCount}}})
		line[DimStatus] = status
		line[DownstreamStatus] = 1
	}
	line["_aws"] = envelope{Timestamp: r.now().UnixMilli(), CloudWatchMetrics: dirs}
	r.writeLine(line)
}

func (r *Recorder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// writeLine prints one EMF line.
func (r *Recorder) writeLine(line map[string]any) {
	b, err := json.Marshal(line)
	if err != nil {
		return // every value is a string or a number: cannot happen
	}
	b = append(b, '\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	// A metric that cannot be written is lost, never a delivery's failure.
	_, _ = r.w.Write(b)
}

// milliseconds rounds d to the microsecond, in milliseconds.
func milliseconds(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// Tally adds up the requests one delivery sends downstream, as a client's
// retry loop reports them. It is safe for concurrent use; its zero value
// is ready, and a nil *Tally adds nothing.
type Tally struct {
	mu sync.Mutex
	d  Downstream
}

// Try adds one request that took took; n is 0 for a call's first request
// and counts the retries after it.
func (t *Tally) Try(n int, took time.Duration) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.d.Requests++
	if n > 0 {
		t.d.Retries++
	}
	t.d.Latency += took
}

// Downstream is the tally so far: Requests, Retries and Latency.
func (t *Tally) Downstream() Downstream {
	if t == nil {
		return Downstream{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.d
}
