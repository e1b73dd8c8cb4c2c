package templatetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// The two functions, as the logical ids, metric dimension and make redrive
// name them.
var functions = []string{"BrazeToZendesk", "ZendeskToBraze"}

// Intrinsic function values as they appear in the transformed template.
func ref(name string) any { return map[string]any{"Ref": name} }

func getAtt(resource, attr string) any {
	return map[string]any{"Fn::GetAtt": []any{resource, attr}}
}

func same(a, b any) bool { return reflect.DeepEqual(normal(a), normal(b)) }

// normal makes values comparable whatever decoded them: numbers as float64,
// and a GetAtt written "Res.Attr" as ["Res", "Attr"].
func normal(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	if m, ok := out.(map[string]any); ok && len(m) == 1 {
		if s, ok := m["Fn::GetAtt"].(string); ok {
			if i := strings.Index(s, "."); i > 0 {
				return map[string]any{"Fn::GetAtt": []any{s[:i], s[i+1:]}}
			}
		}
	}
	return out
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// strings of a value that may be one string or a list of them.
func stringsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// path walks nested maps: path(m, "A", "B") is m["A"]["B"], nil when absent.
func path(v any, keys ...string) any {
	for _, k := range keys {
		m := asMap(v)
		if m == nil {
			return nil
		}
		v = m[k]
	}
	return v
}

func (t *Template) resources() map[string]any { return asMap(t.Out["Resources"]) }

func (t *Template) resource(id string) map[string]any { return asMap(t.resources()[id]) }

func (t *Template) props(id string) map[string]any { return asMap(t.resource(id)["Properties"]) }

// ofType lists the logical ids of the transformed template's resources of a
// type, sorted.
func (t *Template) ofType(typ string) []string {
	var ids []string
	for id, r := range t.resources() {
		if asMap(r)["Type"] == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// params are parameter values for evaluating conditions: the template's
// defaults, with overrides.
func (t *Template) params(overrides map[string]string) map[string]string {
	out := map[string]string{}
	for name, p := range asMap(t.Out["Parameters"]) {
		if d, ok := asMap(p)["Default"]; ok {
			out[name] = scalar(d)
		}
	}
	for k, v := range overrides {
		out[k] = v
	}
	return out
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return show(v)
}

// condition evaluates the named condition for these parameter values.
func (t *Template) condition(name string, params map[string]string) (bool, error) {
	expr, ok := asMap(t.Out["Conditions"])[name]
	if !ok {
		return false, fmt.Errorf("no condition %q", name)
	}
	return t.evalCondition(expr, params, 0)
}

func (t *Template) evalCondition(expr any, params map[string]string, depth int) (bool, error) {
	if depth > 20 {
		return false, fmt.Errorf("conditions nest too deep")
	}
	m := asMap(expr)
	if len(m) != 1 {
		return false, fmt.Errorf("not a condition: %s", show(expr))
	}
	for fn, arg := range m {
		switch fn {
		case "Condition":
			name, _ := arg.(string)
			sub, ok := asMap(t.Out["Conditions"])[name]
			if !ok {
				return false, fmt.Errorf("no condition %q", name)
			}
			return t.evalCondition(sub, params, depth+1)
		case "Fn::Equals":
			l := asList(arg)
			if len(l) != 2 {
				return false, fmt.Errorf("Fn::Equals needs two values: %s", show(arg))
			}
			a, err := value(l[0], params)
			if err != nil {
				return false, err
			}
			b, err := value(l[1], params)
			if err != nil {
				return false, err
			}
			return a == b, nil
		case "Fn::Not":
			l := asList(arg)
			if len(l) != 1 {
				return false, fmt.Errorf("Fn::Not needs one condition: %s", show(arg))
			}
			v, err := t.evalCondition(l[0], params, depth+1)
			return !v, err
		case "Fn::And", "Fn::Or":
			and := fn == "Fn::And"
			result := and
			for _, c := range asList(arg) {
				v, err := t.evalCondition(c, params, depth+1)
				if err != nil {
					return false, err
				}
				if and {
					result = result && v
				} else {
					result = result || v
				}
			}
			return result, nil
		}
		return false, fmt.Errorf("condition function %s is not evaluated here", fn)
	}
	panic("unreachable")
}

// value is a literal, or a Ref to a parameter, as a string.
func value(v any, params map[string]string) (string, error) {
	if m := asMap(v); m != nil {
		name, ok := m["Ref"].(string)
		if !ok || len(m) != 1 {
			return "", fmt.Errorf("cannot evaluate %s", show(v))
		}
		p, ok := params[name]
		if !ok {
			return "", fmt.Errorf("parameter %s has no value", name)
		}
		return p, nil
	}
	return scalar(v), nil
}

// noValue stands for AWS::NoValue once Fn::If is resolved.
type noValue struct{}

// resolveIf replaces every Fn::If in v by the branch its condition chooses
// for these parameter values.
func (t *Template) resolveIf(v any, params map[string]string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if branches, ok := x["Fn::If"]; ok && len(x) == 1 {
			l := asList(branches)
			if len(l) != 3 {
				return nil, fmt.Errorf("Fn::If needs a condition and two values: %s", show(x))
			}
			name, _ := l[0].(string)
			c, err := t.condition(name, params)
			if err != nil {
				return nil, err
			}
			if c {
				return t.resolveIf(l[1], params)
			}
			return t.resolveIf(l[2], params)
		}
		if same(x, ref("AWS::NoValue")) {
			return noValue{}, nil
		}
		out := map[string]any{}
		for k, e := range x {
			r, err := t.resolveIf(e, params)
			if err != nil {
				return nil, err
			}
			if _, gone := r.(noValue); !gone {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		var out []any
		for _, e := range x {
			r, err := t.resolveIf(e, params)
			if err != nil {
				return nil, err
			}
			if _, gone := r.(noValue); !gone {
				out = append(out, r)
			}
		}
		return out, nil
	}
	return v, nil
}

// exists says whether a resource is created for these parameter values.
func (t *Template) exists(id string, params map[string]string) (bool, error) {
	r := t.resource(id)
	if r == nil {
		return false, nil
	}
	c, ok := r["Condition"].(string)
	if !ok {
		return true, nil
	}
	return t.condition(c, params)
}

// findInMap resolves Fn::FindInMap [map, key-or-Ref, key] for these
// parameter values.
func (t *Template) findInMap(v any, params map[string]string) (any, error) {
	l := asList(asMap(v)["Fn::FindInMap"])
	if len(l) != 3 {
		return nil, fmt.Errorf("not a Fn::FindInMap: %s", show(v))
	}
	var keys []string
	for _, k := range l {
		s, err := value(k, params)
		if err != nil {
			return nil, err
		}
		keys = append(keys, s)
	}
	got := path(t.Out["Mappings"], keys...)
	if got == nil {
		return nil, fmt.Errorf("mapping %s has no %s.%s", keys[0], keys[1], keys[2])
	}
	return got, nil
}

// allowed lists a parameter's AllowedValues as strings.
func (t *Template) allowed(param string) []string {
	var out []string
	for _, v := range asList(path(t.Out["Parameters"], param, "AllowedValues")) {
		out = append(out, scalar(v))
	}
	return out
}

// alarm is an AWS::CloudWatch::Alarm of the transformed template.
type alarm struct {
	id    string
	props map[string]any
}

// dimensions of an alarm, by name.
func (a alarm) dimensions() map[string]any {
	out := map[string]any{}
	for _, d := range asList(a.props["Dimensions"]) {
		if name, ok := asMap(d)["Name"].(string); ok {
			out[name] = asMap(d)["Value"]
		}
	}
	return out
}

// description of an alarm: its AlarmDescription, a string or a Fn::Sub.
func (a alarm) description() string {
	switch d := a.props["AlarmDescription"].(type) {
	case string:
		return d
	case map[string]any:
		if s, ok := d["Fn::Sub"].(string); ok {
			return s
		}
	}
	return ""
}

// alarms on one metric with exactly these dimensions.
func (t *Template) alarms(namespace, metric string, dims map[string]any) []alarm {
	var out []alarm
	for _, id := range t.ofType("AWS::CloudWatch::Alarm") {
		a := alarm{id, t.props(id)}
		if a.props["Namespace"] != namespace || a.props["MetricName"] != metric {
			continue
		}
		got := a.dimensions()
		if len(got) != len(dims) {
			continue
		}
		match := true
		for k, v := range dims {
			if !same(got[k], v) {
				match = false
			}
		}
		if match {
			out = append(out, a)
		}
	}
	return out
}

// oneAlarm is the single alarm on a metric, or a problem.
func (t *Template) oneAlarm(namespace, metric string, dims map[string]any) (alarm, string) {
	found := t.alarms(namespace, metric, dims)
	if len(found) != 1 {
		return alarm{}, fmt.Sprintf("want one alarm on %s %s %s, found %d", namespace, metric, show(dims), len(found))
	}
	return found[0], ""
}
