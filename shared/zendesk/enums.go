package zendesk

// The values Zendesk accepts for a ticket's enumerated fields.
var (
	TicketTypes      = []string{"problem", "incident", "question", "task"}
	TicketPriorities = []string{"urgent", "high", "normal", "low"}
	TicketStatuses   = []string{"new", "open", "pending", "hold", "solved", "closed"}
)
