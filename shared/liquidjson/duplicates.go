package liquidjson

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// DuplicateKeyError is an object that names one key twice. A rendered
// template never does; a value whose unescaped double quote ended its
// string early, and carried fields of its own, does whenever it sets a
// field the template sets too. encoding/json would keep the last value
// silently, so the body is refused instead.
type DuplicateKeyError struct {
	Path   string // where the object sits, e.g. "ticket.requester"; "" at the top
	Key    string
	Offset int64 // of the second occurrence, in the body that was sent
}

// Field is the repeated member's dotted path, e.g. "ticket.requester_id".
func (e *DuplicateKeyError) Field() string {
	if e.Path == "" {
		return e.Key
	}
	return e.Path + "." + e.Key
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("the key %q appears twice in one object (%s, byte %d): a value probably held a double quote "+
		"that was not escaped; pass every attribute through json_escape", e.Key, e.Field(), e.Offset)
}

// checkDuplicates walks text, which is known to be valid JSON, and reports
// the first object that repeats a key.
func checkDuplicates(text []byte, sh shifts) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	type frame struct {
		object    bool
		keys      map[string]struct{}
		expectKey bool
		path      string
		lastKey   string
	}
	var stack []*frame
	childPath := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := stack[len(stack)-1]
		if !top.object {
			return top.path + "[]"
		}
		if top.path == "" {
			return top.lastKey
		}
		return top.path + "." + top.lastKey
	}
	// valueDone lets an enclosing object expect its next key.
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].expectKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end; syntax was checked before
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{object: true, keys: map[string]struct{}{}, expectKey: true, path: childPath()})
			case '[':
				stack = append(stack, &frame{path: childPath()})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			top := (*frame)(nil)
			if n := len(stack); n > 0 {
				top = stack[n-1]
			}
			if top != nil && top.object && top.expectKey {
				if _, dup := top.keys[v]; dup {
					return &DuplicateKeyError{Path: top.path, Key: v, Offset: sh.original(dec.InputOffset())}
				}
				top.keys[v], top.lastKey, top.expectKey = struct{}{}, v, false
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
}
