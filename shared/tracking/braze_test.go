package tracking_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

// TestTimesBrazeParses: Zendesk writes times to the nanosecond; Braze
// documents milliseconds at most and drops (a minor error) an event whose
// time it does not parse. Every time reaches Braze in a form it documents,
// in every body shape.
func TestTimesBrazeParses(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       string // the time Braze stores
	}{
		{"event webhook in nanoseconds",
			`{"type": "zen:event-type:ticket.created", "id": "e1", "time": "2019-05-25T01:23:45.465719851Z", "detail": {"id": "5", "requester_id": "REQ"}}`,
			"2019-05-25T01:23:45.465Z"},
		{"event webhook in milliseconds",
			`{"type": "zen:event-type:ticket.created", "id": "e1", "time": "2019-05-25T01:23:45.465Z", "detail": {"id": "5", "requester_id": "REQ"}}`,
			"2019-05-25T01:23:45.465Z"},
		{"/users/track event in nanoseconds with an offset",
			`{"events": [{"external_id": "user-123", "name": "x", "time": "2019-05-25T03:23:45.465719851+02:00"}]}`,
			"2019-05-25T03:23:45.465+02:00"},
		{"/users/track event offset without a colon",
			`{"events": [{"external_id": "user-123", "name": "x", "time": "2019-05-25T03:23:45+0200"}]}`,
			"2019-05-25T03:23:45+02:00"},
		{"/users/track event in Braze's colon form",
			`{"events": [{"external_id": "user-123", "name": "x", "time": "2019-05-25T01:23:45:465Z"}]}`,
			"2019-05-25T01:23:45:465Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			req := f.zd.AddUser(zendesktest.User{Name: "Ada", Email: "ada@example.com", ExternalID: "user-123"})
			body := strings.Replace(tc.body, "REQ", strconv.FormatInt(req, 10), 1)
			resp, out := f.send(t, body, "inv-1")
			if resp.Status != 200 || out["errors"] != nil {
				t.Fatalf("%d %s", resp.Status, resp.Body)
			}
			evs := f.bz.Events()
			if len(evs) != 1 || evs[0]["time"] != tc.want {
				t.Fatalf("Braze stored %v, want one event at %s", evs, tc.want)
			}
		})
	}
}
