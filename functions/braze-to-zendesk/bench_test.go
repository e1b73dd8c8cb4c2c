package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// BenchmarkWarmInvocation measures one warm invocation in process, wired
// as in Lambda (DEDUPE_TABLE and RETRY_QUEUE_URL on moto, reached through a
// proxy that counts the calls): the API Gateway event in, the cached
// secret, the Zendesk user lookup and ticket calls over loopback, the
// response out. Each iteration files a new ticket for the same requester;
// aws-calls/op is 1, the read of the remembered requester, which spares
// the Zendesk lookup (the happy path needs the queue not at all), and
// token-requests/op is 0: the OAuth token minted in the cold part is
// reused.
func BenchmarkWarmInvocation(b *testing.B) {
	moto := mototest.Start(b)
	moto.Put(b, secretID, oauthOnly())
	moto.CreateTable(b, "bench-dedupe")
	url, _ := moto.CreateQueue(b, "bench-retry", 10)
	proxy := mototest.StartFaultProxy(b, moto)
	zd := zendesktest.New(agent, zdToken)
	defer zd.Close()
	zd.AddOAuthClient(oauthClient, oauthSecret)
	zd.DisableAPITokens(true)
	for _, kv := range append(proxy.Env(), "SECRET_ID="+secretID, "ZENDESK_BASE_URL="+zd.URL,
		"DEDUPE_TABLE=bench-dedupe", "RETRY_QUEUE_URL="+url) {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	lambdatest.Quiet(b)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := apigw.Adapt(build(context.Background(), &webhook.Misconfig{Log: log}).API, log)
	ev := lambdatest.LoadEvent(b, filepath.Join(lambdatest.Root(b), "events", "braze-to-zendesk.json"))
	ctx := context.Background()
	if r, _ := h(ctx, ev); r.StatusCode != 201 { // the cold part: first secret fetch
		b.Fatalf("warm-up: %d %s", r.StatusCode, r.Body)
	}
	calls, minted, n := proxy.Requests(), zd.TokensMinted(), 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev.Headers["idempotency-key"] = fmt.Sprint("bench-", i)
		if r, _ := h(ctx, ev); r.StatusCode != 201 {
			b.Fatalf("%d %s", r.StatusCode, r.Body)
		}
		n++
	}
	b.ReportMetric(float64(proxy.Requests()-calls)/float64(n), "aws-calls/op")
	b.ReportMetric(float64(zd.TokensMinted()-minted)/float64(n), "token-requests/op")
}
