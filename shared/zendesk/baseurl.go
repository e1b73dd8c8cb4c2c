// Package zendesk is a small client for the two Zendesk Support API calls the
// bridge makes: create or update a user, and create a ticket.
package zendesk

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

var subdomainRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// BaseURL resolves the account's API origin. A full override URL wins over
// the subdomain; it must be https, except plain http to a loopback host,
// which exists for local stand-ins.
func BaseURL(subdomain, override string) (*url.URL, error) {
	if override = strings.TrimSpace(override); override != "" {
		return CheckedURL("ZENDESK_BASE_URL", override)
	}
	subdomain = strings.ToLower(strings.TrimSpace(subdomain))
	if subdomain == "" {
		return nil, fmt.Errorf("ZENDESK_SUBDOMAIN is not set (for https://acme.zendesk.com set it to acme)")
	}
	if !subdomainRE.MatchString(subdomain) {
		return nil, fmt.Errorf("ZENDESK_SUBDOMAIN must be the bare subdomain, such as acme for https://acme.zendesk.com")
	}
	return &url.URL{Scheme: "https", Host: subdomain + ".zendesk.com"}, nil
}

// CheckedURL parses an origin URL from the variable named name: https, or
// http only to a loopback host. The error names the variable, not its value.
func CheckedURL(name, raw string) (*url.URL, error) {
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
