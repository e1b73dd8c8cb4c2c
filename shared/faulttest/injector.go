package faulttest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Kind is a way an API call fails.
type Kind string

// The faults an Injector spreads its failures over.
const (
	// RateLimitShort is a 429 asking to wait 1 second.
	RateLimitShort Kind = "429 Retry-After 1s"
	// RateLimitLong is a 429 asking to wait 30 to 300 seconds.
	RateLimitLong Kind = "429 Retry-After 30-300s"
	// ServerError is a 500.
	ServerError Kind = "500"
	// Unavailable is a 503 without Retry-After.
	Unavailable Kind = "503"
	// Slow is an answer that comes after the caller's attempt timeout: the
	// caller gives up first, and the API, seeing it gone, does nothing.
	Slow Kind = "slow"
	// Reset closes the connection with a TCP reset before doing anything.
	Reset Kind = "connection reset"
	// Lost does the work, then closes the connection instead of answering:
	// created, but the answer was lost.
	Lost Kind = "lost answer"
	// Outage is a 503 answered to every call while Outage is set; it is not
	// one of the random kinds.
	Outage Kind = "outage 503"
)

// Kinds are the random faults, in the order an Injector draws them.
var Kinds = []Kind{RateLimitShort, RateLimitLong, ServerError, Unavailable, Slow, Reset, Lost}

// Call is one call a fault struck.
type Call struct {
	Method, Path string
	Body         []byte
	Fault        Kind
}

// Injector is HTTP middleware that fails a seeded random share of the calls
// it passes, spread evenly over Kinds, or every call during an outage. It is
// safe for concurrent use; set its fields before the first call.
type Injector struct {
	// Rate is the share of calls that fail.
	Rate float64
	// Kinds are the faults drawn from; nil means all of the package's Kinds.
	Kinds []Kind
	// SlowDelay is how long a Slow answer would take: longer than the
	// caller's attempt timeout.
	SlowDelay time.Duration

	mu     sync.Mutex
	rng    *rand.Rand
	paused bool
	outage int
	calls  int
	faults map[Kind]int
	struck []Call
	seq    atomic.Int64
	served map[string]Call // calls the API served, by the tag of the client that made them
	failed map[string]bool // tags of calls whose caller got no answer
}

// NewInjector returns an injector failing rate of the calls, drawn from a
// generator seeded with seed, so that a run can be told again.
func NewInjector(seed uint64, rate float64) *Injector {
	return &Injector{
		Rate:      rate,
		SlowDelay: 2 * time.Second,
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		faults:    map[Kind]int{},
		served:    map[string]Call{},
		failed:    map[string]bool{},
	}
}

// callTag is the header a Client's requests carry, so that what the API
// served can be matched with what its caller saw.
const callTag = "X-Faulttest-Call"

// Client is an HTTP client for a container of its own (its own
// connections, timeout for each attempt) whose calls the injector can match
// with what their callers saw: see Unanswered.
func (in *Injector) Client(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &tagger{in: in, base: http.DefaultTransport.(*http.Transport).Clone()}}
}

// Unanswered returns the calls the API served (without a fault, or slowly
// while its caller still waited) whose caller got no answer all the same:
// its attempt timed out first, the machine being slow. For the caller that
// is a lost answer, as if injected.
func (in *Injector) Unanswered() []Call {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []Call
	for tag := range in.failed {
		if c, ok := in.served[tag]; ok && c.Fault != Lost {
			out = append(out, c)
		}
	}
	return out
}

type tagger struct {
	in   *Injector
	base http.RoundTripper
}

func (tg *tagger) RoundTrip(req *http.Request) (*http.Response, error) {
	tag := strconv.FormatInt(tg.in.seq.Add(1), 10)
	req = req.Clone(req.Context())
	req.Header.Set(callTag, tag)
	resp, err := tg.base.RoundTrip(req)
	if err != nil {
		tg.in.noAnswer(tag)
		return nil, err
	}
	resp.Body = &taggedBody{ReadCloser: resp.Body, fail: func() { tg.in.noAnswer(tag) }}
	return resp, nil
}

func (in *Injector) noAnswer(tag string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.failed[tag] = true
}

// taggedBody reports a body that could not be read to its end.
type taggedBody struct {
	io.ReadCloser
	fail func()
	once sync.Once
}

func (b *taggedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.once.Do(b.fail)
	}
	return n, err
}

// Pause stops (true) or resumes (false) the random faults.
func (in *Injector) Pause(p bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.paused = p
}

// SetOutage answers status (a 503, say) to every call until SetOutage(0).
func (in *Injector) SetOutage(status int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.outage = status
}

// Calls is how many calls reached the injector.
func (in *Injector) Calls() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.calls
}

// Faults is how many calls each kind of fault struck.
func (in *Injector) Faults() map[Kind]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[Kind]int, len(in.faults))
	for k, n := range in.faults {
		out[k] = n
	}
	return out
}

// Struck returns the calls the faults of kind struck, with their bodies.
func (in *Injector) Struck(kind Kind) []Call {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []Call
	for _, c := range in.struck {
		if c.Fault == kind {
			out = append(out, c)
		}
	}
	return out
}

// FaultSummary lists the faults injected by kind, for a log line.
func (in *Injector) FaultSummary() string {
	f := in.Faults()
	total := 0
	var parts []string
	for _, k := range append(append([]Kind(nil), Kinds...), Outage) {
		if f[k] > 0 {
			parts = append(parts, string(k)+": "+strconv.Itoa(f[k]))
			total += f[k]
		}
	}
	return strconv.Itoa(total) + " of " + strconv.Itoa(in.Calls()) + " calls (" + strings.Join(parts, ", ") + ")"
}

func (in *Injector) decide(r *http.Request, body []byte) (Kind, int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.calls++
	var k Kind
	wait := 0
	switch {
	case in.outage != 0:
		k, wait = Outage, in.outage
	case in.paused || in.rng.Float64() >= in.Rate:
		return "", 0
	default:
		kinds := in.Kinds
		if len(kinds) == 0 {
			kinds = Kinds
		}
		k = kinds[in.rng.IntN(len(kinds))]
		switch k {
		case RateLimitShort:
			wait = 1
		case RateLimitLong:
			wait = 30 + in.rng.IntN(271)
		}
	}
	in.faults[k]++
	in.struck = append(in.struck, Call{Method: r.Method, Path: r.URL.Path, Body: body, Fault: k})
	return k, wait
}

// Wrap puts the injector in front of next.
func (in *Injector) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: the server then watches the connection, and
		// cancels the request's context when the caller hangs up.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		kind, n := in.decide(r, body)
		serve := func(w http.ResponseWriter) {
			next.ServeHTTP(w, r)
			if tag := r.Header.Get(callTag); tag != "" {
				in.mu.Lock()
				in.served[tag] = Call{Method: r.Method, Path: r.URL.Path, Body: body, Fault: kind}
				in.mu.Unlock()
			}
		}
		switch kind {
		case "":
			serve(w)
		case Outage:
			fail(w, n, "", "the service is down")
		case RateLimitShort, RateLimitLong:
			fail(w, http.StatusTooManyRequests, strconv.Itoa(n), "rate limited")
		case ServerError:
			fail(w, http.StatusInternalServerError, "", "internal error")
		case Unavailable:
			fail(w, http.StatusServiceUnavailable, "", "unavailable")
		case Slow:
			t := time.NewTimer(in.SlowDelay)
			defer t.Stop()
			select {
			case <-r.Context().Done():
				return // the caller gave up; the API never started
			case <-t.C:
				serve(w)
			}
		case Reset:
			hangUp(w, true)
		case Lost:
			serve(&discard{header: http.Header{}})
			hangUp(w, false)
		}
	})
}

// Serve runs next behind the injector on a loopback server of its own for
// the length of the test, and returns its URL.
func (in *Injector) Serve(t testing.TB, next http.Handler) string {
	srv := httptest.NewServer(in.Wrap(next))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fail answers status with a body both APIs' error shapes read.
func fail(w http.ResponseWriter, status int, retryAfter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	io.WriteString(w, `{"error": "InjectedFault", "description": "`+msg+`", "message": "`+msg+`"}`)
}

// hangUp closes the connection without an answer; reset makes it a TCP
// reset rather than an orderly close.
func hangUp(w http.ResponseWriter, reset bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("faulttest: the response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		tc.SetLinger(0)
	}
	conn.Close()
}

// discard keeps nothing of an answer nobody will read.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header       { return d.header }
func (*discard) Write(b []byte) (int, error) { return len(b), nil }
func (*discard) WriteHeader(int)             {}

// Counts is a tally by key, safe for concurrent use.
type Counts[K comparable] struct {
	mu sync.Mutex
	m  map[K]int
}

// Add counts one more k.
func (c *Counts[K]) Add(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[K]int{}
	}
	c.m[k]++
}

// Get is how many k were counted.
func (c *Counts[K]) Get(k K) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

// Map is a copy of the tally.
func (c *Counts[K]) Map() map[K]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[K]int, len(c.m))
	for k, n := range c.m {
		out[k] = n
	}
	return out
}

// String lists the tally sorted by key.
func (c *Counts[K]) String() string {
	byName := map[string]int{}
	for k, n := range c.Map() {
		byName[fmt.Sprint(k)] += n
	}
	keys := make([]string, 0, len(byName))
	for k := range byName {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+strconv.Itoa(byName[k]))
	}
	return strings.Join(parts, ", ")
}
