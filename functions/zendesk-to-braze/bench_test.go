package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// BenchmarkWarmInvocation measures one warm invocation in process: the
// signed API Gateway event in, the signature check, the cached secret, one
// /users/track call over loopback, the response out.
func BenchmarkWarmInvocation(b *testing.B) {
	moto := mototest.Start(b)
	moto.Put(b, secretID, map[string]string{"braze_api_key": apiKey, "zendesk_webhook_secret": hookSecret})
	bz := brazetest.New(apiKey)
	defer bz.Close()
	b.Setenv("SECRET_ID", secretID)
	b.Setenv("BRAZE_REST_ENDPOINT", bz.URL)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := apigw.Adapt(handler(context.Background(), &webhook.Misconfig{Log: log}), log)
	ev := lambdatest.LoadEvent(b, filepath.Join(lambdatest.Root(b), "events", "zendesk-to-braze.json"))
	if err := apigw.SignZendesk(&ev, hookSecret, time.Now()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if r, _ := h(ctx, ev); r.StatusCode != 200 {
		b.Fatalf("warm-up: %d %s", r.StatusCode, r.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev.Headers[zendesk.InvocationIDHeader] = fmt.Sprint("bench-", i)
		if r, _ := h(ctx, ev); r.StatusCode != 200 {
			b.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	}
}
