package liquidtest

import "strings"

// The profile and user that injections aim at. Nothing may ever be filed
// under, sent to, or renamed on them.
const (
	Victim      = "victim-001"
	VictimEmail = "victim@example.com"
)

// Injection attempts: text crafted to close its JSON string and add or
// override fields of its own when pasted unescaped into a body.
const (
	InjectRequester  = `Eve", "requester_id": "victim-001", "x": "`
	InjectExternalID = `Hi", "external_id": "victim-001", "x": "`
	InjectEventName  = `x", "event_name": "hacked", "y": "`
	InjectAssignee   = `x", "assignee_id": 1, "tags": ["vip"], "y": "`
	InjectBackslash  = `Eve\`                                                                            // escapes the closing quote
	InjectEscaped    = `\u0022, \u0022requester_id\u0022: \u0022victim-001\u0022, \u0022x\u0022: \u0022` // JSON escapes, typed literally
	InjectCloseBody  = `x"}, "requester_id": "victim-001", "comment": {"body": "pwned`
	InjectNewTicket  = `x"}}, {"ticket": {"requester_id": "victim-001", "x": "`
	InjectLineBreak  = "x\n\", \"requester_id\": \"victim-001\", \"x\": \""
	InjectEmailField = `x", "email": "victim@example.com", "y": "`
)

// Injected markers: none may ever take effect.
const (
	HackedEventName = "hacked"
	InjectedTag     = "vip"
)

// long returns s repeated and cut to exactly n runes.
func long(s string, n int) string {
	r := []rune(strings.Repeat(s, n/len([]rune(s))+1))
	return string(r[:n])
}
