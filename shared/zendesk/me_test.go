package zendesk_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/brazezendesk/bridge/shared/zendesk"
	"github.com/brazezendesk/bridge/shared/zendesk/zendesktest"
)

const mePath = "/api/v2/users/me.json"

// TestMeAnswers: Zendesk's Show Self answer read as it documents it (a
// user object among many fields), and the answers that name nobody or
// refuse the credentials.
func TestMeAnswers(t *testing.T) {
	forbidden := `{"error": {"title": "Forbidden", "message": "You are missing the following required scopes: users:read"}}`
	for _, tc := range []struct {
		name   string
		reply  zendesktest.Reply
		want   zendesk.Self
		status int      // of the *Error, when one is wanted
		keys   []string // of the *CredentialError, when one is wanted
		scopes []string
	}{
		{"an admin", zendesktest.Reply{Status: 200, Body: `{"user": {"id": 35436, "url": "https://acme.zendesk.com/api/v2/users/35436.json",
			"name": "Braze \"bridge\"", "email": "bridge@acme.com", "role": "admin", "role_type": null, "custom_role_id": null,
			"active": true, "verified": true, "time_zone": "Copenhagen", "tags": [], "user_fields": {}}}`},
			zendesk.Self{ID: 35436, Name: `Braze "bridge"`, Email: "bridge@acme.com", Role: zendesk.RoleAdmin, Active: true}, 0, nil, nil},
		{"an agent with nulls", zendesktest.Reply{Status: 200, Body: `{"user": {"id": 7, "name": "Ann", "email": null, "role": "agent", "active": true}}`},
			zendesk.Self{ID: 7, Name: "Ann", Role: zendesk.RoleAgent, Active: true}, 0, nil, nil},
		{"no user id", zendesktest.Reply{Status: 200, Body: `{"user": {"id": null, "name": "Anonymous user", "role": "end-user"}}`},
			zendesk.Self{}, http.StatusBadGateway, nil, nil},
		{"no user", zendesktest.Reply{Status: 200, Body: `{}`}, zendesk.Self{}, http.StatusBadGateway, nil, nil},
		{"not JSON", zendesktest.Reply{Status: 200, Body: `<html>`}, zendesk.Self{}, http.StatusBadGateway, nil, nil},
		{"a scope missing", zendesktest.Reply{Status: 403, Body: forbidden}, zendesk.Self{}, http.StatusForbidden, nil, []string{"users:read"}},
		{"the API token refused, also after reading the secret again", zendesktest.Reply{Status: 401, Body: `{"error": "Couldn't authenticate you"}`},
			zendesk.Self{}, http.StatusUnauthorized, []string{zendesk.KeyEmail, zendesk.KeyAPIToken}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, zd := newClient(t)
			zd.Script(mePath, tc.reply)
			got, err := c.Me(context.Background())
			if got != tc.want {
				t.Errorf("Me = %+v, want %+v", got, tc.want)
			}
			var ze *zendesk.Error
			var ce *zendesk.CredentialError
			switch {
			case tc.status == 0 && err != nil:
				t.Fatalf("err = %v", err)
			case tc.status != 0 && (!errors.As(err, &ze) || ze.Status != tc.status):
				t.Fatalf("err = %v, want status %d", err, tc.status)
			case tc.keys != nil || tc.scopes != nil:
				if !errors.As(err, &ce) || !slices.Equal(ce.Keys, tc.keys) || !slices.Equal(ce.Scopes, tc.scopes) {
					t.Errorf("err = %#v, want a CredentialError naming keys %v, scopes %v", err, tc.keys, tc.scopes)
				}
			case errors.As(err, &ce):
				t.Errorf("a malformed answer is a credential failure: %v", err)
			}
			// A fixed API token cannot be renewed: one call, one GET.
			checkCalls(t, zd, wantCall{Method: http.MethodGet, Path: mePath})
		})
	}
}

// TestMeOnOAuth: with a client credentials token, Me names the client's
// owner.
func TestMeOnOAuth(t *testing.T) {
	r := newOAuthRig(t, oauthSecret(), zendesk.ScopesReadTickets)
	me, err := r.c.Me(context.Background())
	if err != nil || me.ID == 0 || me.Role != zendesk.RoleAdmin || me.Name == "" {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	if n := r.zd.TokensMinted(); n != 1 {
		t.Errorf("%d tokens minted", n)
	}
}
