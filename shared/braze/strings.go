package braze

import (
	"unicode/utf16"
	"unicode/utf8"
)

// MaxString is the most characters Braze takes in a string property value
// ("strings less than or equal to 255 characters", its event and purchase
// object references) or custom attribute. An event with a longer property
// is dropped whole (a minor error); a longer attribute is not stored.
// Characters are counted as UTF-16 code units, the stricter reading (an
// emoji counts two).
const MaxString = 255

// Ellipsis marks a string the bridge shortened.
const Ellipsis = "…"

// identifierKeys name a profile: never shortened, since a changed one
// would address another profile or none.
var identifierKeys = map[string]bool{"external_id": true, "braze_id": true, "email": true, "phone": true, "user_alias": true}

// Shorten cuts every string value Braze would refuse as too long, in the
// properties of t's events and purchases and in its attributes (their
// identifiers aside), to MaxString characters ending in Ellipsis, on a rune
// boundary. Nested values (a tags list, an object) are shortened too. It
// changes t's objects in place and is idempotent.
func Shorten(t Track) {
	for _, o := range t.Attributes {
		for k, v := range o {
			if !identifierKeys[k] {
				o[k] = shortenAll(v)
			}
		}
	}
	for _, arr := range [][]Object{t.Events, t.Purchases} {
		for _, o := range arr {
			if props, ok := o["properties"].(map[string]any); ok {
				for k, v := range props {
					props[k] = shortenAll(v)
				}
			}
		}
	}
}

func shortenAll(v any) any {
	switch t := v.(type) {
	case string:
		return ShortenString(t)
	case []any:
		for i, e := range t {
			t[i] = shortenAll(e)
		}
	case map[string]any:
		for k, e := range t {
			t[k] = shortenAll(e)
		}
	}
	return v
}

// ShortenString returns s when Braze takes it whole, else its longest
// prefix of whole runes that, with Ellipsis, is MaxString characters at
// most.
func ShortenString(s string) string {
	if Length(s) <= MaxString {
		return s
	}
	room := MaxString - Length(Ellipsis)
	n, cut := 0, 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 { // invalid UTF-8 is sent as U+FFFD, one unit
			w = 1
		}
		if n+w > room {
			break
		}
		n += w
		cut = i + utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, size := utf8.DecodeRuneInString(s[i:])
			cut = i + size
		}
	}
	return s[:cut] + Ellipsis
}

// Length is s's length as Braze counts it: UTF-16 code units.
func Length(s string) int {
	n := 0
	for _, r := range s {
		if w := utf16.RuneLen(r); w > 0 {
			n += w
		} else {
			n++
		}
	}
	return n
}
