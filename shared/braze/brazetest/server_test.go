package brazetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

const key = "api-key-1"

const noDataMsg = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields."

type answer struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// call sends one request; an empty ct sends no Content-Type, an empty auth
// no Authorization.
func call(t *testing.T, s *Server, method, path, auth, ct, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s %s: answer %d is not a JSON object: %q", method, path, resp.StatusCode, raw)
	}
	return a
}

// track posts body the way the client does.
func track(t *testing.T, s *Server, body string) answer {
	t.Helper()
	return call(t, s, http.MethodPost, TrackPath, "Bearer "+key, "application/json", body)
}

func js(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type obj = map[string]any

func attr(id string) obj { return obj{"external_id": id, "first_name": "A"} }

func event(id string) obj {
	return obj{"external_id": id, "name": "ticket_created", "time": "2024-05-06T07:08:09Z", "properties": obj{"n": 1}}
}

func purchase(id string) obj {
	return obj{"external_id": id, "product_id": "plan", "currency": "USD", "price": 9.99, "time": "2024-05-06T07:08:09Z"}
}

// with returns a copy of o with the given changes; a nil value deletes the key.
func with(o obj, kv ...any) obj {
	c := obj{}
	for k, v := range o {
		c[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func many(n int, mk func(string) obj) []obj {
	out := make([]obj, n)
	for i := range out {
		out[i] = mk(fmt.Sprint("u", i))
	}
	return out
}

func stored(s *Server) (a, e, p int) { return len(s.Attributes()), len(s.Events()), len(s.Purchases()) }

func TestAuth(t *testing.T) {
	body := js(t, obj{"events": []obj{event("u1")}})
	const restKey = "0b2f7c1e-4d5a-4e8b-9c3d-2a1f0e9d8c7b" // the shape of a Braze REST key
	for _, tc := range []struct {
		name, key, auth string
		want            int
	}{
		{"right key", key, "Bearer " + key, http.StatusCreated},
		{"right REST key", restKey, "Bearer " + restKey, http.StatusCreated},
		{"unknown REST key", key, "Bearer " + restKey, http.StatusNotFound},
		{"rotated REST key", restKey, "Bearer " + strings.Replace(restKey, "0b2f", "1b2f", 1), http.StatusNotFound},
		{"REST key upper-case", restKey, "Bearer " + strings.ToUpper(restKey), http.StatusUnauthorized},
		{"REST key without scheme", restKey, restKey, http.StatusUnauthorized},
		{"no header", key, "", http.StatusUnauthorized},
		{"wrong key", key, "Bearer other", http.StatusUnauthorized},
		{"key only", key, key, http.StatusUnauthorized},
		{"lower-case scheme", key, "bearer " + key, http.StatusUnauthorized},
		{"double space", key, "Bearer  " + key, http.StatusUnauthorized},
		{"key with suffix", key, "Bearer " + key + "x", http.StatusUnauthorized},
		{"basic", key, "Basic " + key, http.StatusUnauthorized},
		{"prefix of key", key, "Bearer " + key[:len(key)-1], http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.key)
			defer s.Close()
			a := call(t, s, http.MethodPost, TrackPath, tc.auth, "application/json", body)
			if a.status != tc.want {
				t.Fatalf("status %d, want %d: %s", a.status, tc.want, a.raw)
			}
			_, e, _ := stored(s)
			if tc.want != http.StatusCreated {
				want := map[int]string{401: "Unknown or missing REST API Key", 404: "Unknown REST API Key"}[tc.want]
				if a.body["message"] != want {
					t.Errorf("message %v, want %q", a.body["message"], want)
				}
				if e != 0 {
					t.Errorf("%d events stored after a %d", e, tc.want)
				}
			} else if e != 1 {
				t.Errorf("%d events stored, want 1", e)
			}
		})
	}
}

func TestSetAPIKey(t *testing.T) {
	s := New("old")
	defer s.Close()
	body := js(t, obj{"events": []obj{event("u1")}})
	steps := []struct {
		auth string
		want int
	}{
		{"Bearer old", http.StatusCreated},
		{"Bearer new", http.StatusUnauthorized},
		{"", 0}, // rotate
		{"Bearer old", http.StatusUnauthorized},
		{"Bearer new", http.StatusCreated},
	}
	for i, st := range steps {
		if st.want == 0 {
			s.SetAPIKey("new")
			continue
		}
		if a := call(t, s, http.MethodPost, TrackPath, st.auth, "application/json", body); a.status != st.want {
			t.Fatalf("step %d (%s): status %d, want %d: %s", i, st.auth, a.status, st.want, a.raw)
		}
	}
	if n := len(s.Events()); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}
}

func TestMethodContentTypeAndPath(t *testing.T) {
	body := js(t, obj{"events": []obj{event("u1")}})
	for _, tc := range []struct {
		name, method, path, ct string
		want                   int
		msg                    string
	}{
		{"ok", http.MethodPost, TrackPath, "application/json", 201, "success"},
		{"charset parameter", http.MethodPost, TrackPath, "application/json; charset=utf-8", 201, "success"},
		{"GET", http.MethodGet, TrackPath, "application/json", 405, "Method Not Allowed"},
		{"PUT", http.MethodPut, TrackPath, "application/json", 405, "Method Not Allowed"},
		{"text/plain", http.MethodPost, TrackPath, "text/plain", 415, "Content-Type must be application/json"},
		{"form", http.MethodPost, TrackPath, "application/x-www-form-urlencoded", 415, "Content-Type must be application/json"},
		{"json-ish", http.MethodPost, TrackPath, "application/jsonx", 415, "Content-Type must be application/json"},
		{"no content type", http.MethodPost, TrackPath, "", 415, "Content-Type must be application/json"},
		{"other path", http.MethodPost, "/users/identify", "application/json", 404, "Not Found"},
		{"trailing slash", http.MethodPost, TrackPath + "/", "application/json", 404, "Not Found"},
		{"root", http.MethodPost, "/", "application/json", 404, "Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(key)
			defer s.Close()
			a := call(t, s, tc.method, tc.path, "Bearer "+key, tc.ct, body)
			if a.status != tc.want || a.body["message"] != tc.msg {
				t.Fatalf("got %d %v, want %d %q", a.status, a.body["message"], tc.want, tc.msg)
			}
			wantStored := 0
			if tc.want == 201 {
				wantStored = 1
			}
			if _, e, _ := stored(s); e != wantStored {
				t.Errorf("%d events stored, want %d", e, wantStored)
			}
		})
	}
}

func TestBodyShape(t *testing.T) {
	ev := js(t, event("u1"))
	for _, tc := range []struct {
		name, body string
		want       int
		msg        string
	}{
		{"empty body", "", 400, "Invalid JSON"},
		{"not JSON", "events=1", 400, "Invalid JSON"},
		{"truncated", `{"events":[` + ev, 400, "Invalid JSON"},
		{"trailing garbage", `{"events":[` + ev + `]} x`, 400, "Invalid JSON"},
		{"array", `[` + ev + `]`, 400, "Invalid JSON"},
		{"string", `"events"`, 400, "Invalid JSON"},
		{"null", `null`, 400, noDataMsg},
		{"empty object", `{}`, 400, noDataMsg},
		{"only other keys", `{"user_data":[` + ev + `]}`, 400, noDataMsg},
		{"one empty array", `{"events":[]}`, 400, noDataMsg},
		{"all empty arrays", `{"attributes":[],"events":[],"purchases":[]}`, 400, noDataMsg},
		{"events is an object", `{"events":` + ev + `}`, 400, noDataMsg},
		{"events is null", `{"events":null}`, 400, noDataMsg},
		{"events holds a number", `{"events":[` + ev + `,1]}`, 400, noDataMsg},
		{"events holds null", `{"events":[null]}`, 400, noDataMsg},
		{"bad array beside a good one", `{"attributes":"x","events":[` + ev + `]}`, 400, noDataMsg},
		{"other keys ignored", `{"events":[` + ev + `],"partner":"x","attributes_extra":[1]}`, 201, "success"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(key)
			defer s.Close()
			a := track(t, s, tc.body)
			if a.status != tc.want || a.body["message"] != tc.msg {
				t.Fatalf("got %d %v, want %d %q", a.status, a.body["message"], tc.want, tc.msg)
			}
			a0, e, p := stored(s)
			if tc.want == 400 && a0+e+p != 0 {
				t.Errorf("stored %d/%d/%d after a 400", a0, e, p)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		na, ne, np int
	}{
		{"76 split", 25, 26, 25},
		{"76 in two arrays", 40, 0, 36},
		{"76 in one array", 0, 76, 0},
		{"75 split", 25, 25, 25},
		{"75 in one array", 75, 0, 0},
		{"74 split", 1, 70, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(key)
			defer s.Close()
			body := obj{}
			if tc.na > 0 {
				body["attributes"] = many(tc.na, attr)
			}
			if tc.ne > 0 {
				body["events"] = many(tc.ne, event)
			}
			if tc.np > 0 {
				body["purchases"] = many(tc.np, purchase)
			}
			a := track(t, s, js(t, body))
			total := tc.na + tc.ne + tc.np
			gotA, gotE, gotP := stored(s)
			if total > MaxObjects {
				want := map[string]any{"message": "Max Input Length Exceeded",
					"errors": []any{fmt.Sprintf("too many objects in one request: %d > 75", total)}}
				if a.status != 400 || !reflect.DeepEqual(a.body, want) {
					t.Fatalf("got %d %s, want 400 %v", a.status, a.raw, want)
				}
				if gotA+gotE+gotP != 0 {
					t.Errorf("stored %d/%d/%d after a 400", gotA, gotE, gotP)
				}
				return
			}
			if a.status != 201 || a.body["message"] != "success" {
				t.Fatalf("got %d %s", a.status, a.raw)
			}
			if _, ok := a.body["errors"]; ok {
				t.Errorf("unexpected errors: %s", a.raw)
			}
			if gotA != tc.na || gotE != tc.ne || gotP != tc.np {
				t.Errorf("stored %d/%d/%d, want %d/%d/%d", gotA, gotE, gotP, tc.na, tc.ne, tc.np)
			}
		})
	}
	if MaxObjects != 75 {
		t.Errorf("MaxObjects = %d, want 75", MaxObjects)
	}
}

type errAt struct {
	array string
	index int
}

// TestMinorErrors sends each case's arrays and checks which objects were
// skipped (and reported where), and that only the rest were stored.
func TestMinorErrors(t *testing.T) {
	a, e, p := attr("ok"), event("ok"), purchase("ok")
	for _, tc := range []struct {
		name string
		body obj
		errs []errAt
	}{
		// Identifiers.
		{"attribute without identifier", obj{"attributes": []obj{a, with(a, "external_id", nil), a}}, []errAt{{"attributes", 1}}},
		{"event without identifier", obj{"events": []obj{with(e, "external_id", nil), e}}, []errAt{{"events", 0}}},
		{"purchase without identifier", obj{"purchases": []obj{p, p, with(p, "external_id", nil)}}, []errAt{{"purchases", 2}}},
		{"empty external_id", obj{"attributes": []obj{with(a, "external_id", "")}}, []errAt{{"attributes", 0}}},
		{"blank external_id", obj{"attributes": []obj{with(a, "external_id", "  ")}}, []errAt{{"attributes", 0}}},
		{"null external_id", obj{"attributes": []obj{with(a, "external_id", json.RawMessage("null"), "email", "a@example.com"), with(a, "external_id", json.RawMessage("null"))}}, []errAt{{"attributes", 1}}},
		{"numeric external_id", obj{"attributes": []obj{with(a, "external_id", 42)}}, []errAt{{"attributes", 0}}},
		{"numeric external_id beside an email", obj{"attributes": []obj{with(a, "external_id", 42, "email", "a@example.com")}}, []errAt{{"attributes", 0}}},
		{"placeholder external_id", obj{"events": []obj{e, with(e, "external_id", "{{${user_id}}}")}}, []errAt{{"events", 1}}},
		{"placeholder email", obj{"attributes": []obj{with(a, "external_id", nil, "email", "{{custom_attribute.${email}}}")}}, []errAt{{"attributes", 0}}},
		{"placeholder beside a real identifier", obj{"attributes": []obj{with(a, "external_id", "{{x}}", "email", "a@example.com")}}, nil},
		{"braze_id alone", obj{"attributes": []obj{with(a, "external_id", nil, "braze_id", "5f1")}}, nil},
		{"email alone", obj{"events": []obj{with(e, "external_id", nil, "email", "a@example.com")}}, nil},
		{"phone alone", obj{"purchases": []obj{with(p, "external_id", nil, "phone", "+15555550100")}}, nil},
		{"user_alias alone", obj{"attributes": []obj{with(a, "external_id", nil, "user_alias", obj{"alias_name": "n", "alias_label": "l"})}}, nil},
		{"user_alias without label", obj{"attributes": []obj{a, with(a, "external_id", nil, "user_alias", obj{"alias_name": "n"})}}, []errAt{{"attributes", 1}}},
		{"user_alias with empty name", obj{"attributes": []obj{with(a, "external_id", nil, "user_alias", obj{"alias_name": "", "alias_label": "l"})}}, []errAt{{"attributes", 0}}},
		{"user_alias with placeholder", obj{"attributes": []obj{with(a, "external_id", nil, "user_alias", obj{"alias_name": "{{id}}", "alias_label": "l"})}}, []errAt{{"attributes", 0}}},
		{"user_alias label placeholder", obj{"attributes": []obj{with(a, "external_id", nil, "user_alias", obj{"alias_name": "n", "alias_label": "{{label}}"})}}, []errAt{{"attributes", 0}}},
		{"user_alias a string", obj{"attributes": []obj{with(a, "external_id", nil, "user_alias", "n")}}, []errAt{{"attributes", 0}}},

		// Events.
		{"event without time", obj{"events": []obj{e, with(e, "time", nil)}}, []errAt{{"events", 1}}},
		{"event with null time", obj{"events": []obj{with(e, "time", json.RawMessage("null"))}}, []errAt{{"events", 0}}},
		{"event time not a string", obj{"events": []obj{with(e, "time", 1714979289)}}, []errAt{{"events", 0}}},
		{"event time with a space", obj{"events": []obj{with(e, "time", "2024-05-06 07:08:09Z")}}, []errAt{{"events", 0}}},
		{"event time without zone", obj{"events": []obj{with(e, "time", "2024-05-06T07:08:09")}}, []errAt{{"events", 0}}},
		{"event date only", obj{"events": []obj{with(e, "time", "2024-05-06")}}, []errAt{{"events", 0}}},
		{"event time in words", obj{"events": []obj{with(e, "time", "yesterday")}}, []errAt{{"events", 0}}},
		{"event time placeholder", obj{"events": []obj{with(e, "time", "{{now}}")}}, []errAt{{"events", 0}}},
		{"event Braze time, two-digit millis", obj{"events": []obj{with(e, "time", "2024-05-06T07:08:09:12Z")}}, []errAt{{"events", 0}}},
		{"event time formats accepted", obj{"events": []obj{
			with(e, "time", "2024-05-06T07:08:09Z"),
			with(e, "time", "2024-05-06T07:08:09.123+02:00"),
			with(e, "time", "2024-05-06T07:08:09.1Z"),
			with(e, "time", "2024-05-06T07:08:09:000Z"),
			with(e, "time", "2024-05-06T07:08:09:123Z"),
			with(e, "time", "2024-05-06T07:08:09:123-0800"),
			with(e, "time", "2024-05-06T07:08:09:999+05:30"),
		}}, nil},
		// Zendesk writes nanoseconds; Braze documents nothing finer than milliseconds.
		{"event time in nanoseconds", obj{"events": []obj{e, with(e, "time", "2019-05-25T01:23:45.465719851Z")}}, []errAt{{"events", 1}}},
		{"event time in microseconds", obj{"events": []obj{with(e, "time", "2024-05-06T07:08:09.123456+02:00")}}, []errAt{{"events", 0}}},
		{"event time with an empty fraction", obj{"events": []obj{with(e, "time", "2024-05-06T07:08:09.Z")}}, []errAt{{"events", 0}}},
		{"event without name", obj{"events": []obj{with(e, "name", nil)}}, []errAt{{"events", 0}}},
		{"event with empty name", obj{"events": []obj{with(e, "name", "")}}, []errAt{{"events", 0}}},
		{"event name not a string", obj{"events": []obj{with(e, "name", 7)}}, []errAt{{"events", 0}}},
		{"event properties an array", obj{"events": []obj{with(e, "properties", []any{1})}}, []errAt{{"events", 0}}},
		{"event properties a string", obj{"events": []obj{with(e, "properties", "x")}}, []errAt{{"events", 0}}},
		{"event without properties", obj{"events": []obj{with(e, "properties", nil)}}, nil},
		{"event property of 255 characters", obj{"events": []obj{with(e, "properties", obj{"subject": strings.Repeat("é", 255)})}}, nil},
		{"event property of 256 characters", obj{"events": []obj{e, with(e, "properties", obj{"subject": strings.Repeat("a", 256)})}}, []errAt{{"events", 1}}},
		{"event property of 128 emoji", obj{"events": []obj{with(e, "properties", obj{"subject": strings.Repeat("😀", 128)})}}, []errAt{{"events", 0}}},
		{"event tag of 300 characters", obj{"events": []obj{with(e, "properties", obj{"tags": []any{"vip", strings.Repeat("t", 300)}})}}, []errAt{{"events", 0}}},
		{"event nested string of 256", obj{"events": []obj{with(e, "properties", obj{"r": obj{"s": strings.Repeat("n", 256)}})}}, []errAt{{"events", 0}}},
		{"event property name of 256", obj{"events": []obj{with(e, "properties", obj{strings.Repeat("k", 256): 1})}}, []errAt{{"events", 0}}},
		{"event property name with $", obj{"events": []obj{with(e, "properties", obj{"$price": 1})}}, []errAt{{"events", 0}}},
		{"purchase property of 256", obj{"purchases": []obj{with(p, "properties", obj{"note": strings.Repeat("a", 256)})}}, []errAt{{"purchases", 0}}},
		{"update-only not a boolean", obj{"events": []obj{with(e, "_update_existing_only", "true")}}, []errAt{{"events", 0}}},

		// Purchases.
		{"purchase without product_id", obj{"purchases": []obj{with(p, "product_id", nil)}}, []errAt{{"purchases", 0}}},
		{"purchase empty product_id", obj{"purchases": []obj{with(p, "product_id", "")}}, []errAt{{"purchases", 0}}},
		{"purchase without currency", obj{"purchases": []obj{with(p, "currency", nil)}}, []errAt{{"purchases", 0}}},
		{"purchase 2-letter currency", obj{"purchases": []obj{with(p, "currency", "US")}}, []errAt{{"purchases", 0}}},
		{"purchase 4-letter currency", obj{"purchases": []obj{with(p, "currency", "USDT")}}, []errAt{{"purchases", 0}}},
		{"purchase numeric currency", obj{"purchases": []obj{with(p, "currency", "840")}}, []errAt{{"purchases", 0}}},
		{"purchase without price", obj{"purchases": []obj{with(p, "price", nil)}}, []errAt{{"purchases", 0}}},
		{"purchase price a string", obj{"purchases": []obj{with(p, "price", "9.99")}}, []errAt{{"purchases", 0}}},
		{"purchase price zero", obj{"purchases": []obj{with(p, "price", 0)}}, nil},
		{"purchase without time", obj{"purchases": []obj{with(p, "time", nil)}}, []errAt{{"purchases", 0}}},
		{"purchase bad time", obj{"purchases": []obj{with(p, "time", "06/05/2024")}}, []errAt{{"purchases", 0}}},
		{"purchase Braze time", obj{"purchases": []obj{with(p, "time", "2024-05-06T07:08:09:123Z")}}, nil},
		{"purchase quantity 0", obj{"purchases": []obj{with(p, "quantity", 0)}}, []errAt{{"purchases", 0}}},
		{"purchase quantity 101", obj{"purchases": []obj{with(p, "quantity", 101)}}, []errAt{{"purchases", 0}}},
		{"purchase quantity 1.5", obj{"purchases": []obj{with(p, "quantity", 1.5)}}, []errAt{{"purchases", 0}}},
		{"purchase quantity 100", obj{"purchases": []obj{with(p, "quantity", 100)}}, nil},
		{"purchase properties a number", obj{"purchases": []obj{with(p, "properties", 3)}}, []errAt{{"purchases", 0}}},

		// Attributes need only an identifier.
		{"attribute with only an identifier", obj{"attributes": []obj{{"external_id": "x"}}}, nil},

		// Several arrays: indexes are per array.
		{"mixed", obj{
			"attributes": []obj{a, with(a, "external_id", nil)},
			"events":     []obj{with(e, "time", nil), e, with(e, "time", "bad")},
			"purchases":  []obj{with(p, "currency", "dollars"), p},
		}, []errAt{{"attributes", 1}, {"events", 0}, {"events", 2}, {"purchases", 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(key)
			defer s.Close()
			s.AssumeProfilesExist() // a braze_id or alias alone names someone
			ans := track(t, s, js(t, tc.body))
			if ans.status != 201 || ans.body["message"] != "success" {
				t.Fatalf("got %d %s, want 201 success", ans.status, ans.raw)
			}
			var got []errAt
			raw, has := ans.body["errors"]
			if has {
				list, ok := raw.([]any)
				if !ok || len(list) == 0 {
					t.Fatalf("errors is %#v, want a non-empty array or no key", raw)
				}
				for _, item := range list {
					m, _ := item.(map[string]any)
					typ, _ := m["type"].(string)
					arr, _ := m["input_array"].(string)
					idx, ok := m["index"].(float64)
					if typ == "" || arr == "" || !ok || len(m) != 3 {
						t.Fatalf("malformed minor error %#v", item)
					}
					got = append(got, errAt{arr, int(idx)})
				}
			}
			if !reflect.DeepEqual(got, tc.errs) {
				t.Fatalf("minor errors at %v, want %v: %s", got, tc.errs, ans.raw)
			}
			storedBy := map[string]int{}
			storedBy["attributes"], storedBy["events"], storedBy["purchases"] = stored(s)
			for _, name := range []string{"attributes", "events", "purchases"} {
				sent, present := tc.body[name].([]obj)
				bad := 0
				for _, e := range tc.errs {
					if e.array == name {
						bad++
					}
				}
				if got, want := storedBy[name], len(sent)-bad; got != want {
					t.Errorf("%s: %d stored, want %d", name, got, want)
				}
				n, ok := ans.body[name+"_processed"]
				if ok != present {
					t.Errorf("%s_processed present=%v, want %v: %s", name, ok, present, ans.raw)
				}
				if present && n != float64(len(sent)-bad) {
					t.Errorf("%s_processed = %v, want %d", name, n, len(sent)-bad)
				}
			}
		})
	}
}

func TestCountsOnlyForArraysPresent(t *testing.T) {
	for _, tc := range []struct {
		name string
		body obj
		want map[string]any
	}{
		{"events only", obj{"events": []obj{event("a"), event("b")}},
			map[string]any{"message": "success", "events_processed": 2.0}},
		{"attributes and purchases", obj{"attributes": []obj{attr("a")}, "purchases": []obj{purchase("a"), purchase("b"), purchase("c")}},
			map[string]any{"message": "success", "attributes_processed": 1.0, "purchases_processed": 3.0}},
		{"empty array beside a full one", obj{"attributes": []obj{}, "events": []obj{event("a")}},
			map[string]any{"message": "success", "attributes_processed": 0.0, "events_processed": 1.0}},
		{"all three", obj{"attributes": []obj{attr("a")}, "events": []obj{event("a")}, "purchases": []obj{purchase("a")}},
			map[string]any{"message": "success", "attributes_processed": 1.0, "events_processed": 1.0, "purchases_processed": 1.0}},
		{"every object invalid", obj{"events": []obj{with(event("a"), "time", nil)}},
			map[string]any{"message": "success", "events_processed": 0.0,
				"errors": []any{map[string]any{"type": "'time' is required", "input_array": "events", "index": 0.0}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(key)
			defer s.Close()
			a := track(t, s, js(t, tc.body))
			if a.status != 201 || !reflect.DeepEqual(a.body, tc.want) {
				t.Fatalf("got %d %s, want 201 %v", a.status, a.raw, tc.want)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestStoredAsDecodedInOrder(t *testing.T) {
	s := New(key)
	defer s.Close()
	track(t, s, js(t, obj{"events": []obj{with(event("a"), "properties", obj{"n": 1, "tags": []any{"x"}})}}))
	track(t, s, js(t, obj{"events": []obj{event("b"), with(event("bad"), "name", nil), event("c")},
		"attributes": []obj{attr("z")}, "purchases": []obj{purchase("p")}}))

	evs := s.Events()
	var ids []any
	for _, e := range evs {
		ids = append(ids, e["external_id"])
	}
	if !reflect.DeepEqual(ids, []any{"a", "b", "c"}) {
		t.Fatalf("events in order %v, want [a b c]", ids)
	}
	props := evs[0]["properties"].(map[string]any)
	if props["n"] != 1.0 {
		t.Errorf("number decoded as %T %v, want float64 1", props["n"], props["n"])
	}
	if p := s.Purchases(); len(p) != 1 || p[0]["price"] != 9.99 || p[0]["currency"] != "USD" {
		t.Errorf("purchases %v", p)
	}
	if a := s.Attributes(); len(a) != 1 || a[0]["external_id"] != "z" || a[0]["first_name"] != "A" {
		t.Errorf("attributes %v", a)
	}

	// What callers get are copies.
	props["n"] = 2.0
	props["tags"].([]any)[0] = "y"
	evs[1]["name"] = "changed"
	again := s.Events()
	if p := again[0]["properties"].(map[string]any); p["n"] != 1.0 || p["tags"].([]any)[0] != "x" {
		t.Errorf("stored event changed through a returned copy: %v", p)
	}
	if again[1]["name"] != "ticket_created" {
		t.Errorf("stored event name changed to %v", again[1]["name"])
	}
}

func TestScriptedReplies(t *testing.T) {
	s := New(key)
	defer s.Close()
	s.Script(TrackPath, Reply{Status: 429, Header: map[string]string{"Retry-After": "3"}, Body: `{"message":"rate limited"}`})
	s.Script("/elsewhere", Reply{Status: 500, Body: `{}`})
	body := js(t, obj{"events": []obj{event("a")}})

	// The scripted reply comes first, whatever the request.
	a := call(t, s, http.MethodPost, TrackPath, "Bearer wrong", "text/plain", body)
	if a.status != 429 || a.header.Get("Retry-After") != "3" || a.body["message"] != "rate limited" {
		t.Fatalf("scripted: got %d Retry-After=%q %s", a.status, a.header.Get("Retry-After"), a.raw)
	}
	if n := len(s.Events()); n != 0 {
		t.Fatalf("%d events stored by a scripted reply", n)
	}
	// Then normal handling resumes.
	if a := call(t, s, http.MethodPost, TrackPath, "Bearer wrong", "application/json", body); a.status != 401 {
		t.Fatalf("after script: got %d %s, want 401", a.status, a.raw)
	}
	if a := track(t, s, body); a.status != 201 || a.body["events_processed"] != 1.0 {
		t.Fatalf("after script: got %d %s, want 201", a.status, a.raw)
	}
	if n := len(s.Events()); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}

	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests recorded, want 3", len(reqs))
	}
	first := reqs[0]
	if first.Method != http.MethodPost || first.Path != TrackPath || string(first.Body) != body ||
		first.Header.Get("Authorization") != "Bearer wrong" || first.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("scripted request recorded as %+v", first)
	}
	if n := len(s.RequestsTo(TrackPath)); n != 3 {
		t.Errorf("RequestsTo(TrackPath) = %d, want 3", n)
	}
	if n := len(s.RequestsTo("/elsewhere")); n != 0 {
		t.Errorf("RequestsTo(/elsewhere) = %d, want 0", n)
	}

	// Recorded requests are copies.
	first.Header.Set("Authorization", "x")
	first.Body[0] = 'X'
	if r := s.Requests()[0]; r.Header.Get("Authorization") != "Bearer wrong" || string(r.Body) != body {
		t.Errorf("recorded request changed through a returned copy: %+v", r)
	}

	// A script on another path answers only there.
	if a := call(t, s, http.MethodPost, "/elsewhere", "Bearer "+key, "application/json", "{}"); a.status != 500 {
		t.Errorf("/elsewhere: got %d", a.status)
	}
	if a := call(t, s, http.MethodPost, "/elsewhere", "Bearer "+key, "application/json", "{}"); a.status != 404 {
		t.Errorf("/elsewhere after script: got %d, want 404", a.status)
	}
}

func TestScriptedQueueInOrder(t *testing.T) {
	s := New(key)
	defer s.Close()
	s.Script(TrackPath, Reply{Status: 503, Body: `{"message":"a"}`})
	s.Script(TrackPath, Reply{Status: 500, Body: `{"message":"b"}`}, Reply{Status: 429, Body: `{"message":"c"}`})
	body := js(t, obj{"attributes": []obj{attr("a")}})
	for i, want := range []int{503, 500, 429, 201} {
		if a := track(t, s, body); a.status != want {
			t.Fatalf("request %d: got %d, want %d", i, a.status, want)
		}
	}
}

func TestScriptedDelay(t *testing.T) {
	s := New(key)
	defer s.Close()
	body := js(t, obj{"events": []obj{event("a")}})

	// The reply waits for Delay.
	s.Script(TrackPath, Reply{Status: 429, Body: `{"message":"slow"}`, Delay: 150 * time.Millisecond})
	start := time.Now()
	if a := track(t, s, body); a.status != 429 {
		t.Fatalf("got %d", a.status)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %v, before the delay", d)
	}

	// A long delay neither holds the lock nor outlives the caller.
	s.Script(TrackPath, Reply{Status: 200, Body: `{}`, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+TrackPath, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for len(s.Requests()) < 2 { // the slow request has arrived
		time.Sleep(5 * time.Millisecond)
	}
	inner := make(chan int, 1)
	go func() {
		resp, err := http.Post(s.URL+"/nowhere", "application/json", strings.NewReader("{}"))
		if err != nil {
			inner <- 0
			return
		}
		resp.Body.Close()
		inner <- resp.StatusCode
	}()
	select {
	case st := <-inner:
		if st != 401 {
			t.Errorf("concurrent request got %d, want 401", st)
		}
	case <-time.After(200 * time.Millisecond):
		t.Fatal("a concurrent request waited on a delayed reply")
	}
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("delayed call ended with %v, want deadline exceeded", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the delayed call did not end with its context")
	}
	// Closing must not wait for the minute-long delay either: the handler
	// returned when its request's context ended.
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a cancelled delayed reply")
	}
}

func TestObjectsPerRequestOfTheContract(t *testing.T) {
	for _, tc := range []struct {
		name         string
		limit, total int
		want         int
	}{
		{"default 75", 0, 75, http.StatusCreated},
		{"default 76", 0, 76, http.StatusBadRequest},
		{"MAU 50", MAUObjectsPerRequest, 50, http.StatusCreated},
		{"MAU 51", MAUObjectsPerRequest, 51, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(key)
			defer s.Close()
			if tc.limit > 0 {
				s.SetObjectsPerRequest(tc.limit)
			}
			a := track(t, s, js(t, obj{"attributes": many(tc.total/2, attr), "events": many(tc.total-tc.total/2, event)}))
			if a.status != tc.want {
				t.Fatalf("%d objects: %d %s, want %d", tc.total, a.status, a.raw, tc.want)
			}
			if ga, ge, _ := stored(s); tc.want != http.StatusCreated && ga+ge != 0 {
				t.Errorf("stored %d objects of a refused request", ga+ge)
			}
		})
	}
}

func TestProfiles(t *testing.T) {
	alias := obj{"alias_name": "n", "alias_label": "l"}
	byID := func(k string, v any, extra ...any) obj {
		o := obj{"name": "ticket_created", "time": "2024-05-06T07:08:09Z", k: v}
		for i := 0; i+1 < len(extra); i += 2 {
			o[extra[i].(string)] = extra[i+1]
		}
		return o
	}
	for _, tc := range []struct {
		name           string
		known          [][2]string
		ev             obj
		stored         bool
		created, skips []Profile
	}{
		{"unknown external id is created", nil, byID("external_id", "u1"), true, []Profile{"external_id:u1"}, nil},
		{"unknown email is created", nil, byID("email", "Ada@Example.com"), true, []Profile{"email:ada@example.com"}, nil},
		{"unknown phone is created", nil, byID("phone", "+15555550100"), true, []Profile{"phone:+15555550100"}, nil},
		{"update-only unknown external id", nil, byID("external_id", "u1", "_update_existing_only", true), false, nil, []Profile{"external_id:u1"}},
		{"update-only unknown email", nil, byID("email", "a@example.com", "_update_existing_only", true), false, nil, []Profile{"email:a@example.com"}},
		{"update-only known external id", [][2]string{{"external_id", "u1"}}, byID("external_id", "u1", "_update_existing_only", true), true, nil, nil},
		{"update-only known email in another case", [][2]string{{"email", "a@example.com"}}, byID("email", "A@EXAMPLE.COM", "_update_existing_only", true), true, nil, nil},
		{"create explicitly", nil, byID("external_id", "u1", "_update_existing_only", false), true, []Profile{"external_id:u1"}, nil},
		{"unknown alias is update-only by default", nil, byID("user_alias", alias), false, nil, []Profile{"user_alias:l/n"}},
		{"alias created when asked", nil, byID("user_alias", alias, "_update_existing_only", false), true, []Profile{"user_alias:l/n"}, nil},
		{"unknown braze_id is never created", nil, byID("braze_id", "5f1", "_update_existing_only", false), false, nil, []Profile{"braze_id:5f1"}},
		{"external id wins over email", [][2]string{{"email", "a@example.com"}}, byID("external_id", "u1", "email", "a@example.com", "_update_existing_only", true), false, nil, []Profile{"external_id:u1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(key)
			defer s.Close()
			for _, k := range tc.known {
				s.AddProfile(k[0], k[1])
			}
			a := track(t, s, js(t, obj{"events": []obj{tc.ev}}))
			// Braze queues the object and says so: the drop comes later.
			if a.status != 201 || a.body["events_processed"] != 1.0 || a.body["errors"] != nil {
				t.Fatalf("got %d %s", a.status, a.raw)
			}
			if got := len(s.Events()) == 1; got != tc.stored {
				t.Errorf("stored = %v, want %v", got, tc.stored)
			}
			if !reflect.DeepEqual(s.Created(), tc.created) || !reflect.DeepEqual(s.Skipped(), tc.skips) {
				t.Errorf("created %v skipped %v, want %v and %v", s.Created(), s.Skipped(), tc.created, tc.skips)
			}
		})
	}
	t.Run("a created profile exists for the next object", func(t *testing.T) {
		s := New(key)
		defer s.Close()
		track(t, s, js(t, obj{"attributes": []obj{{"email": "a@example.com"}}}))
		track(t, s, js(t, obj{"events": []obj{byID("email", "a@example.com", "_update_existing_only", true)}}))
		if len(s.Events()) != 1 || len(s.Created()) != 1 {
			t.Errorf("events %d created %v", len(s.Events()), s.Created())
		}
	})
}

func TestLongAttributeNotStored(t *testing.T) {
	s := New(key)
	defer s.Close()
	a := track(t, s, js(t, obj{"attributes": []obj{{"external_id": "u1", "plan": "gold", "note": strings.Repeat("x", 256)}}}))
	if a.status != 201 || a.body["attributes_processed"] != 1.0 || a.body["errors"] != nil {
		t.Fatalf("got %d %s", a.status, a.raw)
	}
	got := s.Attributes()
	if len(got) != 1 || got[0]["plan"] != "gold" || got[0]["note"] != nil {
		t.Errorf("stored %v: the long attribute must be left out, the rest kept", got)
	}
}

// TestEmptyBodyAndPermission: the key is judged before the body, so an
// empty object shows whether a key may call /users/track and writes
// nothing whatever the answer.
func TestEmptyBodyAndPermission(t *testing.T) {
	const restKey = "0b2f7c1e-4d5a-4e8b-9c3d-2a1f0e9d8c7b"
	for _, tc := range []struct {
		name    string
		auth    string
		deny    bool
		want    int
		message string
	}{
		{"valid key", "Bearer " + restKey, false, http.StatusBadRequest, noData},
		{"no key", "", false, http.StatusUnauthorized, "Unknown or missing REST API Key"},
		{"unknown key", "Bearer " + strings.Replace(restKey, "0b2f", "1b2f", 1), false, http.StatusNotFound, "Unknown REST API Key"},
		{"key without users.track", "Bearer " + restKey, true, http.StatusForbidden, "Access Denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(restKey)
			defer s.Close()
			s.DenyTrack(tc.deny)
			a := call(t, s, http.MethodPost, TrackPath, tc.auth, "application/json", "{}")
			if a.status != tc.want || a.body["message"] != tc.message {
				t.Errorf("%d %v, want %d %q", a.status, a.body["message"], tc.want, tc.message)
			}
			if x, y, z := stored(s); x+y+z != 0 {
				t.Errorf("stored %d attributes, %d events, %d purchases", x, y, z)
			}
		})
	}
	// Given back, the permission works again, for a real body too.
	s := New(restKey)
	defer s.Close()
	s.DenyTrack(true)
	s.DenyTrack(false)
	if a := call(t, s, http.MethodPost, TrackPath, "Bearer "+restKey, "application/json", js(t, obj{"events": []obj{event("u1")}})); a.status != http.StatusCreated {
		t.Errorf("status %d after the permission was given back", a.status)
	}
}
