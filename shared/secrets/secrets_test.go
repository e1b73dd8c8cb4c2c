package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/secrets"
	"github.com/brazezendesk/bridge/shared/secrets/secretstest"
)

func TestManagerAgainstMoto(t *testing.T) {
	m := secretstest.Start(t)
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
	n   int
	val string
	err error
}

func (s *countingSource) Name() string { return "counted" }
func (s *countingSource) Load(context.Context) ([]byte, error) {
	s.n++
	return []byte(s.val), s.err
}

func TestCacheTTL(t *testing.T) {
	src := &countingSource{val: `{"a":"1"}`}
	c := secrets.NewCache(src, 50*time.Millisecond)
	ctx := context.Background()
	for range 3 {
		if _, err := c.Get(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if src.n != 1 {
		t.Fatalf("loads = %d, want 1 within the TTL", src.n)
	}
	time.Sleep(60 * time.Millisecond)
	c.Get(ctx)
	if src.n != 2 {
		t.Fatalf("loads = %d, want 2 after the TTL", src.n)
	}
	src.err = errors.New("boom")
	if _, err := c.Refresh(ctx); err == nil {
		t.Fatal("Refresh should report the load error")
	}
	time.Sleep(60 * time.Millisecond)
	if v, err := c.Get(ctx); err != nil || v.Get("a") != "1" {
		t.Fatalf("Get after a failed refetch = %v, %v; want the last good secret", v, err)
	}
	if src.n != 4 {
		t.Fatalf("loads = %d, want the expired Get to have tried again", src.n)
	}
	if _, err := secrets.NewCache(src, time.Minute).Get(ctx); err == nil {
		t.Fatal("a cache that never loaded must report the error")
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
