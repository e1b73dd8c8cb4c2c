package brazetest

import (
	"net/http"
	"regexp"
	"strings"
)

// restKey is the shape of a Braze REST API key: a UUID.
var restKey = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// authorize answers a request's Authorization header as Braze does, or 0.
// Braze's fatal errors: "401 Unauthorized: Unknown or missing REST API
// Key", "404 Not Found: Unknown REST API Key (if provided)". The stand-in
// reads them so: no key, or a value that cannot be a key, is 401; a key in
// a REST key's shape that the workspace does not know (deleted, rotated,
// another instance's) is 404, which a client must not mistake for a wrong
// endpoint.
func authorize(header, key string) (int, string) {
	if header == "Bearer "+key {
		return 0, ""
	}
	given, isBearer := strings.CutPrefix(header, "Bearer ")
	if isBearer && restKey.MatchString(given) {
		return http.StatusNotFound, "Unknown REST API Key"
	}
	return http.StatusUnauthorized, "Unknown or missing REST API Key"
}
