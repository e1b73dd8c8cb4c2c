// Package zendesk is a small client for the Zendesk Support API calls the
// bridge makes: create or update a user, and create a ticket.
package zendesk

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/brazezendesk/bridge/shared/endpoint"
)

var subdomainRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// BaseURL resolves the account's API origin. A full override URL wins over
// the subdomain; it must be https, except plain http to a loopback host,
// which exists for local stand-ins.
func BaseURL(subdomain, override string) (*url.URL, error) {
	if override = strings.TrimSpace(override); override != "" {
		return endpoint.Parse("ZENDESK_BASE_URL", override)
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
