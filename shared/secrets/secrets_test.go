package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"

	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/secrets"
)

func TestManagerAgainstMoto(t *testing.T) {
	m := mototest.Start(t)
	m.Put(t, "bridge/test", map[string]string{"zendesk_email": "agent@example.com", "zendesk_api_token": " tok1 "})
	m.PutString(t, "bridge/not-json", "hunter2-not-json")
	m.PutString(t, "bridge/not-strings", `{"zendesk_email": 42}`)
	ctx := context.Background()

	t.Run("reads and trims", func(t *testing.T) {
		c := secrets.NewCache(secrets.Manager{Client: m.Client, ID: "bridge/test"}, time.Minute)
		v, err := c.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Get("zendesk_api_token"); got != "tok1" {
			t.Fatalf("token = %q, want tok1", got)
		}
		if err := v.Require("zendesk_email", "zendesk_api_token"); err != nil {
			t.Fatal(err)
		}
		err = v.Require("braze_webhook_token", "zendesk_email", "absent")
		var mk *secrets.MissingKeysError
		if !errors.As(err, &mk) || strings.Join(mk.Keys, ",") != "absent,braze_webhook_token" {
			t.Fatalf("Require = %v, want the two missing keys", err)
		}
	})

	t.Run("errors name the secret, never a value", func(t *testing.T) {
		for _, tc := range []struct{ id, want string }{
			{"bridge/missing", "does not exist"},
			{"bridge/not-json", "not a JSON object"},
			{"bridge/not-strings", `"zendesk_email" must be a string`},
		} {
			_, err := secrets.NewCache(secrets.Manager{Client: m.Client, ID: tc.id}, 0).Get(ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.id) {
				t.Errorf("%s: err = %v, want it to name the secret and say %q", tc.id, err, tc.want)
			}
			var ce *secrets.ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("%s: err = %T %v, want a *secrets.ConfigError", tc.id, err, err)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%s: error leaks the secret value: %v", tc.id, err)
			}
		}
	})

	t.Run("refresh sees a rotated value; get waits for the TTL", func(t *testing.T) {
		m.Put(t, "bridge/rotating", map[string]string{"k": "v1"})
		c := secrets.NewCache(secrets.Manager{Client: m.Client, ID: "bridge/rotating"}, time.Hour)
		if v, _ := c.Get(ctx); v.Get("k") != "v1" {
			t.Fatal("first read")
		}
		m.Put(t, "bridge/rotating", map[string]string{"k": "v2"})
		if v, _ := c.Get(ctx); v.Get("k") != "v1" {
			t.Fatal("Get within the TTL should serve the cached value")
		}
		if v, err := c.Refresh(ctx); err != nil || v.Get("k") != "v2" {
			t.Fatalf("Refresh = %v, %v; want v2", v.Get("k"), err)
		}
	})
}

type countingSource struct {
	mu  sync.Mutex
	n   int
	val string
	err error
}

func (s *countingSource) Name() string { return "counted" }
func (s *countingSource) Load(context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return []byte(s.val), s.err
}

func (s *countingSource) loads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *countingSource) set(val string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.val, s.err = val, err
}

func TestCacheTTL(t *testing.T) {
	src := &countingSource{val: `{"a":"1"}`}
	clock := clocktest.New()
	c := secrets.NewCache(src, time.Minute)
	c.Now = clock.Now
	ctx := context.Background()
	for range 3 {
		if _, err := c.Get(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Add(19 * time.Second)
	}
	if src.loads() != 1 {
		t.Fatalf("loads = %d, want 1 within the TTL", src.loads())
	}
	clock.Add(3 * time.Second) // 60 s after the read
	c.Get(ctx)
	if src.loads() != 2 {
		t.Fatalf("loads = %d, want 2 after the TTL", src.loads())
	}
	src.set(`{"a":"1"}`, errors.New("boom"))
	if _, err := c.Refresh(ctx); err == nil {
		t.Fatal("Refresh should report the load error")
	}
	clock.Add(time.Minute)
	if v, err := c.Get(ctx); err != nil || v.Get("a") != "1" {
		t.Fatalf("Get after a failed refetch = %v, %v; want the last good secret", v, err)
	}
	if src.loads() != 4 {
		t.Fatalf("loads = %d, want the expired Get to have tried again", src.loads())
	}
	// While the source keeps failing, requests are served the last good
	// secret without each paying for another try, for MinRefetch.
	clock.Add(secrets.MinRefetch - time.Second)
	if v, err := c.Get(ctx); err != nil || v.Get("a") != "1" || src.loads() != 4 {
		t.Fatalf("Get soon after a failed try = %v, %v, loads %d; want the last good secret and no try", v, err, src.loads())
	}
	clock.Add(time.Second)
	c.Get(ctx)
	if src.loads() != 5 {
		t.Fatalf("loads = %d, want a try MinRefetch after the last one", src.loads())
	}
	_, err := secrets.NewCache(src, time.Minute).Get(ctx)
	var ce *secrets.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("a cache that never loaded must report the error, as a ConfigError: %v", err)
	}
}

func TestValuesNeverPrint(t *testing.T) {
	v := secrets.NewValues(map[string]string{"token": "hunter2"})
	var sb strings.Builder
	slog.New(slog.NewJSONHandler(&sb, nil)).Info("x", "secret", v)
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), sb.String()} {
		if strings.Contains(s, "hunter2") {
			t.Fatalf("secret value printed: %s", s)
		}
	}
}

// fixedFetcher answers every read with vals and err.
type fixedFetcher struct {
	vals          secrets.Values
	err, refresh  error
	gets, refetch int
}

func (f *fixedFetcher) Get(context.Context) (secrets.Values, error) { f.gets++; return f.vals, f.err }
func (f *fixedFetcher) Refresh(context.Context) (secrets.Values, error) {
	f.refetch++
	return f.vals, f.refresh
}
func (f *fixedFetcher) Require(_ context.Context, keys ...string) (secrets.Values, error) {
	f.gets++
	if f.err != nil {
		return secrets.Values{}, f.err
	}
	if err := f.vals.Require(keys...); err != nil {
		return secrets.Values{}, &secrets.ConfigError{Err: err}
	}
	return f.vals, nil
}
func (f *fixedFetcher) Recheck(context.Context) (secrets.Values, bool, error) {
	f.refetch++
	return f.vals, true, f.refresh
}

func TestWithRefetchPassesTypedErrors(t *testing.T) {
	rejected := errors.New("401")
	ctx := context.Background()
	unavailable := &secrets.UnavailableError{Secret: "bridge/x", Fault: secrets.FaultThrottled, Err: errors.New("api error ThrottlingException")}
	config := &secrets.ConfigError{Err: errors.New("secret bridge/x does not exist (check SECRET_ID)")}
	for _, want := range []error{unavailable, config} {
		t.Run(fmt.Sprintf("%T", want), func(t *testing.T) {
			called := 0
			call := func(secrets.Values) error { called++; return rejected }

			err := secrets.WithRefetch(ctx, &fixedFetcher{err: want}, []string{"k"}, rejected, call)
			if err != want || called != 0 {
				t.Errorf("read fails: WithRefetch = %#v (call ran %d times), want %#v unchanged and no call", err, called, want)
			}

			f := &fixedFetcher{vals: secrets.NewValues(map[string]string{"k": "v"}), refresh: want}
			err = secrets.WithRefetch(ctx, f, []string{"k"}, rejected, call)
			if err != want || called != 1 || f.refetch != 1 {
				t.Errorf("refetch after a 401 fails: WithRefetch = %#v (call ran %d times, %d refetches), want %#v unchanged after one call",
					err, called, f.refetch, want)
			}
		})
	}
}

func TestWithRefetchUsesRequire(t *testing.T) {
	rejected := errors.New("401")
	ctx := context.Background()
	src := &countingSource{val: `{"email":"a@example.com"}`}
	clock := clocktest.New()
	c := secrets.NewCache(src, time.Hour)
	c.Now = clock.Now
	var got []string
	call := func(v secrets.Values) error {
		got = append(got, v.Get("token"))
		if v.Get("token") == "old" {
			return rejected
		}
		return nil
	}
	keys := []string{"email", "token"}

	err := secrets.WithRefetch(ctx, c, keys, rejected, call)
	var ce *secrets.ConfigError
	var mk *secrets.MissingKeysError
	if !errors.As(err, &ce) || !errors.As(err, &mk) || len(got) != 0 {
		t.Fatalf("WithRefetch with a key missing = %v (calls %q), want a ConfigError naming the key and no call", err, got)
	}
	// The operator fills the key in: seen once MinRefetch has passed,
	// without waiting for the TTL.
	src.set(`{"email":"a@example.com","token":"new"}`, nil)
	clock.Add(secrets.MinRefetch)
	if err := secrets.WithRefetch(ctx, c, keys, rejected, call); err != nil || strings.Join(got, ",") != "new" {
		t.Fatalf("WithRefetch after MinRefetch = %v, calls %q; want one call with the filled key", err, got)
	}
	if src.loads() != 2 {
		t.Fatalf("loads = %d, want 2", src.loads())
	}

	// A 401 refetches once and retries with the rotated value.
	got = nil
	src.set(`{"email":"a@example.com","token":"old"}`, nil)
	c.Refresh(ctx)
	src.set(`{"email":"a@example.com","token":"rotated"}`, nil)
	if err := secrets.WithRefetch(ctx, c, keys, rejected, call); err != nil || strings.Join(got, ",") != "old,rotated" {
		t.Fatalf("WithRefetch after a 401 = %v, calls %q; want old then rotated", err, got)
	}

	// The refetched secret lacking a key is a ConfigError, and no second call.
	got = nil
	src.set(`{"email":"a@example.com","token":"old"}`, nil)
	c.Refresh(ctx)
	src.set(`{"email":"a@example.com"}`, nil)
	err = secrets.WithRefetch(ctx, c, keys, rejected, call)
	if !errors.As(err, &ce) || !errors.As(err, &mk) || strings.Join(got, ",") != "old" {
		t.Fatalf("WithRefetch when the refetched secret lacks a key = %v, calls %q", err, got)
	}
}

// A rotated inbound credential works on its first use whenever the
// container last read the secret (its cold start, the TTL's read), while
// mismatches alone read it at most once per MinRefetch.
func TestRecheckCountsOnlyItsOwnReads(t *testing.T) {
	for _, tc := range []struct {
		name string
		// before runs before the credential is rotated; after, what comes
		// between the rotation and the first use of the new credential.
		before, after func(c *secrets.Cache, clock *clocktest.Clock)
		wantRead      bool
	}{
		{name: "right after a cold start", before: func(*secrets.Cache, *clocktest.Clock) {}, after: func(*secrets.Cache, *clocktest.Clock) {}, wantRead: true},
		{name: "a second after a cold start", before: func(*secrets.Cache, *clocktest.Clock) {},
			after: func(_ *secrets.Cache, clock *clocktest.Clock) { clock.Add(time.Second) }, wantRead: true},
		{name: "right after the TTL's read", before: func(c *secrets.Cache, clock *clocktest.Clock) {
			clock.Add(time.Minute)
			c.Get(context.Background())
		}, after: func(*secrets.Cache, *clocktest.Clock) {}, wantRead: true},
		{name: "right after an outbound refresh", before: func(c *secrets.Cache, _ *clocktest.Clock) { c.Refresh(context.Background()) },
			after: func(*secrets.Cache, *clocktest.Clock) {}, wantRead: true},
		{name: "a stranger's mismatch 9 s before", before: func(c *secrets.Cache, clock *clocktest.Clock) {
			c.Recheck(context.Background())
			clock.Add(time.Second)
		}, after: func(_ *secrets.Cache, clock *clocktest.Clock) { clock.Add(8 * time.Second) }, wantRead: false},
		{name: "a stranger's mismatch 10 s before", before: func(c *secrets.Cache, clock *clocktest.Clock) {
			c.Recheck(context.Background())
		}, after: func(_ *secrets.Cache, clock *clocktest.Clock) { clock.Add(secrets.MinRefetch) }, wantRead: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			src := &countingSource{val: `{"token":"old"}`}
			clock := clocktest.New()
			c := secrets.NewCache(src, time.Minute)
			c.Now = clock.Now
			if _, err := c.Get(ctx); err != nil { // the cold start
				t.Fatal(err)
			}
			tc.before(c, clock)
			src.set(`{"token":"new"}`, nil)
			tc.after(c, clock)
			loads := src.loads()
			v, refetched, err := c.Recheck(ctx)
			if err != nil || refetched != tc.wantRead || (v.Get("token") == "new") != tc.wantRead || (src.loads() > loads) != tc.wantRead {
				t.Fatalf("Recheck = %q, refetched %v, %v, %d reads; want a read: %v", v.Get("token"), refetched, err, src.loads()-loads, tc.wantRead)
			}
			if !tc.wantRead {
				return
			}
			// However often a stranger mismatches now, the secret is read
			// again only MinRefetch after the Recheck that read it.
			loads = src.loads()
			for range 9 {
				clock.Add(time.Second)
				c.Recheck(ctx)
			}
			if src.loads() != loads {
				t.Fatalf("9 mismatches over 9 s made %d reads, want none", src.loads()-loads)
			}
		})
	}
}
