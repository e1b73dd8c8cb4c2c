package metricstest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/metrics"
	"github.com/brazezendesk/bridge/shared/metrics/metricstest"
)

// fakeTB records a failure and stops the goroutine, as testing's does.
type fakeTB struct {
	testing.TB
	failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func parseFails(text string) string {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		metricstest.Parse(f, text)
	}()
	<-done
	return f.failed
}

const good = `{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":[{"Namespace":"BrazeZendeskBridge","Dimensions":[["Function"],["Function","Outcome"]],"Metrics":[{"Name":"Deliveries","Unit":"Count"}]}]},"Function":"BrazeToZendesk","Outcome":"created","Deliveries":1}`

// Parse is strict: each way a line can fall short of EMF, or carry more
// than its metrics, fails the test.
func TestParseIsStrict(t *testing.T) {
	if msg := parseFails(good); msg != "" {
		t.Fatalf("a good line failed: %s", msg)
	}
	for name, bad := range map[string]string{
		"not JSON":               `Deliveries=1`,
		"no _aws":                `{"Function":"BrazeToZendesk","Deliveries":1}`,
		"no Timestamp":           strings.Replace(good, `"Timestamp":1764000000000,`, "", 1),
		"Timestamp in seconds":   strings.Replace(good, `1764000000000`, `1764000000.5`, 1),
		"no directives":          `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"Function":"BrazeToZendesk"}`,
		"another namespace":      strings.Replace(good, `BrazeZendeskBridge`, `Other`, 1),
		"no namespace":           strings.Replace(good, `"Namespace":"BrazeZendeskBridge",`, ``, 1),
		"metric not top-level":   strings.Replace(good, `,"Deliveries":1}`, `}`, 1),
		"metric a string":        strings.Replace(good, `"Deliveries":1}`, `"Deliveries":"1"}`, 1),
		"dimension missing":      strings.Replace(good, `"Outcome":"created",`, ``, 1),
		"dimension not a string": strings.Replace(good, `"Outcome":"created"`, `"Outcome":3`, 1),
		"dimension off the set":  strings.Replace(good, `"Outcome":"created"`, `"Outcome":"ada@example.com"`, 1),
		"function off the set":   strings.Replace(good, `"Function":"BrazeToZendesk"`, `"Function":"Other"`, 1),
		"unknown unit":           strings.Replace(good, `"Count"`, `"Bytes"`, 1),
		"extra top-level field":  strings.Replace(good, `"Deliveries":1}`, `"Deliveries":1,"email":"ada@example.com"}`, 1),
		"extra _aws field":       strings.Replace(good, `"Timestamp"`, `"LogGroupName":"x","Timestamp"`, 1),
		"metric declared twice":  strings.Replace(good, `{"Name":"Deliveries","Unit":"Count"}`, `{"Name":"Deliveries","Unit":"Count"},{"Name":"Deliveries","Unit":"Count"}`, 1),
		"empty dimension set":    strings.Replace(good, `[["Function"],["Function","Outcome"]]`, `[[]]`, 1),
		"status off the set":     strings.Replace(strings.Replace(good, `[["Function"],["Function","Outcome"]]`, `[["Function"],["Function","Outcome"],["Function","Status"]]`, 1), `"Deliveries":1}`, `"Deliveries":1,"Status":"user-123"}`, 1),
		"second line is not EMF": good + "\n{}",
	} {
		if parseFails(bad) == "" {
			t.Errorf("%s: Parse took %s", name, bad)
		}
	}
}

func TestCaptureReadsItsOwnLines(t *testing.T) {
	c := metricstest.New(metrics.ZendeskToBraze)
	c.Delivery(metrics.Created, metrics.Downstream{Requests: 1})
	c.Redelivery(metrics.Dropped, metrics.Downstream{Status: "422"})
	lines := c.Lines(t)
	if len(lines) != 2 || lines[0].Outcome() != "created" || lines[1].Dimensions["Status"] != "422" {
		t.Fatalf("%v", lines)
	}
	c.Reset()
	if c.Text() != "" || len(c.Lines(t)) != 0 {
		t.Errorf("after Reset: %q", c.Text())
	}
}
