package liquidjson

import "sort"

// shift records that from offset At in the repaired text on, offsets are
// Delta bytes ahead of the body's.
type shift struct{ At, Delta int64 }

type shifts []shift

// original maps an offset in the repaired text back to the body.
func (s shifts) original(off int64) int64 {
	i := sort.Search(len(s), func(i int) bool { return s[i].At > off })
	if i == 0 {
		return off
	}
	return off - s[i-1].Delta
}

const hex = "0123456789abcdef"

// repair escapes raw control characters inside strings and drops commas
// that stand right before a closing bracket or brace. It returns body
// itself when there is nothing to repair, which is the common case.
func repair(body []byte) ([]byte, shifts) {
	var (
		out   []byte // nil until the first change
		sh    shifts
		inStr bool
		esc   bool
		delta int64
	)
	emit := func(i int, repl []byte) {
		if out == nil {
			out = make([]byte, 0, len(body)+64)
			out = append(out, body[:i]...)
		}
		out = append(out, repl...)
		delta += int64(len(repl)) - 1
		sh = append(sh, shift{At: int64(len(out)), Delta: delta})
	}
	keep := func(b byte) {
		if out != nil {
			out = append(out, b)
		}
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if inStr {
			switch {
			case esc:
				esc = false
				keep(c)
			case c == '\\':
				esc = true
				keep(c)
			case c == '"':
				inStr = false
				keep(c)
			case c == '\n':
				emit(i, []byte(`\n`))
			case c == '\r':
				emit(i, []byte(`\r`))
			case c == '\t':
				emit(i, []byte(`\t`))
			case c < 0x20:
				emit(i, []byte{'\\', 'u', '0', '0', hex[c>>4], hex[c&0xf]})
			default:
				keep(c)
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			keep(c)
		case ',':
			if trailing(body[i+1:]) {
				emit(i, nil)
			} else {
				keep(c)
			}
		default:
			keep(c)
		}
	}
	if out == nil {
		return body, nil
	}
	return out, sh
}

// trailing reports whether rest, after white space, closes an array or object.
func trailing(rest []byte) bool {
	for _, c := range rest {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case ']', '}':
			return true
		default:
			return false
		}
	}
	return false
}
