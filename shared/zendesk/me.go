package zendesk

import "context"

// mePath is Zendesk's "Show Self": the user the request authenticates as.
const mePath = "/api/v2/users/me.json"

// Roles a Zendesk user has (the users API's role field).
const (
	RoleAdmin   = "admin"
	RoleAgent   = "agent"
	RoleEndUser = "end-user"
)

// Self is the user the client's credentials act as: for an OAuth client
// credentials token, the admin who owns the client; for an API token, the
// agent of zendesk_email.
type Self struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Role   string `json:"role"`
	Active bool   `json:"active"`
}

// Me reads the user the credentials act as. An answer that names no user
// id is an error, never taken for somebody.
func (c *Client) Me(ctx context.Context) (Self, error) {
	const op = "show the authenticated user"
	var out struct {
		User *Self `json:"user"`
	}
	if err := c.get(ctx, op, mePath, nil, &out); err != nil {
		return Self{}, err
	}
	if out.User == nil || out.User.ID == 0 {
		return Self{}, shapeError(op, "authenticated user")
	}
	return *out.User, nil
}
