package tickets

import (
	"context"
	"errors"
	"strings"

	"github.com/brazezendesk/bridge/shared/zendesk"
)

// lookupRequester returns the id of the Zendesk user r's ticket is filed
// under, and whether r's email belongs to another user than that one.
//
// Identity never moves: an external id held by one user is never written
// onto another, and an email held by a user with a different external id
// does not hand that user over. In that conflict the ticket goes to a user
// holding the external id without the email; the email stays with its
// owner. Zendesk's create_or_update is not used: it matches by email when
// no user has the external id, and then overwrites that user's external id.
//
// Zendesk compares external ids ignoring case ("ian1" and "IAN1" are one
// value, in its lookup and its uniqueness check); Braze does not ("Abc" and
// "abc" are two users). A user holding r's external id in another case is
// another Braze user's, never r's: see caseTwin.
//
// A new person costs two calls (the external id looked up, the user
// created): the email's owner is only searched for when Zendesk refuses
// the email as taken, which a new person's is not.
//
// The answer depends only on what Zendesk holds, not on what this call
// changed, so a retry builds the same ticket body for its idempotency key.
func (s *Service) lookupRequester(ctx context.Context, r *Request) (id int64, conflict bool, err error) {
	email := r.Requester.Email
	if r.ExternalID == "" {
		return s.byEmail(ctx, r)
	}
	if u, err := s.Zendesk.FindUserByExternalID(ctx, r.ExternalID); err != nil || u != nil {
		return s.held(ctx, u, r, err)
	}
	want := zendesk.User{ExternalID: r.ExternalID, Name: firstNonEmpty(r.Requester.Name, email, r.ExternalID), Email: email, Phone: r.Requester.Phone}
	created, err := s.Zendesk.CreateUser(ctx, want)
	if errors.Is(err, zendesk.ErrEmailTaken) && want.Email != "" {
		// Either an earlier attempt made this very user and its answer was
		// lost, or the email is someone's already.
		if u, err := s.Zendesk.FindUserByExternalID(ctx, r.ExternalID); err != nil || u != nil {
			return s.held(ctx, u, r, err)
		}
		holder, ferr := s.Zendesk.FindUserByEmail(ctx, email)
		switch {
		case ferr != nil:
			return 0, false, ferr
		case holder != nil && holder.ExternalID == "":
			// A person Zendesk knew by email alone: link them to Braze.
			err := s.Zendesk.SetExternalID(ctx, holder.ID, r.ExternalID)
			if errors.Is(err, zendesk.ErrExternalIDTaken) {
				return s.existing(ctx, r)
			}
			return holder.ID, false, err
		}
		// Held under another external id, or not found yet by Zendesk's
		// search: the user is made without the email, which Zendesk said
		// is another's.
		want.Email = ""
		created, err = s.Zendesk.CreateUser(ctx, want)
		if err == nil {
			return created.ID, true, nil
		}
	}
	if errors.Is(err, zendesk.ErrExternalIDTaken) {
		// Another request (or a lost answer) made the user meanwhile, or
		// another Braze user holds the id in another case.
		return s.existing(ctx, r)
	}
	if err != nil {
		return 0, false, err
	}
	return s.held(ctx, &created, r, nil)
}

// held is the ticket's requester u, the user Zendesk found holding r's
// external id, and whether r's email belongs to another user: then the
// ticket is tagged, so an agent can merge the two if they are one person.
// When u holds the id in another case, it is another Braze user's: see
// caseTwin. err passes through.
func (s *Service) held(ctx context.Context, u *zendesk.User, r *Request, err error) (int64, bool, error) {
	if err != nil {
		return 0, false, err
	}
	if u.ExternalID != r.ExternalID {
		return s.caseTwin(ctx, r)
	}
	email := r.Requester.Email
	if email == "" || strings.EqualFold(u.Email, email) {
		return u.ID, false, nil
	}
	holder, err := s.Zendesk.FindUserByEmail(ctx, email)
	return u.ID, holder != nil && holder.ID != u.ID, err
}

// caseTwin files r's ticket when Zendesk holds r's external id in another
// case, for another Braze user: r can hold no external id in Zendesk, so
// the ticket goes to a user with none (merging the two would log one
// user's events on the other's profile). That is the user holding r's
// email when it holds no external id, else one made with r's name and
// phone, and the email when no one holds it. Zendesk → Braze then finds
// r's profile by that email, or not at all; never by the other's id. As
// elsewhere, the ticket is tagged when r's email is another user's.
func (s *Service) caseTwin(ctx context.Context, r *Request) (int64, bool, error) {
	email := r.Requester.Email
	want := zendesk.User{Name: firstNonEmpty(r.Requester.Name, email, r.ExternalID), Phone: r.Requester.Phone}
	if email != "" {
		holder, err := s.Zendesk.FindUserByEmail(ctx, email)
		switch {
		case err != nil:
			return 0, false, err
		case holder != nil && holder.ExternalID == "":
			return holder.ID, false, nil
		case holder == nil:
			want.Email = email
		}
	}
	created, err := s.Zendesk.CreateUser(ctx, want)
	if errors.Is(err, zendesk.ErrEmailTaken) {
		// Made meanwhile (or by an attempt whose answer was lost), or
		// Zendesk's search had not seen the email's owner yet.
		holder, err := s.Zendesk.FindUserByEmail(ctx, email)
		if err != nil {
			return 0, false, err
		}
		if holder != nil && holder.ExternalID == "" {
			return holder.ID, false, nil
		}
		want.Email = ""
		created, err = s.Zendesk.CreateUser(ctx, want)
	}
	if err != nil {
		return 0, false, err
	}
	return created.ID, email != "" && want.Email == "", nil
}

// byEmail returns the user who holds r's email, made with r's name and
// phone when there is none. The email never becomes an external id.
func (s *Service) byEmail(ctx context.Context, r *Request) (int64, bool, error) {
	email := r.Requester.Email
	if u, err := s.Zendesk.FindUserByEmail(ctx, email); err != nil || u != nil {
		return userID(u), false, err
	}
	u, err := s.Zendesk.CreateUser(ctx, zendesk.User{Name: firstNonEmpty(r.Requester.Name, email), Email: email, Phone: r.Requester.Phone})
	if errors.Is(err, zendesk.ErrEmailTaken) {
		// Made meanwhile, or Zendesk's search had not seen it yet.
		found, err := s.Zendesk.FindUserByEmail(ctx, email)
		if err == nil && found == nil {
			err = &zendesk.Error{Op: "find user", Status: 409, Description: "the email is taken, but search finds no user with it yet"}
		}
		return userID(found), false, err
	}
	return u.ID, false, err
}

// existing finds the user r's external id was just found to belong to.
func (s *Service) existing(ctx context.Context, r *Request) (int64, bool, error) {
	u, err := s.Zendesk.FindUserByExternalID(ctx, r.ExternalID)
	if err == nil && u == nil {
		err = &zendesk.Error{Op: "find user", Status: 409, Description: "the external id is taken, but no user holds it"}
	}
	return s.held(ctx, u, r, err)
}

func userID(u *zendesk.User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}
