package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/apigw"
	"github.com/brazezendesk/bridge/shared/braze/brazetest"
	"github.com/brazezendesk/bridge/shared/lambdatest"
	"github.com/brazezendesk/bridge/shared/mototest"
	"github.com/brazezendesk/bridge/shared/webhook"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// BenchmarkWarmInvocation measures one warm invocation in process, wired
// as in Lambda (DEDUPE_TABLE and RETRY_QUEUE_URL on moto, reached through a
// proxy that counts the calls): the signed API Gateway event in, the
// signature check, the cached secret, the claim, one /users/track call
// over loopback, the completion, the response out. aws-calls/op is the
// AWS API calls of one delivery: the claim and the completion. The
// in-memory run, the same but for the table, is the bridge's own cost; the
// difference between the two is the table's round trips (moto's here).
func BenchmarkWarmInvocation(b *testing.B) {
	for _, table := range []string{"", "bench-dedupe"} {
		name := "memory"
		if table != "" {
			name = "dynamodb"
		}
		b.Run(name, func(b *testing.B) { benchmarkWarm(b, table) })
	}
}

func benchmarkWarm(b *testing.B, table string) {
	moto := mototest.Start(b)
	moto.Put(b, secretID, map[string]string{"braze_api_key": apiKey, "zendesk_webhook_secret": hookSecret})
	moto.CreateTable(b, "bench-dedupe")
	url, _ := moto.CreateQueue(b, "bench-retry", 10)
	proxy := mototest.StartFaultProxy(b, moto)
	bz := brazetest.New(apiKey)
	defer bz.Close()
	bz.AssumeProfilesExist()
	for _, kv := range append(proxy.Env(), "SECRET_ID="+secretID, "BRAZE_REST_ENDPOINT="+bz.URL,
		"DEDUPE_TABLE="+table, "RETRY_QUEUE_URL="+url) {
		k, v, _ := strings.Cut(kv, "=")
		b.Setenv(k, v)
	}
	lambdatest.Quiet(b)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h := apigw.Adapt(build(context.Background(), &webhook.Misconfig{Log: log}).API, log)
	ev := lambdatest.LoadEvent(b, filepath.Join(lambdatest.Root(b), "events", "zendesk-to-braze.json"))
	body := ev.Body
	ctx := context.Background()
	send := func(i int) {
		// Each delivery is another ticket's: the same signed body under a
		// new invocation id would be a replay.
		ev.Body = strings.Replace(body, `"ticket_id": "4211"`, fmt.Sprintf(`"ticket_id": "%d"`, 100000+i), 1)
		ev.Headers[zendesk.InvocationIDHeader] = fmt.Sprint("bench-", i)
		if err := apigw.SignZendesk(&ev, hookSecret, time.Now()); err != nil {
			b.Fatal(err)
		}
		if r, _ := h(ctx, ev); r.StatusCode != 200 {
			b.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	}
	send(-1) // the cold part: the first secret fetch
	calls, n := proxy.Requests(), 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		send(i)
		n++
	}
	b.ReportMetric(float64(proxy.Requests()-calls)/float64(n), "aws-calls/op")
}
