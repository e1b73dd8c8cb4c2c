package dedupe

import (
	"context"
	"time"
)

// SubmissionRetention is how long a ticket handed to a bulk job is
// remembered as such: as long as its queue message may live.
const SubmissionRetention = QueuedRetention

// Submission is a ticket handed to a Zendesk bulk job whose outcome is not
// known yet: recorded before the job is sent (Job empty), and again with
// the job's id once Zendesk answered, before the job is awaited.
type Submission struct {
	Batch string    // the bridge's id for the tickets sent together
	Job   string    // Zendesk's job id; empty until Zendesk answered
	Index int       // the ticket's place in the batch
	Size  int       // the batch's tickets
	At    time.Time // when the batch was sent
}

// Submissions remembers tickets handed to bulk jobs, by idempotency key,
// so that a job whose answer or status was lost is resolved, never sent
// twice.
type Submissions interface {
	Submitted(ctx context.Context, key string) (Submission, bool, error)
	RecordSubmitted(ctx context.Context, key string, s Submission) error
	// ForgetSubmitted drops the record: the job never ran the ticket, so
	// it may be sent again.
	ForgetSubmitted(ctx context.Context, key string) error
}

var (
	_ Submissions = (*Memory)(nil)
	_ Submissions = (*DynamoDB)(nil)
)

func submissionKey(key string) string { return "bulk#" + key }

// Submitted implements Submissions.
func (m *Memory) Submitted(_ context.Context, key string) (Submission, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec := m.live(submissionKey(key), m.now()); rec != nil && rec.submission != nil {
		return *rec.submission, true, nil
	}
	return Submission{}, false, nil
}

// RecordSubmitted implements Submissions, overwriting.
func (m *Memory) RecordSubmitted(_ context.Context, key string, s Submission) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.put(submissionKey(key), &record{submission: &s, expires: now.Add(SubmissionRetention)}, now)
	return nil
}

// ForgetSubmitted implements Submissions.
func (m *Memory) ForgetSubmitted(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.records, submissionKey(key))
	return nil
}
