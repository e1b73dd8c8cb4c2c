package tracking

import "testing"

func TestBrazeTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"2026-11-24T10:30:00Z", true},
		{"2026-11-24T10:30:00.450Z", true},
		{"2026-11-24T10:30:00.123456789+02:00", true},
		{"2026-11-24T10:30:00+0200", true},
		{"2026-11-24T10:30:00:450Z", true},
		{"2026-11-24T10:30:00:000Z", true},
		{"2026-11-24T10:30:00:450+01:00", true},
		{"2026-11-24T10:30:00:450-0530", true},
		{"2026-11-24T10:30:00:45Z", false},
		{"2026-11-24T10:30:00:4500Z", false},
		{"2026-11-24T25:30:00:450Z", false},
		{"2026-13-24T10:30:00Z", false},
		{"2026-11-24 10:30:00", false},
		{"November 24, 2026", false},
		{"", false},
	} {
		if got := brazeTime(tc.in); got != tc.want {
			t.Errorf("brazeTime(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
