package liquidtest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestExtract(t *testing.T) {
	const doc = "intro\n<!-- template: a -->\n\n```liquid\nline 1\n  line 2\n```\n\n<!-- template: b -->\ntext\n```json\n{}\n```\n" +
		"<!-- template: c -->\n```\nopen\n" // c is not closed
	got, err := extract(doc, "a")
	if err != nil || got != "line 1\n  line 2\n" {
		t.Fatalf("a = %q, %v", got, err)
	}
	for name, want := range map[string]string{"b": "no fenced code block", "c": "not closed", "missing": "no line"} {
		if _, err := extract(doc, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
	if _, err := extract(doc+"<!-- template: a -->\n```\nx\n```\n", "a"); err == nil || !strings.Contains(err.Error(), "more than once") {
		t.Errorf("a repeated marker: err = %v", err)
	}
	if _, err := extract("<!-- template: e -->\n```\n```\n", "e"); err == nil {
		t.Error("an empty block was accepted")
	}
}

func TestREADMETemplates(t *testing.T) {
	if b := Template(t, "braze-ticket-body"); !strings.Contains(b, "json_escape") || !strings.Contains(b, "${user_id}") {
		t.Errorf("braze-ticket-body = %q", b)
	}
	if z := Template(t, "zendesk-trigger-body"); !strings.Contains(z, "{{ticket.id}}") {
		t.Errorf("zendesk-trigger-body = %q", z)
	}
}

func TestRewriteAttributes(t *testing.T) {
	for in, want := range map[string]string{
		"{{${first_name}}}":                        "{{first_name}}",
		"{{${first_name} | json_escape}}":          "{{first_name | json_escape}}",
		"{{ ${ last_name } }}":                     "{{ last_name }}",
		"{{campaign.${dispatch_id}}}-x":            "{{campaign.dispatch_id}}-x",
		"costs ${price} {% if ${a} %}y{% endif %}": "costs ${price} {% if a %}y{% endif %}",
	} {
		if got := rewriteAttributes(in); got != want {
			t.Errorf("rewrite(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONEscape(t *testing.T) {
	if JSONEscape(nil) != "" || JSONEscape(12) != "12" {
		t.Errorf("nil → %q, 12 → %q", JSONEscape(nil), JSONEscape(12))
	}
	if got := JSONEscape("a\"b\\c\nd\te\r<&>\x01"); got != `a\"b\\c\nd\te\r<&>\u0001` {
		t.Errorf("JSONEscape = %s", got)
	}
	for _, p := range Profiles() {
		for _, v := range []string{p.ExternalID, p.FirstName, p.LastName, p.Email, p.Phone} {
			var back string
			if err := json.Unmarshal([]byte(`"`+JSONEscape(v)+`"`), &back); err != nil || back != v {
				t.Errorf("%s: %q escaped as %q decodes to %q, %v", p.Label, v, JSONEscape(v), back, err)
			}
		}
	}
}

func TestRenderBrazeAbsentAttributes(t *testing.T) {
	got, err := RenderBraze("[{{${first_name}}}|{{${user_id} | json_escape}}|{{${city}}}|{{campaign.${dispatch_id}}}]", Profile{}, "d-1")
	if err != nil || got != "[|||d-1]" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := RenderBraze("{{${first_name} | no_such_filter}}", Profile{FirstName: "x"}, ""); err == nil {
		t.Error("an unknown filter rendered")
	}
}

// TestRenderBrazeREADME renders the README's body for every profile: each
// is JSON without a repeated key, and every value arrives exactly.
func TestRenderBrazeREADME(t *testing.T) {
	tmpl := Template(t, "braze-ticket-body")
	for _, p := range Profiles() {
		body, err := RenderBraze(tmpl, p, "dispatch-1")
		if err != nil {
			t.Fatalf("%s: %v", p.Label, err)
		}
		if k := repeatedKey(body); k != "" {
			t.Errorf("%s: the rendered body repeats %q", p.Label, k)
		}
		var got struct {
			Ticket struct {
				RequesterID string `json:"requester_id"`
				Requester   struct{ Name, Email, Phone string }
				Comment     struct{ Body string }
			}
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s: the rendered body is not JSON: %v\n%s", p.Label, err, body)
		}
		capture, err := RenderBrazeCapture(tmpl, "ticket_body", p, "dispatch-1")
		if err != nil {
			t.Fatal(err)
		}
		tk := got.Ticket
		if tk.RequesterID != p.ExternalID || tk.Requester.Name != p.FirstName+" "+p.LastName ||
			tk.Requester.Email != p.Email || tk.Requester.Phone != p.Phone || tk.Comment.Body != capture {
			t.Errorf("%s: rendered %+v", p.Label, tk)
		}
		if want := "\n" + p.FirstName + " answered No to 'Are you enjoying the app?'.\n"; capture != want {
			t.Errorf("%s: capture = %q, want %q", p.Label, capture, want)
		}
	}
}

// repeatedKey returns a key some object of the JSON text repeats, or "".
func repeatedKey(s string) string {
	dec := json.NewDecoder(strings.NewReader(s))
	type frame struct {
		obj  bool
		key  bool // the next string token is a key
		seen map[string]bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: v == '{', key: v == '{', seen: map[string]bool{}})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.obj && top.key {
				if top.seen[v] {
					return v
				}
				top.seen[v] = true
				top.key = false
				continue
			}
		}
		if top != nil && top.obj {
			top.key = true
		}
	}
}

func TestRepeatedKey(t *testing.T) {
	if k := repeatedKey(`{"a": {"b": 1, "c": [{"b": 2}]}, "d": "a"}`); k != "" {
		t.Errorf("found %q in a body without repeats", k)
	}
	if k := repeatedKey(`{"a": {"b": 1, "c": [1], "b": 2}}`); k != "b" {
		t.Errorf("repeatedKey = %q, want b", k)
	}
}

func TestRenderZendesk(t *testing.T) {
	tk := Ticket{ID: 42, Title: `My 27" monitor`, Status: "solved", Priority: "urgent", Type: "question",
		Requester: Requester{Email: "a@example.com"}}
	got, err := RenderZendesk(`{{ticket.id}}|{{ticket.status}}|{{ticket.priority}}|{{ticket.ticket_type}}|{{ticket.title}}|{{ticket.requester.external_id}}|{{ticket.requester.email}}`, tk)
	if want := `42|Solved|Urgent|Question|My 27" monitor||a@example.com`; err != nil || got != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	tk.Unrendered = true
	if got, _ := RenderZendesk(`{{ticket.requester.external_id}}`, tk); got != "{{ticket.requester.external_id}}" {
		t.Errorf("unrendered = %q", got)
	}
}

// TestCorpora checks that the corpora hold what the end-to-end tests promise
// to cover, and stay deterministic.
func TestCorpora(t *testing.T) {
	ps, tks := Profiles(), Tickets()
	if !reflect.DeepEqual(ps, Profiles()) || !reflect.DeepEqual(tks, Tickets()) {
		t.Fatal("the corpora are not deterministic")
	}
	if len(ps) < 45 || len(tks) < 45 {
		t.Fatalf("%d profiles, %d tickets; want at least 45 of each", len(ps), len(tks))
	}

	var pvals, tvals []string
	labels, ids, emails := map[string]bool{}, map[string]bool{}, map[string][]string{}
	reachable, refused, injections := 0, 0, 0
	for _, p := range ps {
		if labels[p.Label] {
			t.Errorf("profile label %s repeats", p.Label)
		}
		labels[p.Label] = true
		if id := p.WantExternalID(); id != "" {
			if ids[id] || id == Victim {
				t.Errorf("profile %s: external id %q repeats or is the victim's", p.Label, id)
			}
			ids[id] = true
		}
		if e := p.WantEmail(); e != "" {
			emails[e] = append(emails[e], p.Label)
		}
		if p.Reachable() {
			reachable++
		} else {
			refused++
		}
		if p.Injection {
			injections++
		}
		pvals = append(pvals, p.ExternalID, p.FirstName, p.LastName, p.Email, p.Phone)
	}
	shared := 0
	for e, who := range emails {
		if e == VictimEmail {
			t.Errorf("%v use the victim's email", who)
		}
		if len(who) > 1 {
			shared++
			if len(who) != 2 {
				t.Errorf("%d profiles share %s", len(who), e)
			}
		}
	}
	emailOnly := false
	for _, p := range ps {
		if p.ExternalID == "" && p.Reachable() && len(emails[p.WantEmail()]) == 1 {
			emailOnly = true
		}
	}
	if shared != 1 || !emailOnly || refused == 0 || reachable < 40 || injections < 10 {
		t.Errorf("shared emails %d, an email-only profile %v, refused %d, reachable %d, injections %d", shared, emailOnly, refused, reachable, injections)
	}

	labels = map[string]bool{}
	unreachable, noExternal := 0, 0
	for _, tk := range tks {
		if labels[tk.Label] {
			t.Errorf("ticket label %s repeats", tk.Label)
		}
		labels[tk.Label] = true
		if tk.Requester.ExternalID == Victim || tk.Requester.Email == VictimEmail {
			t.Errorf("ticket %s is the victim's", tk.Label)
		}
		if !tk.Reachable() {
			unreachable++
		} else if tk.Requester.ExternalID == "" {
			noExternal++
		}
		if StatusName(tk.Status) == tk.Status || PriorityName(tk.Priority) == tk.Priority || TypeName(tk.Type) == tk.Type {
			t.Errorf("ticket %s: an enum Zendesk does not know: %s/%s/%s", tk.Label, tk.Status, tk.Priority, tk.Type)
		}
		tvals = append(tvals, tk.Title, tk.Description, tk.Requester.ExternalID, tk.Requester.Name)
	}
	if unreachable < 2 || noExternal < 2 {
		t.Errorf("%d unreachable tickets, %d requesters without an external id", unreachable, noExternal)
	}

	for corpus, vals := range map[string][]string{"profiles": pvals, "tickets": tvals} {
		for _, c := range coverage {
			if !slices.ContainsFunc(vals, c.has) {
				t.Errorf("%s: nothing covers %s", corpus, c.what)
			}
		}
	}
	// Injections in every typeable field of a profile.
	for field, get := range map[string]func(Profile) string{
		"external id": func(p Profile) string { return p.ExternalID }, "first name": func(p Profile) string { return p.FirstName },
		"last name": func(p Profile) string { return p.LastName }, "email": func(p Profile) string { return p.Email },
		"phone": func(p Profile) string { return p.Phone },
	} {
		found := false
		for _, p := range ps {
			if strings.Contains(get(p), `", "`) {
				found = true
				if !p.Injection {
					t.Errorf("profile %s carries an injection in its %s but is not marked", p.Label, field)
				}
			}
		}
		if !found {
			t.Errorf("no profile carries an injection in its %s", field)
		}
	}
}

type check struct {
	what string
	has  func(string) bool
}

func contains(sub string) check {
	return check{fmt.Sprintf("%q", sub), func(s string) bool { return strings.Contains(s, sub) }}
}

var coverage = []check{
	contains(`"`), contains(`\`), contains("\n"), contains("\t"), contains("\r"), contains("{{"), contains("}}"), contains("{%"),
	contains("<script>"), contains(`\u0022`), contains(InjectRequester), contains(InjectExternalID), contains(InjectEventName),
	contains(InjectAssignee),
	{"a value ending in one backslash", func(s string) bool { return strings.HasSuffix(s, `\`) && !strings.HasSuffix(s, `\\`) }},
	{"CJK", func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	}},
	{"emoji", func(s string) bool { return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x1F300 }) }},
	{"RTL", func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return unicode.In(r, unicode.Arabic, unicode.Hebrew) })
	}},
	{"2,000 characters", func(s string) bool { return utf8.RuneCountInString(s) >= 2000 }},
	{"an empty value", func(s string) bool { return s == "" }},
	{"12345", func(s string) bool { return s == "12345" }},
	{"leading and trailing spaces", func(s string) bool { return len(s) > 2 && s[0] == ' ' && s[len(s)-1] == ' ' }},
}
