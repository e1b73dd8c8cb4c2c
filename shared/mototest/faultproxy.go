package mototest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Mode is what a FaultProxy does with every request it receives.
type Mode struct {
	name   string
	status int    // answer with this status and body
	body   string //
	hang   bool   // hold the request until the client gives up
	close  bool   // close the connection without an answer
}

func (m Mode) String() string { return m.name }

// The modes a FaultProxy switches between.
var (
	// Pass forwards every request to moto and its answer back.
	Pass = Mode{name: "pass"}
	// Throttle answers as Secrets Manager does when it throttles.
	Throttle = Answer(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
	// ServerError answers as Secrets Manager does when it fails.
	ServerError = Answer(http.StatusInternalServerError, "InternalServiceError", "An error occurred on the server side.")
	// Hang never answers: the request waits until the client gives up.
	Hang = Mode{name: "hang", hang: true}
	// CloseConn closes the connection as soon as a request arrives.
	CloseConn = Mode{name: "close", close: true}
)

// Answer is a mode answering every request with status and an error in the
// AWS JSON protocol's shape, {"__type": errType, "message": message}, with
// a request id as AWS sends one.
func Answer(status int, errType, message string) Mode {
	b, _ := json.Marshal(map[string]string{"__type": errType, "message": message})
	return Mode{name: errType, status: status, body: string(b)}
}

// FaultProxy sits in front of a moto_server on its own loopback port and
// passes requests through, or fails them the way AWS services and networks
// fail, switched at run time. It counts the requests it receives. Start
// one per service whose faults a test injects, and point only that
// service's endpoint variable at it.
type FaultProxy struct {
	Endpoint string // http://127.0.0.1:port

	mode     atomic.Pointer[Mode]
	requests atomic.Int64
	done     chan struct{}
}

// StartFaultProxy runs a proxy in front of m, in Pass mode, for the length
// of the test.
func StartFaultProxy(t testing.TB, m *Moto) *FaultProxy {
	t.Helper()
	target, err := url.Parse(m.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{Endpoint: "http://" + l.Addr().String(), done: make(chan struct{})}
	p.Set(Pass)
	pass := httputil.NewSingleHostReverseProxy(target)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		p.serve(w, r, pass)
	})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); srv.Serve(l) }()
	t.Cleanup(func() {
		close(p.done) // release hanging requests
		srv.Close()
		wg.Wait()
	})
	return p
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request, pass http.Handler) {
	m := *p.mode.Load()
	switch {
	case m.hang:
		select {
		case <-r.Context().Done():
		case <-p.done:
		}
	case m.close:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("mototest: the response writer cannot be hijacked")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
	case m.status != 0:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Requestid", requestID())
		// DynamoDB's answers carry the CRC32 of their body, and its SDK
		// client checks it (warning on every answer without one).
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(m.body))), 10))
		w.WriteHeader(m.status)
		w.Write([]byte(m.body))
	default:
		pass.ServeHTTP(w, r)
	}
}

// Set switches what the proxy does with the requests that arrive next.
func (p *FaultProxy) Set(m Mode) {
	if m.name == "" {
		m = Pass
	}
	p.mode.Store(&m)
}

// Requests is how many requests have reached the proxy, whatever it did
// with them.
func (p *FaultProxy) Requests() int { return int(p.requests.Load()) }

// Env is the environment a process needs to reach every service through
// this proxy with the SDK's standard configuration.
func (p *FaultProxy) Env() []string { return env(p.Endpoint) }

// Client is an SDK client, with the SDK's default configuration (its
// retries included), that reaches Secrets Manager through the proxy.
// optFns adjust it, e.g. its Retryer.
func (p *FaultProxy) Client(t testing.TB, optFns ...func(*secretsmanager.Options)) *secretsmanager.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	endpoint := p.Endpoint
	return secretsmanager.NewFromConfig(cfg, append([]func(*secretsmanager.Options){
		func(o *secretsmanager.Options) { o.BaseEndpoint = &endpoint },
	}, optFns...)...)
}

func requestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	s := hex.EncodeToString(b)
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
