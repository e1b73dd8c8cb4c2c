package liquidtest

import "strings"

// Requester is a Zendesk ticket's requester.
type Requester struct {
	ExternalID string // as Braze → Zendesk set it; may be empty
	Email      string // may be empty
	Name       string
}

// Identity is how the requester's Braze profile is addressed:
// "external_id:<id>", else "email:<email>", else "" (unreachable).
func (r Requester) Identity() string {
	switch {
	case r.ExternalID != "":
		return "external_id:" + r.ExternalID
	case r.Email != "":
		return "email:" + r.Email
	}
	return ""
}

// Ticket is a Zendesk ticket as Zendesk stores it.
type Ticket struct {
	Label       string // short, for test names
	ID          int64  // a suggested id; the stand-in may assign another
	Title       string // the subject, {{ticket.title}}
	Description string
	Status      string // Zendesk's lower-case value: new, open, pending, solved, closed
	Priority    string // low, normal, high, urgent
	Type        string // question, incident, problem, task
	Tags        []string
	Requester   Requester
	// Unrendered: Zendesk leaves {{ticket.requester.external_id}} as it is
	// for this requester without an external id, instead of rendering it
	// empty.
	Unrendered bool
	// Injection marks a ticket whose requester's external id carries JSON
	// syntax (a quote or a backslash), so the unescaped trigger body Zendesk
	// renders for it is broken or carries fields of its own. The bridge may
	// refuse that body (400); it may never deliver it to another profile.
	// Hostile titles and descriptions are not marked: the README's trigger
	// body does not carry them.
	Injection bool
}

// Reachable tells whether the ticket's requester has a Braze identity.
func (t Ticket) Reachable() bool { return t.Requester.Identity() != "" }

// Tickets is the fixed corpus of hostile Zendesk tickets. No requester is
// Victim; a few requesters are shared by several tickets.
func Tickets() []Ticket {
	cust := func(n string) Requester {
		return Requester{ExternalID: "cust-" + n, Email: "cust" + n + "@example.com", Name: "Customer " + n}
	}
	shared := Requester{ExternalID: "cust-shared", Email: "shared.cust@example.com", Name: "Shared Customer"}
	tickets := []Ticket{
		{Label: "plain", Title: "Cannot log in", Description: "I forgot my password.", Requester: cust("01")},
		{Label: "quote-in-title", Title: `My 27" monitor flickers`, Description: `The 27" one, not the 24".`, Requester: cust("02")},
		{Label: "quoted-nickname", Title: `Robert "Bob" Smith can't pay`, Description: `He says "it's broken"`, Requester: Requester{ExternalID: "cust-03", Email: "cust03@example.com", Name: `Robert "Bob" Smith`}},
		{Label: "windows-path", Title: `C:\Users\bob\AppData is full`, Description: `Path: C:\Users\bob\`, Requester: cust("04")},
		{Label: "trailing-backslash", Title: `Ends with a backslash \`, Description: `\`, Requester: cust("05")},
		{Label: "newlines", Title: "Line one\nLine two", Description: "Para\r\n\tindented\n", Requester: cust("06")},
		{Label: "tabs-cr", Title: "Tab\tseparated\rsubject", Description: "\t", Requester: cust("07")},
		{Label: "cjk", Title: "ログインできません", Description: "パスワードを忘れました。", Requester: Requester{ExternalID: "cust-08", Email: "cust08@example.jp", Name: "山田 太郎"}},
		{Label: "chinese", Title: "无法登录「账户」", Description: "请帮忙", Requester: cust("09")},
		{Label: "emoji", Title: "🔥 Everything is on fire 🔥", Description: "👍🏽👨‍👩‍👧‍👦", Requester: cust("10")},
		{Label: "rtl-arabic", Title: "مشكلة في الدفع", Description: "لا أستطيع الدفع", Requester: Requester{ExternalID: "cust-11", Email: "cust11@example.com", Name: "مرحبا"}},
		{Label: "rtl-mixed", Title: "בעיה עם order #123", Description: "שלום", Requester: cust("12")},
		{Label: "bidi-override", Title: "\u202Egnp.exe\u202C invoice", Description: "\u200F", Requester: cust("13")},
		{Label: "long-title", Title: long(`Long "title" \ `, 254) + `\`, Description: long(`x"y\z `, 2000), Requester: cust("14")},
		{Label: "long-description", Title: "Short title", Description: long("長い説明 \"quoted\" ", 2000), Requester: Requester{ExternalID: "cust-15", Email: "cust15@example.com", Name: long("Name ", 2000)}},
		{Label: "empty-title", Title: "", Description: "No subject given", Requester: cust("16")},
		{Label: "empty-description", Title: "Nothing to say", Description: "", Requester: cust("17")},
		{Label: "padded-title", Title: "   padded title   ", Description: "  padded  ", Requester: Requester{ExternalID: "cust-18", Email: "cust18@example.com", Name: "  Padded Name  "}},
		{Label: "liquid-output-title", Title: "{{ticket.requester.external_id}}", Description: "{{ticket.id}}", Requester: cust("19")},
		{Label: "liquid-tag-title", Title: "{% if true %}x{% endif %}", Description: "{% raw %}", Requester: cust("20")},
		{Label: "braces-title", Title: "}} {{", Description: "{{", Requester: cust("21")},
		{Label: "html-title", Title: "<script>alert('x')</script>", Description: "<b>bold</b> &amp; &lt;", Requester: cust("22")},
		{Label: "escaped-looking-title", Title: `Bob\u0022 says \n`, Description: `\u0022`, Requester: cust("23")},
		{Label: "unicode-separators", Title: "Line\u2028Sep\u2029Para", Description: "\u2028", Requester: cust("24")},
		{Label: "numeric-title", Title: "12345", Description: "007", Requester: cust("25")},
		{Label: "json-literal-title", Title: "null", Description: "true", Requester: cust("26")},
		{Label: "inject-title-external-id", Title: InjectExternalID, Description: InjectExternalID, Requester: cust("27")},
		{Label: "inject-title-event-name", Title: InjectEventName, Description: InjectEventName, Requester: cust("28")},
		{Label: "inject-title-assignee-tags", Title: InjectAssignee, Description: InjectAssignee, Requester: cust("29")},
		{Label: "inject-title-requester", Title: InjectRequester, Description: InjectRequester, Requester: cust("30")},
		{Label: "inject-title-backslash", Title: InjectBackslash, Description: InjectBackslash, Requester: cust("31")},
		{Label: "inject-title-escaped", Title: InjectEscaped, Description: InjectEscaped, Requester: cust("32")},
		{Label: "inject-title-email", Title: InjectEmailField, Description: InjectLineBreak, Requester: cust("33")},
		{Label: "inject-title-close-object", Title: `"}, "external_id": "victim-001", "z": {"a": "`, Description: InjectNewTicket, Requester: cust("34")},
		{Label: "inject-requester-name", Title: "Name games", Description: "see requester", Requester: Requester{ExternalID: "cust-35", Email: "cust35@example.com", Name: InjectExternalID}},
		{Label: "numeric-external-id", Title: "Numeric id", Requester: Requester{ExternalID: "12345", Email: "num@example.com", Name: "Num Ber"}},
		{Label: "leading-zero-external-id", Title: "Leading zero id", Requester: Requester{ExternalID: "007", Email: "jb@example.com", Name: "James Bond"}},
		{Label: "unicode-external-id", Title: "Unicode id", Requester: Requester{ExternalID: "用户-029", Email: "wei@example.com", Name: "Wei Zhang"}},
		{Label: "space-in-external-id", Title: "Space in id", Requester: Requester{ExternalID: "user 030", Email: "spacey@example.com", Name: "Spacey Id"}},
		{Label: "email-only", Title: "Email-only requester", Requester: Requester{Email: "olive.only@example.com", Name: "Olive Only"}},
		{Label: "email-only-unrendered", Title: `Email-only, "unrendered" id`, Requester: Requester{Email: "ann.q@example.com", Name: `Ann "Q" Only`}, Unrendered: true},
		{Label: "unreachable", Title: "Nobody to tell", Requester: Requester{Name: "Anonymous"}},
		{Label: "unreachable-unrendered", Title: InjectExternalID, Requester: Requester{Name: InjectRequester}, Unrendered: true},
		{Label: "shared-requester-1", Title: "First of three", Requester: shared},
		{Label: "shared-requester-2", Title: `Second of "three"`, Requester: shared, Status: "open"},
		{Label: "shared-requester-3", Title: InjectEventName, Requester: shared, Status: "closed"},
		{Label: "status-new", Title: "Brand new", Requester: cust("47"), Status: "new", Priority: "low", Type: "task"},
		{Label: "status-pending", Title: "Waiting on customer", Requester: cust("48"), Status: "pending", Priority: "high", Type: "incident"},
		{Label: "status-closed", Title: "Closed for good", Requester: cust("49"), Status: "closed", Priority: "normal", Type: "problem"},
		{Label: "inject-external-id-duplicate-key", Title: "Duplicate key attempt", Requester: Requester{ExternalID: InjectExternalID, Email: "ext.inject@example.com", Name: "Inje Ext"}, Injection: true},
		{Label: "inject-external-id-event-name", Title: "Event name attempt", Requester: Requester{ExternalID: InjectEventName, Email: "ext.event@example.com", Name: "Inje Event"}, Injection: true},
		{Label: "inject-external-id-email", Title: "Email attempt", Requester: Requester{ExternalID: `x", "email": "victim@example.com`, Email: "ext.email@example.com", Name: "Inje Email"}, Injection: true},
		{Label: "backslash-external-id", Title: "Backslash in id", Requester: Requester{ExternalID: `org\user-031`, Email: "backslash.id@example.com", Name: "Back Slash"}, Injection: true},
		{Label: "trailing-backslash-external-id", Title: "Trailing backslash in id", Requester: Requester{ExternalID: `user-trailing\`, Email: "trailing.id@example.com", Name: "Trail Ing"}, Injection: true},
	}
	for i := range tickets {
		tk := &tickets[i]
		tk.ID = int64(7001 + i)
		if tk.Status == "" {
			tk.Status = "solved"
		}
		if tk.Priority == "" {
			tk.Priority = "urgent"
		}
		if tk.Type == "" {
			tk.Type = "question"
		}
		if tk.Tags == nil {
			tk.Tags = []string{"braze", strings.ToLower(strings.SplitN(tk.Label, "-", 2)[0])}
		}
	}
	return tickets
}
