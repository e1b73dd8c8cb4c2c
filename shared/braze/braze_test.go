package braze

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct {
		raw string
		ok  bool
	}{
		{"https://rest.iad-01.braze.com", true},
		{"https://rest.fra-02.braze.eu/", true},
		{"https://rest.au-01.braze.com", true},
		{"http://127.0.0.1:8080", true},
		{"http://localhost:9", true},
		{"", false},
		{"rest.iad-01.braze.com", false},
		{"http://rest.iad-01.braze.com", false},
		{"https://rest.iad-01.braze.com.evil.example", false},
		{"https://dashboard-01.braze.com", false},
		{"https://rest.iad-01.braze.com/users/track", false},
		{"https://user:pw@rest.iad-01.braze.com", false},
	} {
		_, err := Endpoint(tc.raw)
		if (err == nil) != tc.ok {
			t.Errorf("Endpoint(%q) = %v, want ok=%v", tc.raw, err, tc.ok)
		}
		if err != nil && tc.raw != "" && strings.Contains(err.Error(), tc.raw) {
			t.Errorf("error repeats the value: %v", err)
		}
	}
}

func objects(prefix string, n int) []Object {
	out := make([]Object, n)
	for i := range out {
		out[i] = Object{"external_id": fmt.Sprint(prefix, i)}
	}
	return out
}

func TestBatches(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      Track
		limit   int
		batches []int // objects per batch
	}{
		{"empty", Track{}, 0, nil},
		{"one", Track{Events: objects("e", 1)}, 0, []int{1}},
		{"exactly 75", Track{Attributes: objects("a", 25), Events: objects("e", 50)}, 0, []int{75}},
		{"76", Track{Attributes: objects("a", 25), Events: objects("e", 50), Purchases: objects("p", 1)}, 0, []int{75, 1}},
		{"200 events", Track{Events: objects("e", 200)}, 0, []int{75, 75, 50}},
		{"over the most any contract allows", Track{Events: objects("e", 100)}, 200, []int{75, 25}},
		{"MAU: exactly 50", Track{Attributes: objects("a", 25), Events: objects("e", 25)}, MAUObjects, []int{50}},
		{"MAU: 75 across arrays", Track{Attributes: objects("a", 25), Events: objects("e", 25), Purchases: objects("p", 25)}, MAUObjects, []int{50, 25}},
		{"MAU: 200 events", Track{Events: objects("e", 200)}, MAUObjects, []int{50, 50, 50, 50}},
		{"one a request", Track{Attributes: objects("a", 1), Events: objects("e", 2)}, 1, []int{1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Batches(tc.in, tc.limit)
			if len(got) != len(tc.batches) {
				t.Fatalf("batches = %d, want %d", len(got), len(tc.batches))
			}
			var seen []string
			for i, b := range got {
				if b.Len() != tc.batches[i] {
					t.Errorf("batch %d has %d objects, want %d", i, b.Len(), tc.batches[i])
				}
				for _, arr := range [][]Object{b.Attributes, b.Events, b.Purchases} {
					for _, o := range arr {
						seen = append(seen, o["external_id"].(string))
					}
				}
			}
			var want []string
			for _, arr := range [][]Object{tc.in.Attributes, tc.in.Events, tc.in.Purchases} {
				for _, o := range arr {
					want = append(want, o["external_id"].(string))
				}
			}
			if fmt.Sprint(seen) != fmt.Sprint(want) {
				t.Errorf("objects reordered or lost:\n got %v\nwant %v", seen, want)
			}
		})
	}
}

func TestWaitFor(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{http.Header{"X-Ratelimit-Reset": {"1800000012"}}, 12 * time.Second},
		{http.Header{"Retry-After": {"3"}, "X-Ratelimit-Reset": {"1800000012"}}, 3 * time.Second},
		{http.Header{"X-Ratelimit-Reset": {"1799999990"}}, 0},
		{http.Header{}, 0},
	} {
		if got := waitFor(tc.h, now); got != tc.want {
			t.Errorf("waitFor(%v) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

func TestKeyRejected(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   bool
	}{
		{401, true}, {404, true}, // Braze: "Unknown or missing REST API Key", "Unknown REST API Key"
		{403, false}, {400, false}, {429, false}, {500, false}, {0, false},
	} {
		e := &Error{Status: tc.status}
		if e.KeyRejected() != tc.want || errors.Is(e, ErrUnauthorized) != tc.want {
			t.Errorf("%d: KeyRejected %v, errors.Is %v, want %v", tc.status, e.KeyRejected(), errors.Is(e, ErrUnauthorized), tc.want)
		}
	}
}

func TestObjectsPerRequest(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want int
		ok   bool
	}{
		{"", 75, true}, {" ", 75, true}, {"75", 75, true}, {"50", 50, true}, {" 50 ", 50, true}, {"1", 1, true},
		{"0", 0, false}, {"76", 0, false}, {"225", 0, false}, {"-5", 0, false}, {"fifty", 0, false}, {"50.0", 0, false},
	} {
		got, err := ObjectsPerRequest(tc.raw)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ObjectsPerRequest(%q) = %d, %v; want %d, ok=%v", tc.raw, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "BRAZE_OBJECTS_PER_REQUEST") {
			t.Errorf("error does not name the variable: %v", err)
		}
	}
}

func TestCreateProfiles(t *testing.T) {
	for _, tc := range []struct {
		raw      string
		want, ok bool
	}{
		{"", false, true}, {"No", false, true}, {"no", false, true}, {"false", false, true},
		{"Yes", true, true}, {" yes ", true, true}, {"TRUE", true, true},
		{"maybe", false, false}, {"1", false, false},
	} {
		got, err := CreateProfiles(tc.raw)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("CreateProfiles(%q) = %v, %v; want %v, ok=%v", tc.raw, got, err, tc.want, tc.ok)
		}
	}
}

func TestSetProfileCreation(t *testing.T) {
	for _, create := range []bool{false, true} {
		tr := Track{
			Attributes: []Object{{"external_id": "a"}},
			Events:     []Object{{"email": "e@example.com"}, {"external_id": "b", UpdateOnly: false}},
			Purchases:  []Object{{"phone": "+15555550100", UpdateOnly: true}},
		}
		SetProfileCreation(tr, create)
		for i, got := range []any{tr.Attributes[0][UpdateOnly], tr.Events[0][UpdateOnly], tr.Events[1][UpdateOnly], tr.Purchases[0][UpdateOnly]} {
			want := []any{!create, !create, false, true}[i] // what a body says itself stands
			if got != want {
				t.Errorf("create=%v: object %d has %v, want %v", create, i, got, want)
			}
		}
	}
}
