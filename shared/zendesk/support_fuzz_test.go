package zendesk

import "testing"

// FuzzTicketAnswer reads a requested-tickets or export answer as the
// client does: whatever Zendesk (or a proxy) sends, a ticket is either
// refused as the wrong shape or has an id, a time in UTC, and a rating
// that is rated only when it says good or bad.
func FuzzTicketAnswer(f *testing.F) {
	for _, s := range []string{
		`{"tickets": [{"id": 35436, "requester_id": 20978392, "status": "open", "updated_at": "2011-05-05T10:38:52Z",
			"satisfaction_rating": {"id": 1234, "score": "bad", "reason": "The issue took too long to resolve", "comment": "slow \"and\" rude\\"}}],
			"meta": {"has_more": true, "after_cursor": "xxx"}}`,
		`{"tickets": [{"id": 1, "status": "solved", "updated_at": "2026-11-24T11:59:00+02:00", "satisfaction_rating": {"score": "offered"}}],
			"after_cursor": "MTU4MDc1Mzc5OC4wfHw0MzJ8", "end_of_stream": true}`,
		`{"tickets": [{"id": 2, "status": "deleted", "updated_at": "2026-11-24T11:59:00Z", "satisfaction_rating": null}]}`,
		`{"tickets": [{"id": -1, "updated_at": "yesterday"}]}`,
		`{"tickets": null}`, `{}`, `[]`, `{"tickets": [{"id": "7"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var out struct {
			Tickets *[]ticketWire `json:"tickets"`
		}
		if err := decode("fuzz", body, &out); err != nil || out.Tickets == nil {
			return
		}
		for _, w := range *out.Tickets {
			ts, err := w.state("fuzz")
			if err != nil {
				continue
			}
			if ts.ID <= 0 || ts.UpdatedAt.IsZero() || ts.UpdatedAt.Location().String() != "UTC" {
				t.Errorf("accepted %+v from %s", ts, body)
			}
			if ts.Satisfaction.Rated() != (ts.Satisfaction.Score == "good" || ts.Satisfaction.Score == "bad") {
				t.Errorf("rated = %v for score %q", ts.Satisfaction.Rated(), ts.Satisfaction.Score)
			}
		}
	})
}
