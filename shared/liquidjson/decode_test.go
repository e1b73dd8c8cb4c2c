package liquidjson_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/liquidjson"
)

func TestDecodeAccepts(t *testing.T) {
	tests := []struct {
		name string
		body string
		want map[string]any
	}{
		{
			name: "plain object",
			body: `{"a":"b"}`,
			want: map[string]any{"a": "b"},
		},
		{
			name: "empty object",
			body: `{}`,
			want: map[string]any{},
		},
		{
			name: "raw newline inside string",
			body: "{\"body\":\"line one\nline two\"}",
			want: map[string]any{"body": "line one\nline two"},
		},
		{
			name: "raw tab inside string",
			body: "{\"body\":\"a\tb\"}",
			want: map[string]any{"body": "a\tb"},
		},
		{
			name: "raw carriage return inside string",
			body: "{\"body\":\"a\r\nb\"}",
			want: map[string]any{"body": "a\r\nb"},
		},
		{
			name: "other raw control characters inside string",
			body: "{\"body\":\"a\x00b\x01c\x1fd\x08e\"}",
			want: map[string]any{"body": "a\x00b\x01c\x1fd\x08e"},
		},
		{
			name: "raw control characters in a key",
			body: "{\"k\ney\":\"v\"}",
			want: map[string]any{"k\ney": "v"},
		},
		{
			name: "escaped sequences untouched",
			body: `{"a":"x\ny\tz\r\"q\"\\n\u0041\/"}`,
			want: map[string]any{"a": "x\ny\tz\r\"q\"\\nA/"},
		},
		{
			name: "escaped backslash before closing quote",
			body: `{"a":"x\\","b":"y"}`,
			want: map[string]any{"a": `x\`, "b": "y"},
		},
		{
			name: "escaped quote then raw newline stays in string",
			body: "{\"a\":\"say \\\"hi\\\"\nbye\"}",
			want: map[string]any{"a": "say \"hi\"\nbye"},
		},
		{
			name: "trailing comma before closing brace",
			body: `{"a":"b",}`,
			want: map[string]any{"a": "b"},
		},
		{
			name: "trailing comma before closing bracket",
			body: `{"tags":["x","y",]}`,
			want: map[string]any{"tags": []any{"x", "y"}},
		},
		{
			name: "trailing commas with white space, nested",
			body: "{\"t\":{\"tags\":[\"x\" , \n\t],\r\n\"s\":\"v\" ,\n} ,\n}",
			want: map[string]any{"t": map[string]any{"tags": []any{"x"}, "s": "v"}},
		},
		{
			name: "comma before bracket inside a string is content",
			body: `{"a":"a,]","b":"c,}","d":", ]"}`,
			want: map[string]any{"a": "a,]", "b": "c,}", "d": ", ]"},
		},
		{
			name: "surrounding white space trimmed",
			body: "{\"name\":\"  Ada \",\"body\":\"\n\t hello\nworld \r\n\"}",
			want: map[string]any{"name": "Ada", "body": "hello\nworld"},
		},
		{
			name: "inner white space kept",
			body: `{"a":"  two  words  "}`,
			want: map[string]any{"a": "two  words"},
		},
		{
			name: "empty strings dropped from objects",
			body: `{"name":"Ada","phone":"","email":"   "}`,
			want: map[string]any{"name": "Ada"},
		},
		{
			name: "empty strings dropped from arrays",
			body: `{"tags":["", "vip", "  ", "new", "\n"]}`,
			want: map[string]any{"tags": []any{"vip", "new"}},
		},
		{
			name: "object emptied by cleaning removed",
			body: `{"ticket":{"subject":"s","requester":{"phone":"","email":" "}}}`,
			want: map[string]any{"ticket": map[string]any{"subject": "s"}},
		},
		{
			name: "objects emptied by cleaning removed from arrays",
			body: `{"custom_fields":[{"id":""},{"id":1,"value":""},{}]}`,
			want: map[string]any{"custom_fields": []any{map[string]any{"id": json.Number("1")}}},
		},
		{
			name: "empty object removed, even nested",
			body: `{"a":{"b":{"c":{}}},"d":"e"}`,
			want: map[string]any{"d": "e"},
		},
		{
			name: "top level may end up empty",
			body: `{"phone":""}`,
			want: map[string]any{},
		},
		{
			name: "numbers kept as json.Number",
			body: `{"id":12345678901234567890,"f":1.50,"e":-2e3,"z":0}`,
			want: map[string]any{
				"id": json.Number("12345678901234567890"),
				"f":  json.Number("1.50"),
				"e":  json.Number("-2e3"),
				"z":  json.Number("0"),
			},
		},
		{
			name: "bool and null kept",
			body: `{"t":true,"f":false,"n":null}`,
			want: map[string]any{"t": true, "f": false, "n": nil},
		},
		{
			name: "surrounding white space around the value",
			body: " \r\n\t{\"a\":\"b\"}\n\n ",
			want: map[string]any{"a": "b"},
		},
		{
			name: "braze-like body",
			body: "{\n  \"ticket\": {\n    \"requester_id\": \"  u-42 \",\n    \"requester\": {\"name\": \"Ada\", \"email\": \"ada@example.com\", \"phone\": \"\"},\n" +
				"    \"subject\": \"Order\tissue\",\n    \"comment\": {\"body\": \"Hello,\r\nmy order\nis late.\n\"},\n" +
				"    \"tags\": [\"braze\", \"\",],\n    \"priority\": \"High\",\n  },\n}\n",
			want: map[string]any{"ticket": map[string]any{
				"requester_id": "u-42",
				"requester":    map[string]any{"name": "Ada", "email": "ada@example.com"},
				"subject":      "Order\tissue",
				"comment":      map[string]any{"body": "Hello,\r\nmy order\nis late."},
				"tags":         []any{"braze"},
				"priority":     "High",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := liquidjson.Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode(%q) error: %v", tt.body, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Decode(%q)\n got  %#v\n want %#v", tt.body, got, tt.want)
			}
		})
	}
}

func TestDecodeDoesNotModifyInput(t *testing.T) {
	body := []byte("{\"a\":\"x\ny\",\"b\":[1,2,],}")
	orig := append([]byte(nil), body...)
	if _, err := liquidjson.Decode(body); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, orig) {
		t.Fatalf("Decode changed its input: %q, was %q", body, orig)
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"empty body", ``},
		{"only white space", " \n\t"},
		{"top level array", `[{"a":1}]`},
		{"top level string", `"abc"`},
		{"top level number", `42`},
		{"top level null", `null`},
		{"top level true", `true`},
		{"trailing garbage", `{"a":1} x`},
		{"second value", `{"a":1}{"b":2}`},
		{"trailing comma at top level", `{"a":1},`},
		{"trailing bracket", `{"a":1}]`},
		{"truncated in string", `{"a":"b`},
		{"truncated after colon", `{"a":`},
		{"truncated object", `{"a":1`},
		{"truncated nested", "{\"a\":{\"b\":[1,\n"},
		{"missing value", `{"a":}`},
		{"bad literal", `{"a":tru}`},
		{"single quotes", `{'a':1}`},
		{"unquoted key", `{a:1}`},
		{"raw newline outside string", "{\"a\":\n\x01}"},
		{"backslash then raw newline", "{\"a\":\"x\\\ny\"}"},
		{"invalid escape", `{"a":"\q"}`},
		{"double comma", `{"a":1,,"b":2}`},
		{"missing comma", `{"a":1 "b":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := liquidjson.Decode([]byte(tt.body))
			if err == nil {
				t.Fatalf("Decode(%q) = %#v, want an error", tt.body, got)
			}
			if got != nil {
				t.Errorf("Decode(%q) returned %#v along with the error", tt.body, got)
			}
			var se *liquidjson.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Decode(%q) error %T %v, want *liquidjson.SyntaxError", tt.body, err, err)
			}
			if se.Offset < 0 || se.Offset > int64(len(tt.body)) {
				t.Errorf("Decode(%q) offset %d outside the body (len %d)", tt.body, se.Offset, len(tt.body))
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("at byte %d", se.Offset)) {
				t.Errorf("error %q does not name its offset %d", err, se.Offset)
			}
		})
	}
}

// stdOffset is the offset encoding/json reports for body, which has no
// raw control characters in strings and no trailing commas, so needs no
// repair: it is the reference for where Decode must point.
func stdOffset(t *testing.T, body string) int64 {
	t.Helper()
	var v any
	err := json.Unmarshal([]byte(body), &v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("reference body %q: want a json.SyntaxError, got %v", body, err)
	}
	return se.Offset
}

func TestDecodeSyntaxErrorOffset(t *testing.T) {
	tests := []struct {
		name string
		body string
		// ref is body with its repairs undone by same-length edits, so
		// encoding/json reports the offset Decode must report.
		ref  string
		want int64 // exact expected offset into body
	}{
		{
			name: "no repair",
			body: `{"a":"x","b":tru}`,
			ref:  `{"a":"x","b":tru}`,
			want: 17, // after reading the '}' at index 16
		},
		{
			name: "raw newline early, error later",
			body: "{\"a\":\"x\ny\",\"b\":tru}",
			ref:  `{"a":"x y","b":tru}`,
			want: 19,
		},
		{
			name: "several raw control characters early, error later",
			body: "{\"a\":\"\n\t\r\x01\",\n\"b\": [1, 2 3]}",
			ref:  "{\"a\":\"    \",\n\"b\": [1, 2 3]}",
			want: 25, // the '3' at index 24
		},
		{
			name: "trailing comma removed early, error later",
			body: `{"a":[1,],"b":x}`,
			ref:  `{"a":[1 ],"b":x}`,
			want: 15, // the 'x' at index 14
		},
		{
			name: "repairs of both kinds, then error",
			body: "{\"a\":[\"p\nq\",],\"c\":{\"d\":\"\x02\",},\"e\":@}",
			ref:  `{"a":["p q" ],"c":{"d":" " },"e":@}`,
			want: 34, // the '@' at index 33
		},
		{
			name: "error right after a removed comma",
			body: "{\"a\":\"\n\",\"b\":[1,}",
			ref:  `{"a":" ","b":[1 }`,
			want: 17, // the '}' at index 16
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.ref) != len(tt.body) {
				t.Fatalf("bad test: ref and body lengths differ")
			}
			if ref := stdOffset(t, tt.ref); ref != tt.want {
				t.Fatalf("bad test: encoding/json puts the error of %q at %d, test says %d", tt.ref, ref, tt.want)
			}
			_, err := liquidjson.Decode([]byte(tt.body))
			var se *liquidjson.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Decode(%q) = %v, want *liquidjson.SyntaxError", tt.body, err)
			}
			if se.Offset != tt.want {
				t.Fatalf("Decode(%q) offset = %d, want %d (byte %q)", tt.body, se.Offset, tt.want, tt.body[tt.want-1])
			}
		})
	}
}

func TestDecodeSyntaxErrorOffsetTruncated(t *testing.T) {
	for _, body := range []string{`{"a":"b`, "{\"a\":\"x\ny\",\"b\":[", `{"a":[1,`} {
		_, err := liquidjson.Decode([]byte(body))
		var se *liquidjson.SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Decode(%q) = %v, want *liquidjson.SyntaxError", body, err)
		}
		if se.Offset != int64(len(body)) {
			t.Errorf("Decode(%q) offset = %d, want the end of the body %d", body, se.Offset, len(body))
		}
	}
}

func TestDecodeSyntaxErrorOffsetTrailingData(t *testing.T) {
	// The value ends after index 17 of the body (16 in the repaired text)
	// and the garbage is at 19. The offset must be in the original body's
	// terms: between the end of the value and just after the garbage byte.
	body := "{\"a\":\"\n\",\"b\":[1,]} x"
	_, err := liquidjson.Decode([]byte(body))
	var se *liquidjson.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("Decode(%q) = %v, want *liquidjson.SyntaxError", body, err)
	}
	end := int64(strings.Index(body, "}") + 1)
	garbage := int64(strings.Index(body, "x") + 1)
	if se.Offset < end || se.Offset > garbage {
		t.Fatalf("Decode(%q) offset = %d, want in [%d, %d]", body, se.Offset, end, garbage)
	}
}

func ExampleDecode() {
	body := []byte(`{
  "ticket": {
    "subject": " Order issue ",
    "comment": {"body": "Hello,
my order is late."},
    "requester": {"name": "Ada", "email": "ada@example.com", "phone": ""},
    "tags": ["vip", "",],
  }
}`)
	doc, err := liquidjson.Decode(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.Marshal(doc)
	fmt.Println(string(out))
	// Output:
	// {"ticket":{"comment":{"body":"Hello,\nmy order is late."},"requester":{"email":"ada@example.com","name":"Ada"},"subject":"Order issue","tags":["vip"]}}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"a":"b"}`,
		"{\"ticket\":{\"subject\":\" Hi \",\"comment\":{\"body\":\"line\none\r\n\ttwo\"},\"requester\":{\"phone\":\"\"},\"tags\":[\"a\",\"\",],},}",
		`{"ticket":{"requester_id":12345,"custom_fields":[{"id":1,"value":""},{"id":2,"value":"x"}],"priority":"High"}}`,
		`{"attributes":[{"external_id":"u1","first_name":"  Ada "}],"events":[{"name":"e","time":"2024-01-01T00:00:00Z"}]}`,
		`{"a":"a,]","b":[1,2,],"c":{"d":true,"e":null,}}`,
		"{\"a\":\"\x00\x01\x1f\"}",
		`{"a":"\u00e9\"\\"}`,
		`[1,2]`,
		`{"a":1} x`,
		`{"a":`,
		`{,}`,
		`{"ticket":{"requester_id":"Eve", "requester_id": "victim-001", "x": ""}}`,
		`{"a":[{"b":1,"c":{"b":2}},{"b":3}],"d":{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := append([]byte(nil), body...)
		doc, err := liquidjson.Decode(body)
		if !bytes.Equal(body, orig) {
			t.Fatalf("Decode changed its input")
		}
		if err != nil {
			if doc != nil {
				t.Fatalf("Decode returned a value with error %v", err)
			}
			var de *liquidjson.DuplicateKeyError
			if errors.As(err, &de) {
				if de.Offset < 0 || de.Offset > int64(len(body)) {
					t.Fatalf("offset %d outside the body (len %d)", de.Offset, len(body))
				}
				if json.Valid(body) && !repeatsKey(t, body) {
					t.Fatalf("Decode says %q repeats a key, but it does not: %v", body, err)
				}
				return
			}
			var se *liquidjson.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SyntaxError", err, err)
			}
			if se.Offset < 0 || se.Offset > int64(len(body)) {
				t.Fatalf("offset %d outside the body (len %d)", se.Offset, len(body))
			}
			// Valid JSON objects must always decode.
			if json.Valid(body) {
				var v any
				if json.Unmarshal(body, &v) == nil {
					if _, isObj := v.(map[string]any); isObj {
						t.Fatalf("Decode rejected a valid JSON object %q: %v", body, err)
					}
				}
			}
			return
		}
		if json.Valid(body) && repeatsKey(t, body) {
			t.Fatalf("Decode accepted %q, which repeats a key", body)
		}
		if doc == nil {
			t.Fatalf("Decode returned nil, nil")
		}
		again, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("re-marshal of %#v failed: %v", doc, err)
		}
		doc2, err := liquidjson.Decode(again)
		if err != nil {
			t.Fatalf("decoding the re-marshalled %q failed: %v", again, err)
		}
		if !reflect.DeepEqual(doc, doc2) {
			t.Fatalf("not idempotent:\n first  %#v\n second %#v", doc, doc2)
		}
	})
}

// repeatsKey is an oracle independent of Decode for valid JSON: an object
// repeats a key exactly when the body has more members (colons outside
// strings) than encoding/json, which keeps the last of equal keys, stores.
func repeatsKey(t *testing.T, body []byte) bool {
	t.Helper()
	members, inStr, esc := 0, false, false
	for _, c := range body {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case !inStr && c == ':':
			members++
		}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("oracle: %v", err)
	}
	return members > countKeys(v)
}

func countKeys(v any) int {
	n := 0
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			n += 1 + countKeys(e)
		}
	case []any:
		for _, e := range t {
			n += countKeys(e)
		}
	}
	return n
}

func TestDecodeRefusesRepeatedKeys(t *testing.T) {
	for _, tc := range []struct {
		name, body, field string
	}{
		{"top level", `{"a":1,"a":2}`, "a"},
		{"injected through a first name", `{"ticket":{"requester":{"name":"Eve", "requester_id": "victim-001", "x": ""},"requester_id":"u1"}}`, ""},
		{"injected requester_id", `{"ticket":{"requester_id":"Eve", "requester_id": "victim-001", "x": ""}}`, "ticket.requester_id"},
		{"in an array element", `{"events":[{"name":"a"},{"name":"b","name":"c"}]}`, "events[].name"},
		{"an empty value counts", "{\"ticket\":{\"phone\":\"\",\n\"phone\":\"1\"}}", "ticket.phone"},
		{"after a repaired raw newline", "{\"a\":\"x\ny\",\"a\":\"z\"}", "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := liquidjson.Decode([]byte(tc.body))
			var de *liquidjson.DuplicateKeyError
			if tc.field == "" {
				if err != nil {
					t.Fatalf("keys repeated in different objects are fine: %v", err)
				}
				return
			}
			if !errors.As(err, &de) || doc != nil {
				t.Fatalf("Decode = %v, %v; want a *DuplicateKeyError", doc, err)
			}
			if de.Field() != tc.field || !strings.Contains(err.Error(), "json_escape") {
				t.Errorf("field %q, error %q; want field %q and advice", de.Field(), err, tc.field)
			}
			second := strings.LastIndex(tc.body, `"`+de.Key+`"`)
			if de.Offset < int64(second) || de.Offset > int64(second+len(de.Key)+2) {
				t.Errorf("offset %d, want the second %q at %d", de.Offset, de.Key, second)
			}
		})
	}
}
