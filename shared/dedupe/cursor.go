package dedupe

import (
	"context"
	"slices"
	"time"
)

// Cursor is where a reading of a Zendesk export stopped: the export's own
// opaque cursor, and the time it stands at (for the lag metric).
type Cursor struct {
	Value string
	Time  time.Time
	// Done are the ids already handled in the page Value starts, so that
	// a reading stopped midway through a page does not do them again.
	Done []int64
}

// Cursors remembers export cursors by name, for good: a cursor is never
// expired, since losing it would mean reading the backfill window again.
type Cursors interface {
	// Cursor reads name's cursor; ok is false when none was saved yet.
	Cursor(ctx context.Context, name string) (c Cursor, ok bool, err error)
	// SaveCursor records name's cursor, overwriting the last.
	SaveCursor(ctx context.Context, name string, c Cursor) error
}

func cursorKey(name string) string { return "cursor#" + name }

var (
	_ Cursors = (*Memory)(nil)
	_ Cursors = (*DynamoDB)(nil)
)

// Cursor implements Cursors.
func (m *Memory) Cursor(_ context.Context, name string) (Cursor, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cursors[name]
	c.Done = slices.Clone(c.Done)
	return c, ok, nil
}

// SaveCursor implements Cursors.
func (m *Memory) SaveCursor(_ context.Context, name string, c Cursor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cursors == nil {
		m.cursors = map[string]Cursor{}
	}
	c.Done = slices.Clone(c.Done)
	m.cursors[name] = c
	return nil
}
