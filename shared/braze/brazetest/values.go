package brazetest

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf16"
)

// MaxString is the most characters Braze keeps in a string property value
// or custom attribute: event and purchase property values are "strings
// less than or equal to 255 characters", and property names "non-empty
// strings less than or equal to 255 characters, with no leading dollar
// signs" (Braze's event and purchase object references). Characters are
// counted as UTF-16 code units, the stricter reading (an emoji counts two),
// as a JVM or JavaScript string length counts them.
const MaxString = 255

// isoTime is the ISO 8601 form Braze documents for /users/track times:
// seconds, then optionally a fraction of at most three digits
// (milliseconds), then Z or a numeric offset. Braze documents nothing
// finer than milliseconds, and a Zendesk time such as
// 2019-05-25T01:23:45.465719851Z is refused here as it may be there.
var isoTime = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$`)

// colonMillis is Braze's own yyyy-MM-dd'T'HH:mm:ss:SSSZ: milliseconds
// after a colon, then Z or a numeric zone.
var colonMillis = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}):(\d{3})(Z|[+-]\d{2}:?\d{2})$`)

// parseTime reads a /users/track time: ISO 8601 to the millisecond, or
// Braze's yyyy-MM-dd'T'HH:mm:ss:SSSZ.
func parseTime(v string) (time.Time, error) {
	if isoTime.MatchString(v) {
		return time.Parse(time.RFC3339Nano, v)
	}
	if m := colonMillis.FindStringSubmatch(v); m != nil {
		zone := strings.Replace(m[3], ":", "", 1)
		return time.Parse("2006-01-02T15:04:05.000Z0700", m[1]+"."+m[2]+zone)
	}
	return time.Time{}, fmt.Errorf("time %q is neither ISO 8601 (to the millisecond) nor yyyy-MM-dd'T'HH:mm:ss:SSSZ", v)
}

func checkTime(o map[string]any) string {
	v, ok := o["time"]
	if !ok || v == nil {
		return "'time' is required"
	}
	str, ok := v.(string)
	if !ok {
		return "'time' must be an ISO 8601 string"
	}
	if _, err := parseTime(str); err != nil {
		return fmt.Sprintf("'time' %q is not a valid ISO 8601 time", str)
	}
	return ""
}

// checkProperties checks an event's or purchase's properties: an object
// whose names are non-empty, at most MaxString long and not led by "$",
// and whose strings, nested ones included, are at most MaxString long. A
// longer value makes Braze skip the whole object.
func checkProperties(o map[string]any) string {
	p, ok := o["properties"]
	if !ok {
		return ""
	}
	props, isObj := p.(map[string]any)
	if !isObj {
		return "'properties' must be an object"
	}
	for k, v := range props {
		if k == "" || strings.HasPrefix(k, "$") || length(k) > MaxString {
			return fmt.Sprintf("property name %q must be 1 to %d characters and not start with '$'", k, MaxString)
		}
		if s, long := longString(v); long {
			return fmt.Sprintf("property %q has a string value of %d characters; at most %d are allowed", k, length(s), MaxString)
		}
	}
	return ""
}

// longString finds a string longer than MaxString in v, at any depth.
func longString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, length(t) > MaxString
	case []any:
		for _, e := range t {
			if s, long := longString(e); long {
				return s, true
			}
		}
	case map[string]any:
		for _, e := range t {
			if s, long := longString(e); long {
				return s, true
			}
		}
	}
	return "", false
}

// dropLongAttributes leaves out of an attributes object the custom string
// attributes Braze would not store: an update that "exceeds the max number
// of characters" does not happen, and Braze says so nowhere in its answer
// (the /users/track/sync reference's FAQ).
func dropLongAttributes(o map[string]any) {
	for k, v := range o {
		if s, ok := v.(string); ok && length(s) > MaxString {
			delete(o, k)
		}
	}
}

func length(s string) int { return len(utf16.Encode([]rune(s))) }
