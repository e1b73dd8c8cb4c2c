package tracking

import (
	"strings"
	"testing"
	"time"
)

func TestBrazeTime(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "": refused
	}{
		{"2026-11-24T10:30:00Z", "2026-11-24T10:30:00Z"},
		{"2026-11-24T10:30:00.450Z", "2026-11-24T10:30:00.450Z"},
		{"2026-11-24T10:30:00.45Z", "2026-11-24T10:30:00.450Z"},
		{"2026-11-24T10:30:00.0Z", "2026-11-24T10:30:00.000Z"},
		// Zendesk writes nanoseconds; Braze documents milliseconds.
		{"2019-05-25T01:23:45.465719851Z", "2019-05-25T01:23:45.465Z"},
		{"2019-05-25T01:23:45.999999999Z", "2019-05-25T01:23:45.999Z"}, // cut, not rounded into the next second
		{"2026-11-24T10:30:00.123456789+02:00", "2026-11-24T10:30:00.123+02:00"},
		{"2026-11-24T10:30:00+0200", "2026-11-24T10:30:00+02:00"},
		{"2026-11-24T10:30:00.5-0530", "2026-11-24T10:30:00.500-05:30"},
		{"2026-11-24T10:30:00:450Z", "2026-11-24T10:30:00:450Z"},
		{"2026-11-24T10:30:00:000Z", "2026-11-24T10:30:00:000Z"},
		{"2026-11-24T10:30:00:450+01:00", "2026-11-24T10:30:00:450+01:00"},
		{"2026-11-24T10:30:00:450-0530", "2026-11-24T10:30:00:450-0530"},
		{"2026-11-24T10:30:00:45Z", ""},
		{"2026-11-24T10:30:00:4500Z", ""},
		{"2026-11-24T25:30:00:450Z", ""},
		{"2026-13-24T10:30:00Z", ""},
		{"2026-11-24 10:30:00", ""},
		{"November 24, 2026", ""},
		{"", ""},
	} {
		got, ok := brazeTimeOf(tc.in)
		if got != tc.want || ok != (tc.want != "") || brazeTime(tc.in) != ok {
			t.Errorf("brazeTimeOf(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

// FuzzBrazeTime: what the bridge sends for a time it accepts is a time it
// accepts, reads back as the same instant to the millisecond, never later,
// has no finer fraction than milliseconds, and is sent unchanged again.
func FuzzBrazeTime(f *testing.F) {
	for _, s := range []string{"2019-05-25T01:23:45.465719851Z", "2026-11-24T10:30:00:450-0530", "2026-11-24T10:30:00+0200", "2026-11-24T10:30:00.5Z", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sent, ok := brazeTimeOf(s)
		if !ok {
			return
		}
		again, ok := brazeTimeOf(sent)
		if !ok || again != sent {
			t.Fatalf("%q → %q → %q, %v", s, sent, again, ok)
		}
		if m := brazeColonMillis.FindStringSubmatch(sent); m != nil {
			return
		}
		if i := strings.IndexByte(sent, '.'); i >= 0 {
			digits := len(sent[i+1:]) - len(strings.TrimLeft(sent[i+1:], "0123456789"))
			if digits != 3 {
				t.Fatalf("%q → %q: a fraction of %d digits, not milliseconds", s, sent, digits)
			}
		}
		in, _ := parseISO(s)
		out, _ := parseISO(sent)
		if d := in.Sub(out); d < 0 || d >= time.Millisecond {
			t.Fatalf("%q → %q moves the time by %v", s, sent, d)
		}
	})
}
