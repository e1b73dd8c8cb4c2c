package dedupe_test

import (
	"testing"
	"time"

	"github.com/brazezendesk/bridge/shared/clocktest"
	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/mototest"
)

func TestMemorySubmissions(t *testing.T) {
	runSubmissions(t, func(_ *testing.T, now func() time.Time) dedupe.Submissions {
		m := dedupe.NewMemory()
		m.Now = now
		return m
	})
}

func TestDynamoDBSubmissions(t *testing.T) {
	m := mototest.Start(t)
	runSubmissions(t, func(t *testing.T, now func() time.Time) dedupe.Submissions {
		name, client := newTable(t, m)
		d := dedupe.NewDynamoDB(client, name)
		d.Now = now
		return d
	})
}

func runSubmissions(t *testing.T, newStore func(*testing.T, func() time.Time) dedupe.Submissions) {
	clock := clocktest.New()
	s := newStore(t, clock.Now)
	at := clock.Now().Truncate(time.Millisecond)
	want := func(key string, sub dedupe.Submission, found bool) {
		t.Helper()
		got, ok, err := s.Submitted(ctx, key)
		if err != nil || ok != found || got.Batch != sub.Batch || got.Job != sub.Job || got.Index != sub.Index ||
			got.Size != sub.Size || !got.At.Equal(sub.At) {
			t.Fatalf("Submitted(%s) = %+v, %v, %v; want %+v, %v", key, got, ok, err, sub, found)
		}
	}
	want("k1", dedupe.Submission{}, false)
	before := dedupe.Submission{Batch: "b1", Index: 3, Size: 100, At: at}
	ok(t, "RecordSubmitted", s.RecordSubmitted(ctx, "k1", before))
	want("k1", before, true)
	after := before
	after.Job = "job-1"
	ok(t, "RecordSubmitted with the job", s.RecordSubmitted(ctx, "k1", after))
	want("k1", after, true)
	ok(t, "ForgetSubmitted", s.ForgetSubmitted(ctx, "k1"))
	want("k1", dedupe.Submission{}, false)
	ok(t, "RecordSubmitted", s.RecordSubmitted(ctx, "k2", after))
	clock.Add(dedupe.SubmissionRetention - time.Second)
	want("k2", after, true)
	clock.Add(time.Second)
	want("k2", dedupe.Submission{}, false)
}
