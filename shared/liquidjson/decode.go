// Package liquidjson decodes JSON as Braze renders it from Liquid templates:
// raw control characters inside strings, trailing commas left by loops,
// padded values and empty placeholders are all accepted.
package liquidjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SyntaxError says where a body stopped being JSON, as a byte offset into
// the body that was sent, so a user can find the spot in their template.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("body is not valid JSON at byte %d: %s", e.Offset, e.Msg)
}

// Decode parses body into a tree of map[string]any, []any, string,
// json.Number and bool, then cleans it (see Clean). The top level must be
// a JSON object, and no object may repeat a key (*DuplicateKeyError).
func Decode(body []byte) (map[string]any, error) {
	fixed, shifts := repair(body)
	dec := json.NewDecoder(bytes.NewReader(fixed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, &SyntaxError{Offset: shifts.original(se.Offset), Msg: se.Error()}
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, &SyntaxError{Offset: int64(len(body)), Msg: "the body ends before the JSON value does"}
		default:
			return nil, &SyntaxError{Msg: err.Error()}
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &SyntaxError{Offset: shifts.original(dec.InputOffset()), Msg: "unexpected data after the JSON value"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &SyntaxError{Msg: "the body must be a JSON object"}
	}
	if err := checkDuplicates(fixed, shifts); err != nil {
		return nil, err
	}
	Clean(obj)
	return obj, nil
}

// Clean trims surrounding white space from every string and removes object
// members and array elements that are empty strings, or objects left empty
// by that. Braze renders an unset attribute as "" and a {% capture %} block
// with its line breaks; neither means anything to the receiving API.
func Clean(obj map[string]any) {
	for k, v := range obj {
		if c, keep := clean(v); keep {
			obj[k] = c
		} else {
			delete(obj, k)
		}
	}
}

func clean(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		s := strings.TrimSpace(t)
		return s, s != ""
	case map[string]any:
		Clean(t)
		return t, len(t) > 0
	case []any:
		out := t[:0]
		for _, e := range t {
			if c, keep := clean(e); keep {
				out = append(out, c)
			}
		}
		return out, true
	default:
		return v, true
	}
}
