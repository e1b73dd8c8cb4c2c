package endpoint_test

import (
	"strings"
	"testing"

	"github.com/brazezendesk/bridge/shared/endpoint"
)

const varName = "SOME_API_ENDPOINT"

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		scheme   string
		host     string
		path     string
		asString string
	}{
		{"https", "https://api.example.com", "https", "api.example.com", "", "https://api.example.com"},
		{"https with port", "https://api.example.com:8443", "https", "api.example.com:8443", "", "https://api.example.com:8443"},
		{"surrounding space trimmed", "  https://api.example.com \n", "https", "api.example.com", "", "https://api.example.com"},
		{"trailing slash trimmed", "https://api.example.com/", "https", "api.example.com", "", "https://api.example.com"},
		{"path trailing slash trimmed", "https://api.example.com/v2/", "https", "api.example.com", "/v2", "https://api.example.com/v2"},
		{"several trailing slashes trimmed", "https://api.example.com/v2///", "https", "api.example.com", "/v2", "https://api.example.com/v2"},
		{"path kept", "https://api.example.com/a/b", "https", "api.example.com", "/a/b", "https://api.example.com/a/b"},
		{"upper-case scheme", "HTTPS://api.example.com", "https", "api.example.com", "", "https://api.example.com"},
		{"http localhost", "http://localhost:8080", "http", "localhost:8080", "", "http://localhost:8080"},
		{"http LOCALHOST", "http://LOCALHOST:8080/", "http", "LOCALHOST:8080", "", "http://LOCALHOST:8080"},
		{"http 127.0.0.1", "http://127.0.0.1:9000", "http", "127.0.0.1:9000", "", "http://127.0.0.1:9000"},
		{"http 127.x", "http://127.10.20.30", "http", "127.10.20.30", "", "http://127.10.20.30"},
		{"http ::1", "http://[::1]:8080", "http", "[::1]:8080", "", "http://[::1]:8080"},
		{"http ::1 no port", "http://[::1]/x/", "http", "[::1]", "/x", "http://[::1]/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := endpoint.Parse(varName, tt.raw)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.raw, err)
			}
			if u.Scheme != tt.scheme || u.Host != tt.host || u.Path != tt.path {
				t.Errorf("Parse(%q) = scheme %q host %q path %q, want %q %q %q",
					tt.raw, u.Scheme, u.Host, u.Path, tt.scheme, tt.host, tt.path)
			}
			if got := u.String(); got != tt.asString {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.raw, got, tt.asString)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string // a fragment of the error message
	}{
		{"empty", "", "is not set"},
		{"blank", "   \t", "is not set"},
		{"no scheme", "api.example.com", "origin URL"},
		{"no scheme with port", "api.example.com:443", "https://"},
		{"no host", "https:///v1", "origin URL"},
		{"opaque", "https:api.example.com", "origin URL"},
		{"ftp", "ftp://files.example.com", "https://"},
		{"ws", "ws://localhost:8080", "https://"},
		{"userinfo", "https://user:hunter2@api.example.com", "origin URL"},
		{"user only", "https://user@api.example.com", "origin URL"},
		{"query", "https://api.example.com/?token=hunter2", "origin URL"},
		{"fragment", "https://api.example.com/#frag-hunter2", "origin URL"},
		{"invalid port", "https://api.example.com:notaport", "origin URL"},
		{"unparsable", "https://[::1", "origin URL"},
		{"http public host", "http://api.example.com", "loopback"},
		{"http private ip", "http://10.0.0.1:8080", "loopback"},
		{"http unspecified", "http://0.0.0.0:8080", "loopback"},
		{"http localhost lookalike", "http://localhost.evil.example", "loopback"},
		{"http loopback userinfo", "http://127.0.0.1@evil.example", "origin URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := endpoint.Parse(varName, tt.raw)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.raw, u)
			}
			if u != nil {
				t.Errorf("Parse(%q) returned a URL %v with its error", tt.raw, u)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, varName+" ") {
				t.Errorf("error %q does not start with the variable name %s", msg, varName)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if raw := strings.TrimSpace(tt.raw); raw != "" && strings.Contains(msg, raw) {
				t.Errorf("error %q contains the raw value %q", msg, raw)
			}
			for _, leak := range []string{"hunter2", "evil.example", "example.com"} {
				if strings.Contains(tt.raw, leak) && strings.Contains(msg, leak) {
					t.Errorf("error %q leaks %q from the value", msg, leak)
				}
			}
		})
	}
}

func TestParseNamesTheVariable(t *testing.T) {
	for _, name := range []string{"BRAZE_REST_ENDPOINT", "ZENDESK_BASE_URL"} {
		for _, raw := range []string{"", "ftp://x.example", "http://x.example", "https://u@x.example"} {
			_, err := endpoint.Parse(name, raw)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("Parse(%q, %q) error = %v, want one naming %s", name, raw, err, name)
			}
		}
	}
}

func TestLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LocalHost", true},
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"", false},
		{"0.0.0.0", false},
		{"::", false},
		{"10.0.0.1", false},
		{"128.0.0.1", false},
		{"localhost.example.com", false},
		{"example.com", false},
		{"[::1]", false}, // Loopback takes a host name, not a bracketed host
	}
	for _, tt := range tests {
		if got := endpoint.Loopback(tt.host); got != tt.want {
			t.Errorf("Loopback(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}
