package zendesktest

// The requester and ticket the events/ samples name: the Braze user
// user-123 of the Braze → Zendesk samples, and the ticket 4211 the Zendesk
// → Braze samples are about.
const (
	SampleRequesterID = 9000003
	SampleTicketID    = 4211
)

// AddSamples stores the user and ticket the events/ samples name, so that
// they run against this stand-in as against a real account.
func (s *Server) AddSamples() {
	s.AddUser(User{ID: SampleRequesterID, Name: "Ada Lovelace", Email: "ada@example.com", ExternalID: "user-123"})
	s.AddTicket(map[string]any{
		"id": SampleTicketID, "subject": `My 27" monitor "flickers" \ again`, "status": "solved", "priority": "urgent",
		"type": "question", "tags": []string{"app_feedback", "nps_detractor"}, "requester_id": SampleRequesterID,
		"description": "Ada answered No to 'Are you enjoying the app?'.",
	})
}
