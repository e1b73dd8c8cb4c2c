package liquidtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/osteele/liquid"
)

// RenderBraze renders tmpl as Braze renders a webhook for profile p in a
// send whose dispatch id is dispatchID. Braze's attribute syntax
// (`{{${first_name}}}`, `{{campaign.${dispatch_id}}}`, also inside filters:
// `{{${first_name} | json_escape}}`) is rewritten to plain Liquid variables
// first; an empty attribute is absent (nil), which renders as empty, as in
// Braze. Braze's json_escape filter is available.
//
// The attributes are Braze's: user_id (the external id), first_name,
// last_name, email_address, phone_number, and campaign.dispatch_id.
func RenderBraze(tmpl string, p Profile, dispatchID string) (string, error) {
	return render(brazeEngine(), rewriteAttributes(tmpl), p.bindings(dispatchID))
}

// RenderBrazeCapture renders only the `{% capture name %}…{% endcapture %}`
// block of tmpl for p and returns the captured text: what the variable
// name holds when the rest of the template is rendered.
func RenderBrazeCapture(tmpl, name string, p Profile, dispatchID string) (string, error) {
	re := regexp.MustCompile(`(?s)\{%-?\s*capture\s+` + regexp.QuoteMeta(name) + `\s*-?%\}.*?\{%-?\s*endcapture\s*-?%\}`)
	block := re.FindString(tmpl)
	if block == "" {
		return "", fmt.Errorf("the template has no {%% capture %s %%} block", name)
	}
	return RenderBraze(block+"{{ "+name+" }}", p, dispatchID)
}

func (p Profile) bindings(dispatchID string) map[string]any {
	return map[string]any{
		"user_id":       attr(p.ExternalID),
		"first_name":    attr(p.FirstName),
		"last_name":     attr(p.LastName),
		"email_address": attr(p.Email),
		"phone_number":  attr(p.Phone),
		"campaign":      map[string]any{"dispatch_id": dispatchID},
	}
}

// attr is a profile attribute as Braze hands it to Liquid: unset is nil.
func attr(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func brazeEngine() *liquid.Engine {
	e := liquid.NewEngine()
	e.RegisterFilter("json_escape", JSONEscape)
	return e
}

func render(e *liquid.Engine, tmpl string, b map[string]any) (string, error) {
	tpl, err := e.ParseString(tmpl)
	if err != nil {
		return "", err
	}
	out, err := tpl.RenderString(b)
	if err != nil {
		return "", err
	}
	return out, nil
}

// JSONEscape is Braze's json_escape filter: the value escaped for use
// inside a JSON string, without the surrounding quotes (quotes, backslashes,
// control characters and line breaks become JSON escapes). nil is empty.
// HTML characters are left as they are; escaping them too would decode to
// the same value.
func JSONEscape(v any) string {
	if v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		s = fmt.Sprint(v)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil { // a string always encodes
		panic(err)
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	return out[1 : len(out)-1]
}

// rewriteAttributes turns Braze's `${name}` into the plain variable `name`
// inside Liquid markup (`{{ … }}` and `{% … %}`), and leaves text outside
// markup alone, as Braze does.
func rewriteAttributes(src string) string {
	var b strings.Builder
	closing := "" // the delimiter that ends the markup we are in, or ""
	for i := 0; i < len(src); {
		rest := src[i:]
		switch {
		case closing == "" && (strings.HasPrefix(rest, "{{") || strings.HasPrefix(rest, "{%")):
			closing = "}}"
			if rest[1] == '%' {
				closing = "%}"
			}
			b.WriteString(rest[:2])
			i += 2
		case closing != "" && strings.HasPrefix(rest, "${"):
			end := strings.IndexByte(rest, '}')
			if end < 0 { // unterminated: leave it for the parser to refuse
				b.WriteString(rest)
				return b.String()
			}
			b.WriteString(strings.TrimSpace(rest[2:end]))
			i += end + 1
		case closing != "" && strings.HasPrefix(rest, closing):
			b.WriteString(closing)
			i += 2
			closing = ""
		default:
			b.WriteByte(src[i])
			i++
		}
	}
	return b.String()
}
