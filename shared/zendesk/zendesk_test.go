package zendesk

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/httpjson"
)

func TestBaseURL(t *testing.T) {
	for _, tc := range []struct {
		sub, override, want, err string
	}{
		{"acme", "", "https://acme.zendesk.com", ""},
		{" ACME ", "", "https://acme.zendesk.com", ""},
		{"acme", "http://127.0.0.1:9000", "http://127.0.0.1:9000", ""},
		{"", "https://support.example.com/", "https://support.example.com", ""},
		{"", "", "", "ZENDESK_SUBDOMAIN is not set"},
		{"acme.zendesk.com", "", "", "bare subdomain"},
		{"https://acme.zendesk.com", "", "", "bare subdomain"},
		{"acme", "http://zendesk.example.com", "", "loopback"},
		{"acme", "ftp://127.0.0.1", "", "https://"},
	} {
		u, err := BaseURL(tc.sub, tc.override)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("BaseURL(%q, %q) err = %v, want %q", tc.sub, tc.override, err, tc.err)
		case tc.err == "" && (err != nil || u.String() != tc.want):
			t.Errorf("BaseURL(%q, %q) = %v, %v; want %s", tc.sub, tc.override, u, err, tc.want)
		}
	}
}

func TestAPIError(t *testing.T) {
	for _, tc := range []struct {
		status  int
		body    string
		code    string
		desc    string
		details bool
		again   bool
		unauth  bool
	}{
		{422, `{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"Subject: cannot be blank"}]}}`, "RecordInvalid", "Record validation errors", true, false, false},
		{403, `{"error":{"title":"Forbidden","message":"You do not have access to this page."}}`, "Forbidden", "You do not have access to this page.", false, false, false},
		{401, `{"error":"Couldn't authenticate you"}`, "Couldn't authenticate you", "", false, false, true},
		{429, `Too many requests`, "", "", false, true, false},
		{503, ``, "", "", false, true, false},
		{409, `{"error":"Conflict"}`, "Conflict", "", false, true, false},
		{400, `{"error":"IdempotentRequestError","description":"Request parameters don't match","details":null}`, "IdempotentRequestError", "Request parameters don't match", false, false, false},
	} {
		e := apiError("create ticket", &httpjson.Response{Status: tc.status, Header: http.Header{}, Body: []byte(tc.body)})
		if e.Code != tc.code || e.Description != tc.desc || (len(e.Details) > 0) != tc.details {
			t.Errorf("%d: %+v", tc.status, e)
		}
		if again, _ := e.Retryable(); again != tc.again {
			t.Errorf("%d: retryable = %v", tc.status, again)
		}
		if errors.Is(e, ErrUnauthorized) != tc.unauth {
			t.Errorf("%d: Is(ErrUnauthorized) = %v", tc.status, !tc.unauth)
		}
	}
}

func TestSentinels(t *testing.T) {
	const (
		unauth = 1 << iota
		notFound
		emailTaken
		extTaken
	)
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   int
	}{
		{"401", 401, `{"error":"Couldn't authenticate you"}`, unauth},
		{"404 record", 404, `{"error":"RecordNotFound","description":"Not found"}`, notFound},
		{"404 without a body", 404, ``, notFound},
		{"email taken", 422, `{"error":"RecordInvalid","description":"Record validation errors","details":{"email":[{"description":"Email: a@b.co is already being used by another user","error":"DuplicateValue"}]}}`, emailTaken},
		{"email taken, words only", 422, `{"error":"RecordInvalid","details":{"email":[{"description":"Email: a@b.co is already being used by another user"}]}}`, emailTaken},
		{"external id taken", 422, `{"error":"RecordInvalid","details":{"external_id":[{"description":"External has already been taken","error":"DuplicateValue"}]}}`, extTaken},
		{"both taken, among others", 422, `{"error":"RecordInvalid","details":{"name":[{"error":"BlankValue"}],"email":[{"error":"InvalidValue","description":"x"},{"error":"DuplicateValue"}],"external_id":[{"error":"DuplicateValue"}]}}`, emailTaken | extTaken},
		{"external id taken, filed under name", 422, `{"error":"RecordInvalid","description":"Record validation errors","details":{"name":[{"description":"External has already been taken"}]}}`, extTaken},
		{"external id taken, filed under base, other case", 422, `{"error":"RecordInvalid","details":{"base":[{"description":"  external ID has already been taken","error":"DuplicateValue"}]}}`, extTaken},
		{"email taken, filed under base", 422, `{"error":"RecordInvalid","details":{"base":[{"description":"Email: a@b.co is already being used by another user"}]}}`, emailTaken},
		{"name taken is neither", 422, `{"error":"RecordInvalid","details":{"name":[{"description":"Name: has already been taken"}]}}`, 0},
		{"external id invalid under name", 422, `{"error":"RecordInvalid","details":{"name":[{"description":"External is too long","error":"InvalidValue"}]}}`, 0},
		{"email invalid", 422, `{"error":"RecordInvalid","details":{"email":[{"description":"Email: x is not properly formatted","error":"InvalidValue"}]}}`, 0},
		{"duplicate under another field", 422, `{"error":"RecordInvalid","details":{"phone":[{"error":"DuplicateValue"}]}}`, 0},
		{"details of another shape", 422, `{"error":"RecordInvalid","details":{"email":"taken"}}`, 0},
		{"details not an object", 422, `{"error":"RecordInvalid","details":["email"]}`, 0},
		{"no details", 422, `{"error":"RecordInvalid"}`, 0},
		{"duplicate, but not a 422", 400, `{"error":"RecordInvalid","details":{"email":[{"error":"DuplicateValue"}]}}`, 0},
		{"500", 500, `{"error":"RecordNotFound"}`, 0},
	} {
		e := apiError("create user", &httpjson.Response{Status: tc.status, Header: http.Header{}, Body: []byte(tc.body)})
		for bit, target := range map[int]error{unauth: ErrUnauthorized, notFound: ErrNotFound, emailTaken: ErrEmailTaken, extTaken: ErrExternalIDTaken} {
			if got := errors.Is(e, target); got != (tc.want&bit != 0) {
				t.Errorf("%s: Is(%v) = %v", tc.name, target, got)
			}
			// Wrapped as callers wrap it, it still matches.
			if got := errors.Is(fmt.Errorf("filing: %w", e), target); got != (tc.want&bit != 0) {
				t.Errorf("%s wrapped: Is(%v) = %v", tc.name, target, got)
			}
		}
	}
}
