package zendesktest

// RemoveUser deletes user id as an admin would, and reports whether it
// existed: a ticket filed under it afterwards is refused.
func (s *Server) RemoveUser(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, u := range s.users {
		if u.ID == id {
			s.users = append(s.users[:i], s.users[i+1:]...)
			return true
		}
	}
	return false
}

// MoveExternalID gives externalID to user to (0: nobody), taking it from
// whoever held it, as an admin editing users in Zendesk would; it skips
// Zendesk's checks.
func (s *Server) MoveExternalID(externalID string, to int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.ExternalID == externalID {
			u.ExternalID = ""
		}
		if u.ID == to {
			u.ExternalID = externalID
		}
	}
}
