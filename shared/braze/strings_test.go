package braze

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShortenString(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"255 ASCII kept", strings.Repeat("a", 255), strings.Repeat("a", 255)},
		{"256 ASCII", strings.Repeat("a", 256), strings.Repeat("a", 254) + "…"},
		{"300 ASCII", strings.Repeat("a", 300), strings.Repeat("a", 254) + "…"},
		{"255 accented kept", strings.Repeat("é", 255), strings.Repeat("é", 255)},
		{"300 CJK", strings.Repeat("日", 300), strings.Repeat("日", 254) + "…"},
		// An emoji is two UTF-16 units: 127 fit whole (254), the marker makes 255.
		{"128 emoji", strings.Repeat("😀", 128), strings.Repeat("😀", 127) + "…"},
		// 253 letters and an emoji: the emoji would make 255 with no room for the marker.
		{"emoji on the edge", strings.Repeat("a", 253) + "😀" + "b", strings.Repeat("a", 253) + "…"},
		{"already shortened", strings.Repeat("a", 254) + "…", strings.Repeat("a", 254) + "…"},
		{"hostile text", strings.Repeat(`", "external_id": "x\`, 20), strings.Repeat(`", "external_id": "x\`, 20)[:254] + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ShortenString(tc.in)
			if got != tc.want {
				t.Fatalf("got %q (%d), want %q (%d)", got, Length(got), tc.want, Length(tc.want))
			}
			if !utf8.ValidString(got) || Length(got) > MaxString || !strings.HasPrefix(tc.in, strings.TrimSuffix(got, "…")) {
				t.Errorf("%q: not a valid prefix of at most %d characters", got, MaxString)
			}
			if ShortenString(got) != got {
				t.Errorf("shortening twice changed it")
			}
		})
	}
}

func TestShorten(t *testing.T) {
	long, short := strings.Repeat("s", 300), strings.Repeat("s", 254)+"…"
	longID := strings.Repeat("i", 300)
	tr := Track{
		Attributes: []Object{{"external_id": longID, "email": longID + "@example.com", "note": long, "n": 3.0,
			"nested": map[string]any{"deep": long}, "list": []any{"ok", long}}},
		Events: []Object{{"external_id": longID, "name": "zendesk_ticket_solved", "time": "2026-11-24T12:00:00Z",
			"properties": map[string]any{"subject": long, "tags": []any{"vip", long}, "ticket_id": 42.0, "r": map[string]any{"s": long}}}},
		Purchases: []Object{{"external_id": "u", "product_id": "p", "properties": map[string]any{"note": long}}},
	}
	Shorten(tr)
	want := Track{
		Attributes: []Object{{"external_id": longID, "email": longID + "@example.com", "note": short, "n": 3.0,
			"nested": map[string]any{"deep": short}, "list": []any{"ok", short}}},
		Events: []Object{{"external_id": longID, "name": "zendesk_ticket_solved", "time": "2026-11-24T12:00:00Z",
			"properties": map[string]any{"subject": short, "tags": []any{"vip", short}, "ticket_id": 42.0, "r": map[string]any{"s": short}}}},
		Purchases: []Object{{"external_id": "u", "product_id": "p", "properties": map[string]any{"note": short}}},
	}
	if !reflect.DeepEqual(tr, want) {
		t.Errorf("got  %v\nwant %v", tr, want)
	}
}
