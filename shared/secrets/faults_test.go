package secrets_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/webhook"
)

const accountID = "123456789012"

// sdkText is what the SDK's errors (and the proxy's answers) carry that must
// never reach a caller.
var sdkText = []string{"RequestID", "api error", "operation error", "arn:", accountID,
	"StatusCode", "https response error", "Rate exceeded", "deadline", "EOF", "dial tcp",
	"127.0.0.1", "assumed-role", "exceeded", "retry quota"}

func assertNoSDKText(t *testing.T, what, s string) {
	t.Helper()
	for _, bad := range sdkText {
		if strings.Contains(s, bad) {
			t.Errorf("%s carries SDK text %q: %s", what, bad, s)
		}
	}
}

// unavailable asserts err is an UnavailableError of the given fault, whose
// message names the secret and says what it should, carries no SDK text,
// keeps the SDK's error behind Unwrap, and is answered 503 with Retry-After.
func unavailable(t *testing.T, err error, secret string, fault secrets.Fault, says string) *secrets.UnavailableError {
	t.Helper()
	var ue *secrets.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %T %v, want a *secrets.UnavailableError", err, err)
	}
	var ce *secrets.ConfigError
	if errors.As(err, &ce) {
		t.Errorf("a passing fault is also a ConfigError: %v", err)
	}
	msg := ue.Error()
	if ue.Fault != fault || !strings.Contains(msg, says) || !strings.Contains(msg, secret) {
		t.Errorf("Fault = %v, Error() = %q; want %v, naming %s and saying %q", ue.Fault, msg, fault, secret, says)
	}
	assertNoSDKText(t, "Error()", msg)
	if errors.Unwrap(ue) == nil {
		t.Error("the SDK's error is not kept for Unwrap")
	}

	r := (&webhook.Misconfig{}).Fail(context.Background(), err)
	if r.Status != http.StatusServiceUnavailable || r.Header["retry-after"] != "5" {
		t.Errorf("Misconfig.Fail = %d, Retry-After %q; want 503 with Retry-After 5", r.Status, r.Header["retry-after"])
	}
	var body struct {
		Error      string `json:"error"`
		RetryAfter int    `json:"retry_after"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Error != msg || body.RetryAfter != 5 {
		t.Errorf("answer %s, want error %q and retry_after 5", r.Body, msg)
	}
	assertNoSDKText(t, "the answer", string(r.Body))
	return ue
}

// misconfigured asserts err is a ConfigError naming the secret and saying
// what it should, answered 500, with no SDK text.
func misconfigured(t *testing.T, err error, secret, says string) {
	t.Helper()
	var ce *secrets.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %T %v, want a *secrets.ConfigError", err, err)
	}
	var ue *secrets.UnavailableError
	if errors.As(err, &ue) {
		t.Errorf("a misconfiguration is also an UnavailableError: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, secret) || !strings.Contains(msg, says) {
		t.Errorf("Error() = %q, want it to name %s and say %q", msg, secret, says)
	}
	assertNoSDKText(t, "Error()", err.Error())
	r := (&webhook.Misconfig{}).Fail(context.Background(), err)
	if r.Status != http.StatusInternalServerError || r.Header["retry-after"] != "" {
		t.Errorf("Misconfig.Fail = %d (Retry-After %q), want 500 without Retry-After", r.Status, r.Header["retry-after"])
	}
	if !strings.Contains(string(r.Body), "misconfigured") || !strings.Contains(string(r.Body), secret) {
		t.Errorf("answer %s does not say misconfigured and name %s", r.Body, secret)
	}
	assertNoSDKText(t, "the answer", string(r.Body))
}

// quickRetries is the SDK's standard retryer with backoffs too short to
// matter; slowRetries one whose first backoff outlasts any read.
func quickRetries(o *secretsmanager.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
	})
}

func slowRetries(o *secretsmanager.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Minute, nil })
	})
}

func TestFaultsThroughProxy(t *testing.T) {
	m := mototest.Start(t)
	p := mototest.StartFaultProxy(t, m)
	m.Put(t, "bridge/faults", map[string]string{"k": "v1"})
	ctx := context.Background()
	quick := p.Client(t, quickRetries)
	newCache := func(client secrets.GetSecretValueAPI, id string) *secrets.Cache {
		c := secrets.NewCache(secrets.Manager{Client: client, ID: id}, time.Minute)
		c.ReadTimeout = 2 * time.Second
		return c
	}

	t.Run("pass", func(t *testing.T) {
		before := p.Requests()
		v, err := newCache(p.Client(t), "bridge/faults").Get(ctx)
		if err != nil || v.Get("k") != "v1" {
			t.Fatalf("Get through the proxy = %q, %v", v.Get("k"), err)
		}
		if p.Requests() != before+1 {
			t.Errorf("requests through the proxy = %d, want 1", p.Requests()-before)
		}
	})

	t.Run("throttled", func(t *testing.T) {
		p.Set(mototest.Throttle)
		defer p.Set(mototest.Pass)
		before := p.Requests()
		_, err := newCache(quick, "bridge/faults").Get(ctx)
		ue := unavailable(t, err, "bridge/faults", secrets.FaultThrottled, "Secrets Manager is throttling")
		var api smithy.APIError
		if !errors.As(ue, &api) || api.ErrorCode() != "ThrottlingException" {
			t.Errorf("the SDK's ThrottlingException is not behind Unwrap: %v", errors.Unwrap(ue))
		}
		if p.Requests() == before {
			t.Error("no request reached the proxy")
		}
	})

	t.Run("throttled until the read runs out of time", func(t *testing.T) {
		// The SDK waits to retry, the read's time runs out meanwhile: the
		// fault is still the throttling, not a slow Secrets Manager.
		p.Set(mototest.Throttle)
		defer p.Set(mototest.Pass)
		c := newCache(p.Client(t, slowRetries), "bridge/faults")
		c.ReadTimeout = 300 * time.Millisecond
		start := time.Now()
		_, err := c.Get(ctx)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Get took %v with a ReadTimeout of 300ms", d)
		}
		unavailable(t, err, "bridge/faults", secrets.FaultThrottled, "throttling")
	})

	t.Run("server error", func(t *testing.T) {
		p.Set(mototest.ServerError)
		defer p.Set(mototest.Pass)
		_, err := newCache(quick, "bridge/faults").Get(ctx)
		unavailable(t, err, "bridge/faults", secrets.FaultFailed, "Secrets Manager failed")
	})

	t.Run("hanging", func(t *testing.T) {
		p.Set(mototest.Hang)
		defer p.Set(mototest.Pass)
		c := newCache(p.Client(t), "bridge/faults")
		c.ReadTimeout = 300 * time.Millisecond
		// A guard for a cache that would wait forever; it must not be what ends the read.
		guard, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Get(guard)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Get took %v with a ReadTimeout of 300ms", d)
		}
		unavailable(t, err, "bridge/faults", secrets.FaultTimeout, "in time")
	})

	t.Run("connection closed", func(t *testing.T) {
		p.Set(mototest.CloseConn)
		defer p.Set(mototest.Pass)
		_, err := newCache(quick, "bridge/faults").Get(ctx)
		unavailable(t, err, "bridge/faults", secrets.FaultUnreachable, "could not be reached")
	})

	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := "http://" + l.Addr().String()
		l.Close()
		client := p.Client(t, quickRetries, func(o *secretsmanager.Options) { o.BaseEndpoint = &closed })
		_, err = newCache(client, "bridge/faults").Get(ctx)
		unavailable(t, err, "bridge/faults", secrets.FaultUnreachable, "could not be reached")
	})

	t.Run("recovers without a new cache", func(t *testing.T) {
		clock := clocktest.New()
		c := newCache(quick, "bridge/recovers")
		c.Now = clock.Now
		p.Set(mototest.Throttle)
		_, err := c.Get(ctx)
		unavailable(t, err, "bridge/recovers", secrets.FaultThrottled, "throttling")
		p.Set(mototest.CloseConn)
		_, err = c.Get(ctx)
		unavailable(t, err, "bridge/recovers", secrets.FaultUnreachable, "could not be reached")
		p.Set(mototest.Pass)
		m.Put(t, "bridge/recovers", map[string]string{"k": "back"})
		if v, err := c.Get(ctx); err != nil || v.Get("k") != "back" {
			t.Fatalf("Get once Secrets Manager is back = %q, %v", v.Get("k"), err)
		}
		// The TTL passes during an outage: the last good secret is served.
		clock.Add(2 * time.Minute)
		p.Set(mototest.ServerError)
		defer p.Set(mototest.Pass)
		before := p.Requests()
		if v, err := c.Get(ctx); err != nil || v.Get("k") != "back" {
			t.Fatalf("Get past the TTL during an outage = %q, %v; want the last good secret", v.Get("k"), err)
		}
		if p.Requests() == before {
			t.Error("Get past the TTL did not try to read the secret again")
		}
		// Require and Refresh say why they could not read it.
		if _, err := c.Refresh(ctx); err == nil {
			t.Error("Refresh during an outage: no error")
		} else {
			unavailable(t, err, "bridge/recovers", secrets.FaultFailed, "failed")
		}
	})

	t.Run("an ARN never reaches the message", func(t *testing.T) {
		arn := "arn:aws:secretsmanager:us-east-1:" + accountID + ":secret:bridge/by-arn-AbCdEf"
		p.Set(mototest.Throttle)
		defer p.Set(mototest.Pass)
		_, err := newCache(quick, arn).Get(ctx)
		unavailable(t, err, "bridge/by-arn-AbCdEf", secrets.FaultThrottled, "throttling")
		p.Set(mototest.Pass)
		_, err = newCache(quick, arn).Get(ctx)
		misconfigured(t, err, "bridge/by-arn-AbCdEf", "does not exist")
	})
}

func TestMisconfigurationsThroughProxy(t *testing.T) {
	m := mototest.Start(t)
	p := mototest.StartFaultProxy(t, m)
	m.Put(t, "bridge/config", map[string]string{"k": "v"})
	ctx := context.Background()
	denied := fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/bridge-fn/x is not authorized to perform: secretsmanager:GetSecretValue on resource: bridge/config because no identity-based policy allows the secretsmanager:GetSecretValue action", accountID)

	for _, tc := range []struct {
		name string
		mode mototest.Mode
		says []string
	}{
		{"not found", mototest.Pass, []string{"does not exist", "SECRET_ID"}},
		{"access denied", mototest.Answer(400, "AccessDeniedException", denied),
			[]string{"role may not read", "secretsmanager:GetSecretValue"}},
		{"no kms access", mototest.Answer(400, "AccessDeniedException", "Access to KMS is not allowed"),
			[]string{"cannot be decrypted", "kms:Decrypt"}},
		{"decryption failure", mototest.Answer(400, "DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key."),
			[]string{"cannot be decrypted", "kms:Decrypt"}},
		{"scheduled for deletion", mototest.Answer(400, "InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion."),
			[]string{"cannot be read", "deletion"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.Set(tc.mode)
			defer p.Set(mototest.Pass)
			id := "bridge/config"
			if tc.name == "not found" {
				id = "bridge/absent"
			}
			c := secrets.NewCache(secrets.Manager{Client: p.Client(t, quickRetries), ID: id}, time.Minute)
			_, err := c.Get(ctx)
			for _, s := range tc.says {
				misconfigured(t, err, id, s)
			}
			var api smithy.APIError
			if !errors.As(err, &api) {
				t.Errorf("the SDK's error is not behind Unwrap: %v", err)
			}
			_, err = c.Require(ctx, "k")
			misconfigured(t, err, id, tc.says[0])
		})
	}

	t.Run("not a JSON object", func(t *testing.T) {
		m.PutString(t, "bridge/array", `["hunter2"]`)
		_, err := secrets.NewCache(secrets.Manager{Client: p.Client(t), ID: "bridge/array"}, 0).Get(ctx)
		misconfigured(t, err, "bridge/array", "not a JSON object of strings")
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error carries the value: %v", err)
		}
	})
}

func TestFromEnvThroughProxy(t *testing.T) {
	m := mototest.Start(t)
	p := mototest.StartFaultProxy(t, m)
	m.Put(t, "bridge/env", map[string]string{"k": "from-env"})
	for _, kv := range p.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("SECRET_ID", "bridge/env")
	t.Setenv("SECRETS_FILE", "")
	ctx := context.Background()
	src, err := secrets.FromEnv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := secrets.NewCache(src, time.Minute)
	c.ReadTimeout = 300 * time.Millisecond
	before := p.Requests()
	if v, err := c.Get(ctx); err != nil || v.Get("k") != "from-env" {
		t.Fatalf("Get = %q, %v", v.Get("k"), err)
	}
	if p.Requests() != before+1 {
		t.Fatalf("a source from p.Env() made %d requests through the proxy, want 1", p.Requests()-before)
	}
	p.Set(mototest.Hang)
	defer p.Set(mototest.Pass)
	_, err = c.Refresh(ctx)
	unavailable(t, err, "bridge/env", secrets.FaultTimeout, "in time")
}

func TestRequireThroughProxy(t *testing.T) {
	m := mototest.Start(t)
	p := mototest.StartFaultProxy(t, m)
	m.Put(t, "bridge/require", map[string]string{"a": "1", "b": " "})
	ctx := context.Background()
	clock := clocktest.New()
	c := secrets.NewCache(secrets.Manager{Client: p.Client(t, quickRetries), ID: "bridge/require"}, time.Hour)
	c.Now = clock.Now

	requests := p.Requests()
	reads := func() int {
		t.Helper()
		n := p.Requests() - requests
		requests = p.Requests()
		return n
	}

	_, err := c.Require(ctx, "a", "b", "c")
	var ce *secrets.ConfigError
	var mk *secrets.MissingKeysError
	if !errors.As(err, &ce) || !errors.As(err, &mk) || strings.Join(mk.Keys, ",") != "b,c" {
		t.Fatalf("Require = %v, want a ConfigError wrapping MissingKeysError{b, c}", err)
	}
	if n := reads(); n != 1 {
		t.Fatalf("first Require made %d reads, want 1", n)
	}
	if v, err := c.Require(ctx, "a"); err != nil || v.Get("a") != "1" {
		t.Fatalf("Require of a present key = %q, %v", v.Get("a"), err)
	}

	// The operator fills the keys in.
	m.Put(t, "bridge/require", map[string]string{"a": "1", "b": "2", "c": "3"})
	clock.Add(secrets.MinRefetch - time.Second)
	if _, err := c.Require(ctx, "a", "b", "c"); !errors.As(err, &mk) {
		t.Fatalf("Require before MinRefetch = %v, want the keys still missing", err)
	}
	if n := reads(); n != 0 {
		t.Fatalf("Require before MinRefetch made %d reads, want 0", n)
	}
	clock.Add(time.Second)
	v, err := c.Require(ctx, "a", "b", "c")
	if err != nil || v.Get("b") != "2" || v.Get("c") != "3" {
		t.Fatalf("Require after MinRefetch = %v, %v; want the filled keys", v, err)
	}
	if n := reads(); n != 1 {
		t.Fatalf("Require after MinRefetch made %d reads, want 1", n)
	}
	// Present keys come from the cache; Get sees the new secret too.
	clock.Add(time.Minute)
	if _, err := c.Require(ctx, "a", "b", "c"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx); err != nil || v.Get("c") != "3" {
		t.Fatalf("Get = %q, %v", v.Get("c"), err)
	}
	if n := reads(); n != 0 {
		t.Fatalf("Require and Get within the TTL made %d reads, want 0", n)
	}

	// A key that never comes is read at most once per MinRefetch.
	for range 5 {
		clock.Add(time.Second)
		c.Require(ctx, "d")
	}
	if n := reads(); n != 1 {
		t.Fatalf("5 Requires over 5 s for a missing key made %d reads, want 1", n)
	}

	// A read that fails says why, typed.
	clock.Add(secrets.MinRefetch)
	p.Set(mototest.Throttle)
	defer p.Set(mototest.Pass)
	_, err = c.Require(ctx, "d")
	unavailable(t, err, "bridge/require", secrets.FaultThrottled, "throttling")
	fresh := secrets.NewCache(secrets.Manager{Client: p.Client(t, quickRetries), ID: "bridge/require"}, time.Hour)
	_, err = fresh.Require(ctx, "a")
	unavailable(t, err, "bridge/require", secrets.FaultThrottled, "throttling")
}

func TestRecheckThroughProxy(t *testing.T) {
	m := mototest.Start(t)
	p := mototest.StartFaultProxy(t, m)
	m.Put(t, "bridge/inbound", map[string]string{"token": "v1"})
	ctx := context.Background()
	clock := clocktest.New()
	c := secrets.NewCache(secrets.Manager{Client: p.Client(t, quickRetries), ID: "bridge/inbound"}, time.Hour)
	c.Now = clock.Now

	requests := p.Requests()
	reads := func() int {
		t.Helper()
		n := p.Requests() - requests
		requests = p.Requests()
		return n
	}
	recheck := func(wantToken string, wantRefetched bool, wantReads int) {
		t.Helper()
		v, refetched, err := c.Recheck(ctx)
		if err != nil || v.Get("token") != wantToken || refetched != wantRefetched {
			t.Fatalf("Recheck = %q, refetched %v, %v; want %q, refetched %v", v.Get("token"), refetched, err, wantToken, wantRefetched)
		}
		if n := reads(); n != wantReads {
			t.Fatalf("Recheck made %d reads, want %d", n, wantReads)
		}
	}

	if v, err := c.Get(ctx); err != nil || v.Get("token") != "v1" {
		t.Fatalf("Get = %q, %v", v.Get("token"), err)
	}
	reads()
	m.Put(t, "bridge/inbound", map[string]string{"token": "v2"}) // rotated

	// Seen at once, though the secret was read a moment ago: only
	// Recheck's own reads count against MinRefetch.
	recheck("v2", true, 1)
	m.Put(t, "bridge/inbound", map[string]string{"token": "v2b"})
	clock.Add(secrets.MinRefetch - time.Millisecond)
	recheck("v2", false, 0) // rechecked too recently
	clock.Add(time.Millisecond)
	recheck("v2b", true, 1)
	recheck("v2b", false, 0)
	if v, err := c.Get(ctx); err != nil || v.Get("token") != "v2b" {
		t.Fatalf("Get after Recheck = %q, %v", v.Get("token"), err)
	}

	// A stream of wrong credentials reads the secret at most once per MinRefetch.
	for range 30 {
		clock.Add(time.Second)
		c.Recheck(ctx)
	}
	if n := reads(); n != 3 {
		t.Fatalf("30 Rechecks over 30 s made %d reads, want 3", n)
	}

	// Concurrent Rechecks do not stampede.
	clock.Add(secrets.MinRefetch)
	m.Put(t, "bridge/inbound", map[string]string{"token": "v3"})
	var wg sync.WaitGroup
	var mu sync.Mutex
	refetches := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, refetched, err := c.Recheck(ctx)
			if err != nil || v.Get("token") != "v3" {
				t.Errorf("concurrent Recheck = %q, %v; want v3", v.Get("token"), err)
			}
			if refetched {
				mu.Lock()
				refetches++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n := reads(); n != 1 || refetches != 1 {
		t.Fatalf("20 concurrent Rechecks: %d reads, %d reported a refetch; want 1 and 1", n, refetches)
	}

	// A failed read is reported, typed; the cached secret stays.
	clock.Add(secrets.MinRefetch)
	p.Set(mototest.Throttle)
	_, refetched, err := c.Recheck(ctx)
	if !refetched {
		t.Error("Recheck during throttling did not report that it read the secret")
	}
	unavailable(t, err, "bridge/inbound", secrets.FaultThrottled, "throttling")
	reads()
	recheck("v3", false, 0)
	if v, err := c.Get(ctx); err != nil || v.Get("token") != "v3" {
		t.Fatalf("Get after a failed Recheck = %q, %v; want the cached v3", v.Get("token"), err)
	}
	p.Set(mototest.Pass)
	clock.Add(secrets.MinRefetch)
	recheck("v3", true, 1)
}
