// Package secrets reads a function's JSON secret (from AWS Secrets Manager,
// or a local file), keeps it for a few minutes, and refetches on demand so a
// rotated token works without a redeploy.
package secrets

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
)

// Values is a decoded secret: a flat JSON object of strings. It never prints
// its contents, so it is safe to pass to a logger or fmt by mistake.
type Values struct {
	m map[string]string
}

// Parse decodes a secret string. The error, a *ConfigError, names what is
// wrong with its shape, never a value.
func Parse(name string, raw []byte) (Values, error) {
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil || generic == nil {
		return Values{}, configError(fmt.Sprintf("secret %s is not a JSON object of strings", displayName(name)), nil)
	}
	m := make(map[string]string, len(generic))
	for k, v := range generic {
		s, ok := v.(string)
		if !ok {
			return Values{}, configError(fmt.Sprintf("secret %s: key %q must be a string", displayName(name), k), nil)
		}
		m[k] = strings.TrimSpace(s)
	}
	return Values{m: m}, nil
}

// NewValues wraps a map, for tests and local sources.
func NewValues(m map[string]string) Values {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return Values{m: c}
}

// Get returns the value of key, or "".
func (v Values) Get(key string) string { return v.m[key] }

// Require returns an error naming every key in keys that is missing or empty.
func (v Values) Require(keys ...string) error {
	var missing []string
	for _, k := range keys {
		if v.m[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return &MissingKeysError{Keys: missing}
}

// MissingKeysError names the keys a secret lacks.
type MissingKeysError struct{ Keys []string }

func (e *MissingKeysError) Error() string {
	return "the secret is missing " + strings.Join(e.Keys, ", ")
}

// String hides the contents.
func (v Values) String() string { return fmt.Sprintf("secrets.Values(%d keys)", len(v.m)) }

// GoString hides the contents from %#v too.
func (v Values) GoString() string { return v.String() }

// LogValue hides the contents from slog.
func (v Values) LogValue() slog.Value { return slog.StringValue(v.String()) }
