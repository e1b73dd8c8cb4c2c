package bearer_test

import (
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/bearer"
)

func TestMatches(t *testing.T) {
	const tok = "s3cr3t-T0ken"
	tests := []struct {
		name string
		auth string
		want string
		ok   bool
	}{
		{"exact match", "Bearer " + tok, tok, true},
		{"wrong token", "Bearer nope", tok, false},
		{"token prefix", "Bearer " + tok[:5], tok, false},
		{"token with extra suffix", "Bearer " + tok + "x", tok, false},
		{"token differs in case", "Bearer " + strings.ToUpper(tok), tok, false},
		{"missing scheme", tok, tok, false},
		{"scheme only", "Bearer", tok, false},
		{"scheme and space only", "Bearer ", tok, false},
		{"empty header", "", tok, false},
		{"lower-case scheme accepted", "bearer " + tok, tok, true},
		{"upper-case scheme accepted", "BEARER " + tok, tok, true},
		{"extra spaces between", "Bearer    " + tok, tok, true},
		{"surrounding spaces", "  Bearer " + tok + "  ", tok, true},
		{"trailing tab and newline", "Bearer " + tok + "\t\r\n", tok, true},
		{"leading space before scheme", " Bearer " + tok, tok, true},
		{"tab instead of space", "Bearer\t" + tok, tok, false},
		{"no space after scheme", "Bearer" + tok, tok, false},
		{"empty want never matches", "Bearer ", "", false},
		{"empty want, bare scheme", "Bearer", "", false},
		{"empty want, some token", "Bearer x", "", false},
		{"empty want, spaces", "Bearer    ", "", false},
		{"Basic scheme", "Basic x", "x", false},
		{"Basic scheme, real token", "Basic " + tok, tok, false},
		{"other scheme", "Token " + tok, tok, false},
		{"token containing a space", "Bearer a b", "a b", true},
		{"token containing a space, partial", "Bearer a b", "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bearer.Matches(tt.auth, tt.want); got != tt.ok {
				t.Fatalf("BearerMatches(%q, %q) = %v, want %v", tt.auth, tt.want, got, tt.ok)
			}
		})
	}
}

func FuzzMatches(f *testing.F) {
	f.Add("Bearer abc", "abc")
	f.Add("bearer  abc ", "abc")
	f.Add("Basic abc", "abc")
	f.Add("", "")
	f.Add("Bearer ", "")
	f.Add("Bearer a b c", "a b c")
	f.Add("Bearer\u00a0x", "x")
	f.Fuzz(func(t *testing.T, auth, tok string) {
		// Never panics, and an empty want never matches.
		got := bearer.Matches(auth, tok)
		if tok == "" && got {
			t.Fatalf("BearerMatches(%q, \"\") = true", auth)
		}
		// A match means the header, trimmed, is a bearer scheme then the
		// token after white space.
		if got {
			a := strings.TrimSpace(auth)
			if len(a) < 7 || !strings.EqualFold(a[:7], "Bearer ") || strings.TrimSpace(a[7:]) != tok {
				t.Fatalf("BearerMatches(%q, %q) = true, but the header does not carry that token", auth, tok)
			}
		}
		if tok == "" || strings.TrimSpace(tok) != tok {
			return
		}
		// Any token without surrounding white space round-trips,
		// whatever the scheme's case or the padding around it.
		for _, h := range []string{"Bearer " + tok, "bearer " + tok, "BEARER  " + tok + " ", " Bearer\u0020" + tok + "\n"} {
			if !bearer.Matches(h, tok) {
				t.Fatalf("BearerMatches(%q, %q) = false, want true", h, tok)
			}
		}
		// And any other token is refused.
		if bearer.Matches("Bearer "+tok+"x", tok) {
			t.Fatalf("BearerMatches accepted a longer token for %q", tok)
		}
		if bearer.Matches("Bearer "+tok, tok+"x") {
			t.Fatalf("BearerMatches accepted a shorter token for %q", tok+"x")
		}
		if bearer.Matches("Basic "+tok, tok) {
			t.Fatalf("BearerMatches accepted the Basic scheme for %q", tok)
		}
	})
}
