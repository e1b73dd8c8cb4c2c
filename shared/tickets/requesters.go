package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/brazezendesk/bridge/shared/dedupe"
	"github.com/brazezendesk/bridge/shared/zendesk"
)

// VerifyAfter is how long a remembered requester is trusted without
// asking Zendesk again. Within it a repeat requester costs the ticket call
// alone; after it the requester is looked up anew (one call when nothing
// changed). A remembered user Zendesk no longer has is found out at once:
// the ticket filed under it is refused, and the requester looked up again.
const VerifyAfter = 24 * time.Hour

// requester returns the Zendesk user r's ticket is filed under, and
// whether r's email belongs to another user, from the requesters
// remembered when it can, and whether it came from there.
//
// Exactly once holds as without memory: what is remembered is what the
// lookup answered, so a retry under the same idempotency key builds the
// same ticket body whether it finds the memory or looks up again (Zendesk
// answers the same while nothing changed in it).
//
// fresh skips the memory: what it held was refused.
func (s *Service) requester(ctx context.Context, r *Request, fresh bool) (id int64, conflict, remembered bool, err error) {
	if s.Requesters == nil {
		id, conflict, err = s.lookupRequester(ctx, r)
		return id, conflict, false, err
	}
	key := requesterKey(r)
	if !fresh {
		rem, ok, err := s.Requesters.RememberedRequester(ctx, key)
		if err == nil && ok && s.now().Sub(rem.Checked) < VerifyAfter {
			return rem.UserID, rem.Conflict, true, nil
		}
	}
	// A table that can't be read costs lookups, never the ticket.
	id, conflict, err = s.lookupRequester(ctx, r)
	if err != nil {
		return 0, false, false, err
	}
	s.rememberRequester(ctx, key, dedupe.Requester{UserID: id, Conflict: conflict, Checked: s.now()})
	return id, conflict, false, nil
}

// forgetRequester drops r's remembered requester: Zendesk refused it.
func (s *Service) forgetRequester(ctx context.Context, r *Request) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	s.Requesters.ForgetRequester(ctx, requesterKey(r))
}

// rememberRequester records what a lookup answered; were that to fail,
// the next ticket looks up again.
func (s *Service) rememberRequester(ctx context.Context, key string, rem dedupe.Requester) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	s.Requesters.RememberRequester(ctx, key, rem)
}

// requesterKey names what the lookup's answer depends on: the external id
// (exactly: Zendesk ignores its case, Braze does not, and "Abc" and "abc"
// are two requesters) and the email (which decides the conflict tag), or
// the email alone. It is hashed: no email lands in the table.
func requesterKey(r *Request) string {
	h := sha256.New()
	if r.ExternalID != "" {
		h.Write([]byte("external_id\x00" + r.ExternalID + "\x00"))
	}
	h.Write([]byte("email\x00" + strings.ToLower(r.Requester.Email)))
	return hex.EncodeToString(h.Sum(nil)[:20])
}

// requesterRefused reports Zendesk refusing a ticket's requester_id: the
// user was deleted (or merged away) since it was remembered. Zendesk
// names the field requester (sometimes requester_id) in its details; a
// bulk job's result says it in words ("Requester: ...").
func requesterRefused(err error) bool {
	var ze *zendesk.Error
	if !errors.As(err, &ze) || ze.Status != 422 {
		return false
	}
	d := string(ze.Details)
	return strings.Contains(d, `"requester"`) || strings.Contains(d, `"requester_id"`) || strings.Contains(d, `"Requester:`)
}
