package liquidtest

import "strings"

// Profile is a Braze user profile as the webhook's Liquid sees it. An empty
// field is an attribute the user does not have.
type Profile struct {
	Label      string // short, for test names
	ExternalID string // Braze external id, {{${user_id}}}; empty for an email-only user
	FirstName  string
	LastName   string
	Email      string
	Phone      string
	// Injection marks a profile with a value crafted to break out of its
	// JSON string. The bridge may refuse it (400) or file it under the
	// profile's own user with the text taken literally; nothing injected
	// may take effect.
	Injection bool
}

// WantExternalID is the Zendesk external id the bridge gives the profile's
// user: the external id, trimmed ("" when it has none).
func (p Profile) WantExternalID() string { return strings.TrimSpace(p.ExternalID) }

// WantEmail is the profile's email as the bridge files it: trimmed.
func (p Profile) WantEmail() string { return strings.TrimSpace(p.Email) }

// WantPhone is the profile's phone as the bridge files it: trimmed.
func (p Profile) WantPhone() string { return strings.TrimSpace(p.Phone) }

// Reachable tells whether the bridge can file a ticket for the profile: it
// needs an external id, else an email. Otherwise it must answer 400.
func (p Profile) Reachable() bool { return p.WantExternalID() != "" || p.WantEmail() != "" }

// WantName is the Zendesk user's name: first and last name as the README's
// template joins them ("first last"), trimmed; without either, the email;
// without that, the external id.
func (p Profile) WantName() string {
	if n := strings.TrimSpace(p.FirstName + " " + p.LastName); n != "" {
		return n
	}
	if e := p.WantEmail(); e != "" {
		return e
	}
	return p.WantExternalID()
}

// Identity is how the profile is addressed: "external_id:<id>", else
// "email:<email>", else "".
func (p Profile) Identity() string {
	switch {
	case p.WantExternalID() != "":
		return "external_id:" + p.WantExternalID()
	case p.WantEmail() != "":
		return "email:" + p.WantEmail()
	}
	return ""
}

// Profiles is the fixed corpus of hostile Braze profiles. Every external id
// and every email is unique, except that two profiles with different
// external ids share one email (shared-email-a, shared-email-b). None is
// Victim.
func Profiles() []Profile {
	return []Profile{
		{Label: "plain", ExternalID: "user-001", FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Phone: "+14155550101"},
		{Label: "quoted-nickname", ExternalID: "user-002", FirstName: `Robert "Bob"`, LastName: "Smith", Email: "bob.smith@example.com", Phone: "+14155550102"},
		{Label: "windows-path", ExternalID: "user-003", FirstName: `C:\Users\bob`, LastName: `D:\new\table`, Email: "path@example.com"},
		{Label: "trailing-backslash", ExternalID: "user-004", FirstName: "Trail", LastName: `Smith\`, Email: "trail@example.com"},
		{Label: "newline-tab-cr", ExternalID: "user-005", FirstName: "Line1\nLine2", LastName: "Tab\there\r", Email: "lines@example.com", Phone: "+14155550105"},
		{Label: "crlf-inside", ExternalID: "user-006", FirstName: "Carriage\r\nReturn", LastName: "O'Hara", Email: "crlf@example.com"},
		{Label: "cjk", ExternalID: "user-007", FirstName: "太郎", LastName: "山田", Email: "taro@example.jp", Phone: "+81312345678"},
		{Label: "emoji", ExternalID: "user-008", FirstName: "🎉 Party", LastName: "Pöoper 👨‍👩‍👧‍👦", Email: "party@example.com"},
		{Label: "rtl", ExternalID: "user-009", FirstName: "مرحبا", LastName: "שלום", Email: "rtl@example.com", Phone: "+972501234567"},
		{Label: "rtl-override", ExternalID: "user-010", FirstName: "\u202Egnp.exe", LastName: "\u200Fmark\u200E", Email: "bidi@example.com"},
		{Label: "long-first-name", ExternalID: "user-011", FirstName: long(`x"y\z`, 2000), LastName: "Long", Email: "long@example.com"},
		{Label: "long-cjk-last-name", ExternalID: "user-012", FirstName: "Kana", LastName: long("長い名前", 2000), Email: "kana@example.com"},
		{Label: "long-external-id", ExternalID: long("ext-", 255), FirstName: "Lengthy", LastName: "Id", Email: "lengthy@example.com"},
		{Label: "no-names", ExternalID: "user-014", Email: "noname@example.com", Phone: "+14155550114"},
		{Label: "no-names-no-email", ExternalID: "user-015", Phone: "+14155550115"},
		{Label: "external-id-only", ExternalID: "user-016"},
		{Label: "whitespace-names", ExternalID: "user-017", FirstName: "   ", LastName: "\t", Email: "blank.names@example.com"},
		{Label: "numeric-external-id", ExternalID: "12345", FirstName: "Num", LastName: "Ber", Email: "num@example.com"},
		{Label: "external-id-like-zendesk-id", ExternalID: "1001", FirstName: "Idem", LastName: "Potent", Email: "ids@example.com"},
		{Label: "leading-zero-external-id", ExternalID: "007", FirstName: "James", LastName: "Bond", Email: "jb@example.com"},
		{Label: "padded-values", ExternalID: "  user-021  ", FirstName: "  Pad  ", LastName: "  Ded  ", Email: "  padded@example.com  ", Phone: "  +14155550121 "},
		{Label: "liquid-output-text", ExternalID: "user-022", FirstName: "{{first_name}}", LastName: "{{ ticket.id }}", Email: "liquid@example.com"},
		{Label: "liquid-tag-text", ExternalID: "user-023", FirstName: "{% raw %}", LastName: "}} {%", Email: "tags@example.com"},
		{Label: "html", ExternalID: "user-024", FirstName: "<script>alert(1)</script>", LastName: "<b>Bold</b> &amp; &lt;", Email: "html@example.com"},
		{Label: "escaped-looking", ExternalID: "user-025", FirstName: `Bob\u0022`, LastName: `\n\t\\`, Email: "escapes@example.com"},
		{Label: "unicode-separators", ExternalID: "user-026", FirstName: "Line\u2028Sep", LastName: "Para\u2029Sep", Email: "sep@example.com"},
		{Label: "control-chars", ExternalID: "user-027", FirstName: "Bell\x07", LastName: "Unit\x1fSep", Email: "ctrl@example.com"},
		{Label: "accents-apostrophe", ExternalID: "user-028", FirstName: "Zoë", LastName: "Ñúñez-O'Brien", Email: "zoe@example.com"},
		{Label: "unicode-external-id", ExternalID: "用户-029", FirstName: "Wei", LastName: "Zhang", Email: "wei@example.com"},
		{Label: "space-in-external-id", ExternalID: "user 030", FirstName: "Spacey", LastName: "Id", Email: "spacey@example.com"},
		{Label: "backslash-external-id", ExternalID: `org\user-031`, FirstName: "Back", LastName: "Slash", Email: "backslash.id@example.com"},
		{Label: "emoji-external-id", ExternalID: "🙂-032", FirstName: "Smile", LastName: "Id", Email: "smile@example.com"},
		{Label: "inject-first-requester", ExternalID: "user-033", FirstName: InjectRequester, LastName: "Attacker", Email: "eve@example.com", Injection: true},
		{Label: "inject-last-external-id", ExternalID: "user-034", FirstName: "Mallory", LastName: InjectExternalID, Email: "mallory@example.com", Injection: true},
		{Label: "inject-first-event-name", ExternalID: "user-035", FirstName: InjectEventName, LastName: "Hacker", Email: "hacker@example.com", Injection: true},
		{Label: "inject-first-assignee-tags", ExternalID: "user-036", FirstName: InjectAssignee, LastName: "Vip", Email: "vip@example.com", Injection: true},
		{Label: "inject-email", ExternalID: "user-037", FirstName: "Inje", LastName: "Mail", Email: InjectAssignee + "@example.com", Injection: true},
		{Label: "inject-phone", ExternalID: "user-038", FirstName: "Inje", LastName: "Phone", Email: "phone.inject@example.com", Phone: InjectRequester, Injection: true},
		{Label: "inject-external-id", ExternalID: InjectExternalID, FirstName: "Inje", LastName: "Ext", Email: "ext.inject@example.com", Injection: true},
		{Label: "inject-external-id-event-name", ExternalID: InjectEventName, FirstName: "Inje", LastName: "Event", Email: "ext.event@example.com", Injection: true},
		{Label: "inject-trailing-backslash", ExternalID: "user-041", FirstName: InjectBackslash, LastName: InjectBackslash, Email: "backslash@example.com", Injection: true},
		{Label: "inject-escaped-quotes", ExternalID: "user-042", FirstName: "Esc", LastName: InjectEscaped, Email: "escaped@example.com", Injection: true},
		{Label: "inject-close-comment", ExternalID: "user-043", FirstName: InjectCloseBody, LastName: "Body", Email: "close@example.com", Injection: true},
		{Label: "inject-new-ticket", ExternalID: "user-044", FirstName: "New", LastName: InjectNewTicket, Email: "newticket@example.com", Injection: true},
		{Label: "inject-line-break", ExternalID: "user-045", FirstName: InjectLineBreak, LastName: "Break", Email: "linebreak@example.com", Injection: true},
		{Label: "inject-email-field", ExternalID: "user-046", FirstName: InjectEmailField, LastName: "Mail", Email: "emailfield@example.com", Injection: true},
		{Label: "shared-email-a", ExternalID: "shared-a", FirstName: "Alex", LastName: "Shared", Email: "shared@example.com", Phone: "+14155550147"},
		{Label: "shared-email-b", ExternalID: "shared-b", FirstName: "Blair", LastName: "Shared", Email: "shared@example.com", Phone: "+14155550148"},
		{Label: "email-only", FirstName: "Olive", LastName: "Only", Email: "olive.only@example.com", Phone: "+14155550149"},
		{Label: "email-only-quoted-name", FirstName: `Ann "Q"`, LastName: `Only\`, Email: "ann.q@example.com"},
		{Label: "whitespace-external-id", ExternalID: "   ", FirstName: "Wendy", LastName: "Space", Email: "wendy@example.com"},
		{Label: "email-only-no-names", Email: "just.email@example.com"},
		{Label: "phone-only", FirstName: "Phil", LastName: "Phone", Phone: "+14155550153"},
		{Label: "names-only", FirstName: "Nora", LastName: "Nobody"},
		{Label: "nothing"},
	}
}
