package braze

import (
	"fmt"
	"strings"
)

// UpdateOnly is the key of an object that says whether Braze may create a
// profile for an identifier it does not know. Braze documents it on
// attributes, events and purchases alike, whatever the identifier: true
// puts the object in "Update Only" mode (dropped, after Braze has answered,
// when no profile matches); omitted, Braze creates a profile for an
// unknown external_id, email or phone, but not for a user alias, which
// needs it false to be created.
const UpdateOnly = "_update_existing_only"

// CreateProfiles reads BRAZE_CREATE_PROFILES: yes (or true) lets Braze
// create profiles for identifiers it does not know; no, false or empty
// does not.
func CreateProfiles(raw string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "", "no", "false":
		return false, nil
	case "yes", "true":
		return true, nil
	}
	return false, fmt.Errorf("BRAZE_CREATE_PROFILES must be yes or no")
}

// SetProfileCreation says on every object of t that does not say it
// itself (a /users/track body written by hand may) whether Braze may
// create a profile for it: UpdateOnly is set to !create.
func SetProfileCreation(t Track, create bool) {
	for _, arr := range [][]Object{t.Attributes, t.Events, t.Purchases} {
		for _, o := range arr {
			if _, said := o[UpdateOnly]; !said {
				o[UpdateOnly] = !create
			}
		}
	}
}
