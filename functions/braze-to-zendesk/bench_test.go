package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// BenchmarkWarmInvocation measures one warm invocation in process: the
// API Gateway event in, the cached secret, the Zendesk user and ticket
// calls over loopback, the response out. Each iteration files a new ticket.
func BenchmarkWarmInvocation(b *testing.B) {
	moto := mototest.Start(b)
	moto.Put(b, secretID, map[string]string{"zendesk_email": agent, "zendesk_api_token": zdToken, "braze_webhook_token": hookToken})
	zd := zendesktest.New(agent, zdToken)
	defer zd.Close()
	b.Setenv("SECRET_ID", secretID)
	b.Setenv("ZENDESK_BASE_URL", zd.URL)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := apigw.Adapt(handler(context.Background(), &webhook.Misconfig{Log: log}), log)
	ev := lambdatest.LoadEvent(b, filepath.Join(lambdatest.Root(b), "events", "braze-to-zendesk.json"))
	ctx := context.Background()
	if r, _ := h(ctx, ev); r.StatusCode != 201 { // the cold part: first secret fetch
		b.Fatalf("warm-up: %d %s", r.StatusCode, r.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev.Headers["idempotency-key"] = fmt.Sprint("bench-", i)
		if r, _ := h(ctx, ev); r.StatusCode != 201 {
			b.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	}
}
