package dedupe

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	m := NewMemory()
	m.now = func() time.Time { return clock }
	m.Cap = 3

	if n, _ := m.Done(ctx, "a"); n != 0 {
		t.Fatalf("unknown id done = %d", n)
	}
	m.Mark(ctx, "a", 1)
	m.Mark(ctx, "a", 2)
	if n, _ := m.Done(ctx, "a"); n != 2 {
		t.Fatalf("done = %d, want 2", n)
	}

	clock = clock.Add(time.Second)
	m.Mark(ctx, "b", 1)
	clock = clock.Add(time.Second)
	m.Mark(ctx, "c", 1)
	clock = clock.Add(time.Second)
	m.Mark(ctx, "d", 1) // full: the oldest, a, goes
	if n, _ := m.Done(ctx, "a"); n != 0 {
		t.Errorf("a survived eviction")
	}
	for _, id := range []string{"b", "c", "d"} {
		if n, _ := m.Done(ctx, id); n != 1 {
			t.Errorf("%s done = %d, want 1", id, n)
		}
	}

	clock = clock.Add(Retention + time.Second)
	if n, _ := m.Done(ctx, "d"); n != 0 {
		t.Errorf("d outlived the retention")
	}
	for i := range 3 { // expired records make room without dropping live ones
		m.Mark(ctx, fmt.Sprint("n", i), 1)
	}
	if len(m.done) > 3 {
		t.Errorf("held %d records, cap 3", len(m.done))
	}
}
