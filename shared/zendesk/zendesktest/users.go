package zendesktest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"
)

// userView is a user as Zendesk answers with it: unset fields are null.
func (s *Server) userView(u *User) map[string]any {
	return map[string]any{
		"id": u.ID, "url": s.URL + UserPath(u.ID), "name": u.Name,
		"email": orNull(u.Email), "phone": orNull(u.Phone), "external_id": orNull(u.ExternalID),
		"role": "end-user", "active": true,
	}
}

func (s *Server) userByID(id int64) *User {
	for _, u := range s.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// userByEmail finds the user with addr as any of their email identities,
// primary or not, ignoring case as Zendesk does, other than the user with
// id except.
func (s *Server) userByEmail(addr string, except int64) *User {
	for _, u := range s.users {
		if u.ID != except && addr != "" && slices.ContainsFunc(s.emails(u), func(e string) bool { return strings.EqualFold(e, addr) }) {
			return u
		}
	}
	return nil
}

// emails are u's email identities, the primary first.
func (s *Server) emails(u *User) []string {
	var out []string
	if u.Email != "" {
		out = append(out, u.Email)
	}
	return append(out, s.secondary[u.ID]...)
}

// identitiesView is u's email identities as the User Identities API shows
// them: {"id", "user_id", "type": "email", "value", "primary", ...}.
func (s *Server) identitiesView(u *User) []map[string]any {
	var out []map[string]any
	for i, e := range s.emails(u) {
		out = append(out, map[string]any{"id": u.ID*100 + int64(i), "user_id": u.ID, "type": "email", "value": e,
			"primary": i == 0 && u.Email != "", "verified": true})
	}
	return out
}

// userByExternalID finds the user holding id, ignoring case as Zendesk
// does: "External ID values are not case sensitive" (Zendesk's developer
// docs, "Using external ID with profiles"), in its lookup and in its
// uniqueness check alike.
func (s *Server) userByExternalID(id string, except int64) *User {
	for _, u := range s.users {
		if u.ID != except && id != "" && strings.EqualFold(u.ExternalID, id) {
			return u
		}
	}
	return nil
}

// checkUnique adds Zendesk's DuplicateValue details for the email and
// external id of u that a user other than u holds.
func (s *Server) checkUnique(d detail, u *User, email, externalID bool) {
	if email && s.userByEmail(u.Email, u.ID) != nil {
		d["email"] = append(d["email"], map[string]string{"description": "Email: " + u.Email + " is already being used by another user", "error": "DuplicateValue"})
	}
	if externalID && s.userByExternalID(u.ExternalID, u.ID) != nil {
		key := cmp.Or(s.ExternalIDTakenUnder, "external_id")
		entry := map[string]string{"description": "External has already been taken", "error": "DuplicateValue"}
		if key != "external_id" {
			delete(entry, "error") // as the answers recorded under "name" have it
		}
		d[key] = append(d[key], entry)
	}
}

// checkFields adds the details Zendesk gives for a blank name or an email
// that is not an address.
func checkFields(d detail, u *User, name, email bool) {
	if name && strings.TrimSpace(u.Name) == "" {
		d["name"] = append(d["name"], map[string]string{"description": "Name: cannot be blank", "error": "BlankValue"})
	}
	if email && u.Email != "" && !plausibleEmail(u.Email) {
		invalid(d, "email", "Email: "+u.Email+" is not properly formatted")
	}
}

// plausibleEmail is a loose check: one @ between a local part and a dotted
// domain, and no spaces or control characters.
func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.Contains(domain, "@") &&
		!strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".") &&
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

// searchUsers answers GET /api/v2/users/search.json with exactly one of
// external_id (an exact lookup) or query, which the stand-in takes only in
// the form email:<address> or email:"<address>".
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request, _ []byte) {
	q, ok := params(w, r, "external_id", "query")
	if !ok {
		return
	}
	_, byExt := q["external_id"]
	_, byQuery := q["query"]
	if byExt == byQuery {
		badRequest(w, "give exactly one of external_id or query")
		return
	}
	var hits []*User
	if byExt {
		id := q.Get("external_id")
		if id == "" {
			badRequest(w, "external_id is empty")
			return
		}
		if u := s.userByExternalID(id, 0); u != nil {
			hits = append(hits, u)
		}
	} else {
		addr, ok := emailTerm(q.Get("query"))
		if !ok {
			badRequest(w, `the stand-in searches only query=email:<address> or email:"<address>"`)
			return
		}
		// Zendesk's search is by words, so it also finds addresses that
		// merely contain the one asked for; callers must pick the exact one.
		// It matches every email identity, not only the primary address
		// the answer shows.
		for _, u := range s.users {
			if slices.ContainsFunc(s.emails(u), func(e string) bool { return strings.Contains(strings.ToLower(e), strings.ToLower(addr)) }) {
				hits = append(hits, u)
			}
		}
	}
	users := make([]map[string]any, len(hits))
	for i, u := range hits {
		users[i] = s.userView(u)
	}
	reply(w, http.StatusOK, map[string]any{"users": users, "count": len(users), "next_page": nil, "previous_page": nil})
}

// emailTerm reads email:<address> or email:"<address>". Unquoted, the
// address must hold nothing Zendesk's search syntax reads as an operator;
// quoted, everything between the outer quotes is the address.
func emailTerm(query string) (string, bool) {
	rest, ok := strings.CutPrefix(query, "email:")
	if !ok || rest == "" {
		return "", false
	}
	if quoted, ok := strings.CutPrefix(rest, `"`); ok {
		addr, ok := strings.CutSuffix(quoted, `"`)
		return addr, ok && addr != ""
	}
	if strings.HasPrefix(rest, "-") || strings.ContainsAny(rest, `":()*<>`) ||
		strings.IndexFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", false
	}
	return rest, true
}

// decodeUser reads {"user": {...}} with only the fields User knows.
func decodeUser(w http.ResponseWriter, body []byte) (*User, bool) {
	var in struct {
		User *User `json:"user"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.User == nil {
		badRequest(w, "user is required")
		return nil, false
	}
	return in.User, true
}

// createUser answers POST /api/v2/users.json: it creates, and refuses an
// email or external id another user holds, unlike create_or_update.
func (s *Server) createUser(w http.ResponseWriter, _ *http.Request, body []byte) {
	u, ok := decodeUser(w, body)
	if !ok {
		return
	}
	u.ID = 0 // Zendesk assigns ids
	d := detail{}
	checkFields(d, u, true, true)
	s.checkUnique(d, u, true, true)
	if len(d) > 0 {
		recordInvalid(w, d)
		return
	}
	id := s.addUser(*u)
	reply(w, http.StatusCreated, map[string]any{"user": s.userView(s.userByID(id))})
}

// updateUser answers PUT /api/v2/users/{id}.json: it sets the fields given
// (null clears one), refusing an email or external id another user holds.
func (s *Server) updateUser(w http.ResponseWriter, id int64, body []byte) {
	var in struct {
		User map[string]json.RawMessage `json:"user"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.User == nil {
		badRequest(w, "user is required")
		return
	}
	u := s.userByID(id)
	if u == nil {
		notFound(w)
		return
	}
	next := *u
	fields := map[string]*string{"name": &next.Name, "email": &next.Email, "phone": &next.Phone, "external_id": &next.ExternalID}
	for k, raw := range in.User {
		dst, ok := fields[k]
		if !ok {
			badRequest(w, "unsupported user attribute "+k)
			return
		}
		var v *string
		if err := json.Unmarshal(raw, &v); err != nil {
			badRequest(w, fmt.Sprintf("user %s must be a string or null", k))
			return
		}
		*dst = ""
		if v != nil {
			*dst = *v
		}
	}
	// Only what the request sets is checked, so that a user AddUser stored
	// without Zendesk's checks can still be updated.
	_, name := in.User["name"]
	_, email := in.User["email"]
	_, extID := in.User["external_id"]
	d := detail{}
	checkFields(d, &next, name, email)
	s.checkUnique(d, &next, email, extID)
	if len(d) > 0 {
		recordInvalid(w, d)
		return
	}
	*u = next
	reply(w, http.StatusOK, map[string]any{"user": s.userView(u)})
}

// showUser answers GET /api/v2/users/{id}.json, side-loading the user's
// identities with include=identities (one of the Users API's side-loads).
func (s *Server) showUser(w http.ResponseWriter, r *http.Request, id int64) {
	q, ok := params(w, r, "include")
	if !ok {
		return
	}
	_, include := q["include"]
	if include && q.Get("include") != "identities" {
		badRequest(w, "the stand-in side-loads only identities")
		return
	}
	u := s.userByID(id)
	if u == nil {
		notFound(w)
		return
	}
	out := map[string]any{"user": s.userView(u)}
	if include {
		out["identities"] = s.identitiesView(u)
	}
	reply(w, http.StatusOK, out)
}

// createOrUpdateUser matches by external_id, else by email (ignoring case),
// and then overwrites the match's fields, external_id included: that is how
// Zendesk moves an identity, and tests rely on catching it.
func (s *Server) createOrUpdateUser(w http.ResponseWriter, body []byte) {
	u, ok := decodeUser(w, body)
	if !ok {
		return
	}
	var match *User
	if u.ExternalID != "" {
		match = s.userByExternalID(u.ExternalID, 0)
	}
	if match == nil && u.Email != "" {
		match = s.userByEmail(u.Email, 0)
	}
	if match != nil {
		if u.Name != "" {
			match.Name = u.Name
		}
		if u.Email != "" {
			match.Email = u.Email
		}
		if u.Phone != "" {
			match.Phone = u.Phone
		}
		if u.ExternalID != "" {
			match.ExternalID = u.ExternalID
		}
		reply(w, http.StatusOK, map[string]any{"user": s.userView(match)})
		return
	}
	if u.Name == "" {
		recordInvalid(w, detail{"name": {{"description": "Name: cannot be blank", "error": "BlankValue"}}})
		return
	}
	id := s.addUser(*u)
	reply(w, http.StatusCreated, map[string]any{"user": s.userView(s.userByID(id))})
}
