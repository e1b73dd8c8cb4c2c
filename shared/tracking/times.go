package tracking

import (
	"regexp"
	"time"
)

// brazeColonMillis is Braze's own layout, yyyy-MM-dd'T'HH:mm:ss:SSSZ: a
// colon, not a dot, before the milliseconds, which Go's layouts cannot
// express.
var brazeColonMillis = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}):(\d{3})(Z|[+-]\d{2}:?\d{2})$`)

// isoLayouts are the ISO 8601 forms the bridge reads: RFC 3339 with or
// without fractions, and offsets written without a colon.
var isoLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"}

// Layouts of the times sent: RFC 3339, to the millisecond when the time
// had a fraction. Braze documents /users/track times as ISO 8601 or
// yyyy-MM-dd'T'HH:mm:ss:SSSZ, nothing finer than milliseconds; Zendesk
// writes nanoseconds (2019-05-25T01:23:45.465719851Z).
const (
	sentSeconds = time.RFC3339
	sentMillis  = "2006-01-02T15:04:05.000Z07:00"
)

// brazeTime reports whether s is a time the bridge accepts.
func brazeTime(s string) bool {
	_, ok := brazeTimeOf(s)
	return ok
}

// brazeTimeOf reads s, a time the bridge accepts, and returns it in a form
// Braze documents: Braze's own colon form as it is; ISO 8601 as RFC 3339
// in its own offset, cut (never rounded: an event does not move into the
// future) to the millisecond.
func brazeTimeOf(s string) (string, bool) {
	if m := brazeColonMillis.FindStringSubmatch(s); m != nil {
		if _, ok := parseISO(m[1] + "." + m[2] + m[3]); ok {
			return s, true
		}
		return "", false
	}
	t, ok := parseISO(s)
	if !ok {
		return "", false
	}
	if t.Nanosecond() == 0 && !hasFraction(s) {
		return t.Format(sentSeconds), true
	}
	return t.Truncate(time.Millisecond).Format(sentMillis), true
}

func parseISO(s string) (time.Time, bool) {
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// hasFraction reports a fraction of a second written in s (19 characters
// of date and time come first).
func hasFraction(s string) bool { return len(s) > 19 && s[19] == '.' }
