package brazetest

import (
	"fmt"
	"strings"
)

// Profile is a user profile the stand-in holds: the identifier it was
// made or found by, as "external_id:abc", "email:ada@example.com",
// "phone:+1555…", "braze_id:…" or "user_alias:label/name".
type Profile = string

// profiles is the workspace's users. Braze creates a profile for an
// identifier it does not know unless the object says
// "_update_existing_only": true, on attributes, events and purchases
// alike (the user attributes, event and purchase object references); a
// user alias "Update Only" mode is always on unless the object sets it
// false; a braze_id is Braze's own, so it names an existing profile or
// none. An object for no profile it may create is dropped after Braze
// has answered, with no error: /users/track applies what it accepted
// later.
type profiles struct {
	known     map[Profile]bool
	assumeAll bool
	created   []Profile
	skipped   []Profile
}

// AddProfile makes key:value (key one of external_id, email, phone,
// braze_id; an email in any case) an existing profile.
func (s *Server) AddProfile(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles.add(profileOf(key, value))
}

// AssumeProfilesExist makes every identifier name an existing profile:
// for tests that are not about profile creation.
func (s *Server) AssumeProfilesExist() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profiles.assumeAll = true
}

// Created returns the profiles /users/track created, in order.
func (s *Server) Created() []Profile {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Profile(nil), s.profiles.created...)
}

// Skipped returns, once per object, the unknown profiles of objects
// dropped because they were update-only.
func (s *Server) Skipped() []Profile {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Profile(nil), s.profiles.skipped...)
}

func (p *profiles) add(id Profile) {
	if p.known == nil {
		p.known = map[Profile]bool{}
	}
	p.known[id] = true
}

// resolve finds or creates the profile of a valid object, and reports
// whether the object is applied.
func (p *profiles) resolve(o map[string]any) bool {
	id, key := identity(o)
	if p.assumeAll || p.known[id] {
		return true
	}
	updateOnly, set := o["_update_existing_only"].(bool)
	switch {
	case key == "braze_id":
		updateOnly = true
	case key == "user_alias" && !set:
		updateOnly = true
	}
	if updateOnly {
		p.skipped = append(p.skipped, id)
		return false
	}
	p.add(id)
	p.created = append(p.created, id)
	return true
}

// identity is the identifier Braze finds an object's profile by: an
// external id first, then a braze_id or alias, then an email before a
// phone ("email takes precedence over phone", identifier resolution).
func identity(o map[string]any) (Profile, string) {
	for _, k := range []string{"external_id", "braze_id", "user_alias", "email", "phone"} {
		switch v := o[k].(type) {
		case string:
			if usable(v) {
				return profileOf(k, v), k
			}
		case map[string]any:
			name, _ := v["alias_name"].(string)
			label, _ := v["alias_label"].(string)
			return profileOf(k, label+"/"+name), k
		}
	}
	return "", ""
}

func profileOf(key, value string) Profile {
	if key == "email" {
		value = strings.ToLower(value)
	}
	return fmt.Sprintf("%s:%s", key, value)
}

// checkUpdateOnly checks the flag's type: Braze documents a boolean.
func checkUpdateOnly(o map[string]any) string {
	if v, ok := o["_update_existing_only"]; ok {
		if _, isBool := v.(bool); !isBool {
			return "'_update_existing_only' must be a boolean"
		}
	}
	return ""
}
