package zendesk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// User is a Zendesk user as the bridge reads and writes it. ID is Zendesk's
// own id; it is never sent when creating, since Zendesk assigns it.
type User struct {
	ID         int64  `json:"id,omitempty"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
}

// Paths of the user calls.
const (
	usersPath          = "/api/v2/users.json"
	createOrUpdatePath = "/api/v2/users/create_or_update.json"
	searchUsersPath    = "/api/v2/users/search.json"
)

func userPath(id int64) string { return fmt.Sprintf("/api/v2/users/%d.json", id) }

// userAnswer is the {"user": {...}} of a single-user answer.
type userAnswer struct {
	User *User `json:"user"`
}

// CreateOrUpdateUser creates the user or updates the one it matches, and
// returns its Zendesk id. Zendesk matches on ExternalID when given, else on
// Email, and then overwrites the match's external id.
func (c *Client) CreateOrUpdateUser(ctx context.Context, u User) (int64, error) {
	const op = "create or update user"
	u.ID = 0 // create_or_update matches on external id or email, never on id
	body, err := json.Marshal(map[string]User{"user": u})
	if err != nil {
		return 0, fmt.Errorf("encoding user: %w", err)
	}
	var out userAnswer
	if _, err := c.post(ctx, op, createOrUpdatePath, body, "", &out); err != nil {
		return 0, err
	}
	if out.User == nil || out.User.ID == 0 {
		return 0, shapeError(op, "user id")
	}
	return out.User.ID, nil
}

// FindUserByExternalID returns the user holding externalID, or nil, nil when
// none does. The external_id parameter is a lookup, not a search, but it
// ignores case: the user returned may hold the id in another case.
func (c *Client) FindUserByExternalID(ctx context.Context, externalID string) (*User, error) {
	const op = "find user by external id"
	if externalID == "" {
		return nil, fmt.Errorf("zendesk %s: the external id is empty", op)
	}
	users, err := c.searchUsers(ctx, op, url.Values{"external_id": {externalID}})
	if err != nil {
		return nil, err
	}
	// Zendesk's lookup ignores case, as its uniqueness check does ("ian1"
	// and "IAN1" are one value), so the holder may hold the id in another
	// case: the caller, for whom case matters, compares.
	return pick(op, users, func(u User) bool { return u.ExternalID == externalID },
		func(u User) bool { return strings.EqualFold(u.ExternalID, externalID) })
}

// FindUserByEmail returns the user holding addr (ignoring case) as any of
// their email identities, or nil, nil when none does. A user's email is
// their primary address only, while Zendesk's search, like its uniqueness
// check, spans every email identity: a hit whose email is another address
// is either a near match (an address holding the same words) or the user
// holding addr as a secondary address, which their identities tell apart.
func (c *Client) FindUserByEmail(ctx context.Context, addr string) (*User, error) {
	const op = "find user by email"
	if addr == "" {
		return nil, fmt.Errorf("zendesk %s: the email address is empty", op)
	}
	users, err := c.searchUsers(ctx, op, url.Values{"query": {emailQuery(addr)}})
	if err != nil {
		return nil, err
	}
	u, err := pick(op, users, func(u User) bool { return strings.EqualFold(u.Email, addr) })
	if err != nil || u != nil {
		return u, err
	}
	for i, hit := range users {
		if i == maxIdentityReads {
			break
		}
		if hit.ID == 0 {
			return nil, shapeError(op, "user id")
		}
		held, err := c.holdsEmail(ctx, hit.ID, addr)
		if err != nil || held {
			return &users[i], err
		}
	}
	return nil, nil
}

// maxIdentityReads bounds the users whose identities one search reads: a
// common word in an address can match many near misses.
const maxIdentityReads = 5

// holdsEmail reports whether user id has addr among their email
// identities, read with the user (include=identities, a side-load the
// Users API documents).
func (c *Client) holdsEmail(ctx context.Context, id int64, addr string) (bool, error) {
	const op = "read user identities"
	var out struct {
		User       *User `json:"user"`
		Identities *[]struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"identities"`
	}
	if err := c.get(ctx, op, userPath(id), url.Values{"include": {"identities"}}, &out); err != nil {
		return false, err
	}
	if out.User == nil || out.User.ID != id || out.Identities == nil {
		return false, shapeError(op, "user identities")
	}
	for _, i := range *out.Identities {
		if i.Type == "email" && strings.EqualFold(i.Value, addr) {
			return true, nil
		}
	}
	return false, nil
}

// emailQuery is the search for addr. Zendesk's search syntax reads spaces,
// quotes, colons, parentheses, wildcards and a leading minus as operators,
// so anything but a plain address goes in quotes. (The URL encoding that
// follows is another matter: url.Values escapes +, spaces and the rest.)
func emailQuery(addr string) string {
	plain := !strings.HasPrefix(addr, "-")
	for _, r := range addr {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".@_-", r)) {
			plain = false
			break
		}
	}
	if plain {
		return "email:" + addr
	}
	return `email:"` + addr + `"`
}

func (c *Client) searchUsers(ctx context.Context, op string, q url.Values) ([]User, error) {
	var out struct {
		Users *[]User `json:"users"`
	}
	if err := c.get(ctx, op, searchUsersPath, q, &out); err != nil {
		return nil, err
	}
	// Without the list, "no user" could not be told from a garbled answer,
	// and the caller would go on to create a duplicate.
	if out.Users == nil {
		return nil, shapeError(op, "users list")
	}
	return *out.Users, nil
}

// pick returns the first user matching the first test that any user
// passes, or nil when none does.
func pick(op string, users []User, tests ...func(User) bool) (*User, error) {
	for _, ok := range tests {
		for _, u := range users {
			if ok(u) {
				if u.ID == 0 {
					return nil, shapeError(op, "user id")
				}
				return &u, nil
			}
		}
	}
	return nil, nil
}

// CreateUser creates u and returns it as Zendesk stored it, with its id. It
// never updates: an email or external id another user holds is a 422 that
// matches ErrEmailTaken or ErrExternalIDTaken.
func (c *Client) CreateUser(ctx context.Context, u User) (User, error) {
	const op = "create user"
	u.ID = 0
	body, err := json.Marshal(map[string]User{"user": u})
	if err != nil {
		return User{}, fmt.Errorf("encoding user: %w", err)
	}
	var out userAnswer
	if _, err := c.post(ctx, op, usersPath, body, "", &out); err != nil {
		return User{}, err
	}
	if out.User == nil || out.User.ID == 0 {
		return User{}, shapeError(op, "user id")
	}
	return *out.User, nil
}

// SetExternalID sets user id's external id. An empty externalID clears it
// (sent as null, which is how Zendesk removes a value), freeing it for
// another user. One held by another user matches ErrExternalIDTaken; an
// unknown id matches ErrNotFound.
func (c *Client) SetExternalID(ctx context.Context, id int64, externalID string) error {
	const op = "set external id"
	if id <= 0 {
		return fmt.Errorf("zendesk %s: %d is not a user id", op, id)
	}
	var v any
	if externalID != "" {
		v = externalID
	}
	body, err := json.Marshal(map[string]any{"user": map[string]any{"external_id": v}})
	if err != nil {
		return fmt.Errorf("encoding user: %w", err)
	}
	var out userAnswer
	if _, err := c.call(ctx, op, http.MethodPut, userPath(id), nil, body, "", &out); err != nil {
		return err
	}
	if out.User == nil || out.User.ID != id {
		return shapeError(op, "user")
	}
	return nil
}

// GetUser reads user id; an unknown id matches ErrNotFound.
func (c *Client) GetUser(ctx context.Context, id int64) (User, error) {
	const op = "get user"
	if id <= 0 {
		return User{}, fmt.Errorf("zendesk %s: %d is not a user id", op, id)
	}
	var out userAnswer
	if err := c.get(ctx, op, userPath(id), nil, &out); err != nil {
		return User{}, err
	}
	if out.User == nil || out.User.ID != id {
		return User{}, shapeError(op, "user")
	}
	return *out.User, nil
}
