package tracking

import (
	"regexp"
	"time"
)

// brazeColonMillis is Braze's own layout, yyyy-MM-dd'T'HH:mm:ss:SSSZ: a
// colon, not a dot, before the milliseconds, which Go's layouts cannot
// express.
var brazeColonMillis = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}):(\d{3})(Z|[+-]\d{2}:?\d{2})$`)

// isoLayouts are the ISO 8601 forms Braze reads: RFC 3339 with or without
// fractions, and offsets written without a colon.
var isoLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"}

// brazeTime reports whether s is a time /users/track accepts.
func brazeTime(s string) bool {
	if m := brazeColonMillis.FindStringSubmatch(s); m != nil {
		s = m[1] + "." + m[2] + m[3]
	}
	for _, l := range isoLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return true
		}
	}
	return false
}
