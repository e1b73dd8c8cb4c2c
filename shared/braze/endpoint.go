// Package braze is a client for Braze's REST /users/track endpoint.
package braze

import (
	"fmt"
	"net/url"
	"regexp"

	"github.com/brazezendesk/bridge/shared/endpoint"
)

var instanceHost = regexp.MustCompile(`^rest\.[a-z0-9-]+\.braze\.(com|eu)$`)

// Endpoint checks BRAZE_REST_ENDPOINT: a Braze instance's REST host, such
// as https://rest.iad-01.braze.com, or plain http to loopback for tests.
func Endpoint(raw string) (*url.URL, error) {
	u, err := endpoint.Parse("BRAZE_REST_ENDPOINT", raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "https" && !instanceHost.MatchString(u.Hostname()) {
		return nil, fmt.Errorf("BRAZE_REST_ENDPOINT must be a Braze REST endpoint such as https://rest.iad-01.braze.com (Braze dashboard: Settings > APIs and Identifiers)")
	}
	if u.Path != "" {
		return nil, fmt.Errorf("BRAZE_REST_ENDPOINT must have no path: the bridge adds /users/track")
	}
	return u, nil
}
