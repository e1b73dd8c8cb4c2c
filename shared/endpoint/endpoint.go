// Package endpoint checks the origin URLs of the APIs the bridge calls, as
// they arrive from environment variables.
package endpoint

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Parse reads an origin URL from the variable named name: https, or plain
// http only to a loopback host (local stand-ins). The error names the
// variable, not its value.
func Parse(name, raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("%s is not set", name)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s must be an origin URL such as https://host", name)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !Loopback(u.Hostname()) {
			return nil, fmt.Errorf("%s may use plain http only for a loopback host", name)
		}
	default:
		return nil, fmt.Errorf("%s must start with https://", name)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// Loopback reports whether host is localhost or a loopback address.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
