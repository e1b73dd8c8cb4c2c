package queue

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Memory is an in-process queue with visibility timeouts, for local runs
// and tests: Receive hands out visible messages, a failed one comes back
// after its visibility, and a consumed one is deleted.
type Memory struct {
	Visibility time.Duration    // 0 means 30 s
	Now        func() time.Time // nil means time.Now

	mu    sync.Mutex
	next  int
	msgs  []*message
	sends int
}

type message struct {
	rec       Record
	visibleAt time.Time
}

// Send implements Sender.
func (m *Memory) Send(_ context.Context, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	m.sends++
	now := m.now()
	m.msgs = append(m.msgs, &message{rec: Record{ID: fmt.Sprintf("msg-%d", m.next), Body: append([]byte(nil), body...), SentAt: now}, visibleAt: now})
	return nil
}

// Len is how many messages the queue holds, visible or not.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.msgs)
}

// Sends is how many messages were ever sent.
func (m *Memory) Sends() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sends
}

// Receive hands out up to max visible messages and hides them for the
// visibility timeout.
func (m *Memory) Receive(max int) []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var out []Record
	for _, msg := range m.msgs {
		if len(out) == max {
			break
		}
		if now.Before(msg.visibleAt) {
			continue
		}
		msg.rec.ReceiveCount++
		msg.rec.Handle = fmt.Sprintf("%s/%d", msg.rec.ID, msg.rec.ReceiveCount)
		msg.visibleAt = now.Add(m.visibility())
		out = append(out, msg.rec)
	}
	return out
}

// Settle applies a consumer's results, as Lambda's SQS event source does:
// a record not failed is deleted; a failed one becomes visible after its
// After, or the visibility timeout.
func (m *Memory) Settle(records []Record, results []Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	settled := make(map[string]Result, len(records))
	for i, r := range records {
		if i < len(results) {
			settled[r.ID] = results[i]
		} else {
			settled[r.ID] = Result{Failed: true} // no answer: delivered again
		}
	}
	kept := m.msgs[:0]
	for _, msg := range m.msgs {
		res, ok := settled[msg.rec.ID]
		switch {
		case !ok:
			kept = append(kept, msg)
		case res.Failed:
			if res.After > 0 {
				msg.visibleAt = now.Add(res.After)
			}
			kept = append(kept, msg)
		}
	}
	m.msgs = kept
}

func (m *Memory) visibility() time.Duration {
	if m.Visibility > 0 {
		return m.Visibility
	}
	return 30 * time.Second
}

func (m *Memory) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}
