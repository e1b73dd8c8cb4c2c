package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brazezendesk/bridge/shared/queue"
)

// Secret is a secrets.Source holding vals, as the function's secret in
// Secrets Manager would.
type Secret map[string]string

// Name implements secrets.Source.
func (Secret) Name() string { return "faulttest/secret" }

// Load implements secrets.Source.
func (s Secret) Load(context.Context) ([]byte, error) { return json.Marshal(map[string]string(s)) }

// Transport is an HTTP client of a container of its own: its own
// connections, and timeout for each attempt.
func Transport(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}
}

// Request is an API Gateway HTTP API (payload 2.0) event for a POST of body
// to path with headers, as the function is invoked with.
func Request(path string, headers map[string]string, body []byte) json.RawMessage {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST " + path, RawPath: path, Headers: headers, Body: string(body),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST " + path, Stage: "$default", RequestID: "faulttest",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodPost, Path: path, Protocol: "HTTP/1.1"},
		},
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return raw
}

// Invoke calls fn with raw within timeout (the function's), and returns its
// answer to an API Gateway event. An answer that comes after giveUp (the
// sender's own timeout; 0: none) is status 0: the sender never saw it.
func Invoke(fn Function, timeout, giveUp time.Duration, raw json.RawMessage) Answer {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := fn(ctx, raw)
	if err != nil {
		return Answer{Status: -1, Body: []byte(err.Error())}
	}
	resp, ok := out.(events.APIGatewayV2HTTPResponse)
	if !ok {
		return Answer{Status: -1, Body: []byte(fmt.Sprintf("%T", out))}
	}
	if giveUp > 0 && time.Since(start) > giveUp {
		return Answer{Status: 0}
	}
	h := make(map[string]string, len(resp.Headers))
	for k, v := range resp.Headers {
		h[strings.ToLower(k)] = v
	}
	return Answer{Status: resp.StatusCode, Header: h, Body: []byte(resp.Body)}
}

// SQSEvent is records as Lambda's event source hands them to a function:
// the event lambdaio turns back into records with lambdaio.Records.
func SQSEvent(records []queue.Record) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(records))}
	for i, r := range records {
		ev.Records[i] = events.SQSMessage{
			MessageId: r.ID, ReceiptHandle: r.Handle, Body: string(r.Body), EventSource: "aws:sqs",
			Attributes: map[string]string{
				"ApproximateReceiveCount": strconv.Itoa(r.ReceiveCount),
				"SentTimestamp":           strconv.FormatInt(r.SentAt.UnixMilli(), 10),
			},
		}
	}
	return ev
}

// SDKText is text of the AWS SDK's and Go's errors, and of the bridge's own
// wrapping of them, that no failure's answer may carry.
var SDKText = []string{
	"RequestID", "operation error", "api error", "https response error", "exceeded maximum number of attempts",
	"arn:", "ThrottlingException", "InternalServiceError", "127.0.0.1", "dial tcp", "connection reset",
	"dedupe:", "queue:",
}

// Checker collects what is wrong with answers: a 500, an answer that is not
// a JSON object, a failure without words, a 429 (or, with RetryAfter503, a
// 503) without Retry-After or with one over MaxRetryAfter seconds (when that
// is set), SDK text in a failure.
type Checker struct {
	RetryAfter503 bool
	MaxRetryAfter int

	mu       sync.Mutex
	problems []string
}

// Check records what is wrong with a, if anything.
func (c *Checker) Check(a Answer) {
	var p []string
	var body map[string]any
	switch {
	case a.Status == 500:
		p = append(p, "a 500")
	case a.Status < 0:
		p = append(p, "no API Gateway answer")
	}
	if a.Status != 0 && json.Unmarshal(a.Body, &body) != nil {
		p = append(p, "a body that is not a JSON object")
	}
	if a.Status >= 400 {
		if msg, _ := body["error"].(string); msg == "" {
			p = append(p, "a failure without an error message")
		}
	}
	if a.Status == 429 || a.Status == 503 && c.RetryAfter503 {
		s, err := strconv.Atoi(a.Header["retry-after"])
		switch {
		case err != nil || s <= 0:
			p = append(p, fmt.Sprintf("a %d without Retry-After", a.Status))
		case c.MaxRetryAfter > 0 && s > c.MaxRetryAfter:
			p = append(p, fmt.Sprintf("a %d with Retry-After %d s", a.Status, s))
		}
	}
	for _, s := range SDKText {
		if a.Status >= 300 && bytes.Contains(a.Body, []byte(s)) {
			p = append(p, fmt.Sprintf("SDK text %q", s))
		}
	}
	if len(p) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.problems) < 20 {
		c.problems = append(c.problems, fmt.Sprintf("%s: %d %s", strings.Join(p, ", "), a.Status, a.Body))
	} else {
		c.problems[19] = "… and more"
	}
}

// Report fails t with every problem found.
func (c *Checker) Report(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.problems {
		t.Errorf("answer: %s", p)
	}
}

// Log is a logger the containers share, kept in memory and printed (its
// last lines) only when the test fails; with FAULTTEST_LOG set, the whole
// log is also written to that file, to read a run that passed.
func Log(t testing.TB) *slog.Logger {
	t.Helper()
	b := &lockedBuffer{}
	t.Cleanup(func() {
		if f := os.Getenv("FAULTTEST_LOG"); f != "" {
			os.WriteFile(f, []byte(b.String()), 0o644)
		}
		if t.Failed() {
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			t.Logf("the containers' last %d log lines:\n%s", min(len(lines), 60), strings.Join(lines[max(len(lines)-60, 0):], "\n"))
		}
	})
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
