package provider

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// jsonObject is a JSON object read one level deep: its members in order,
// each value kept as the bytes written (a slice of the input, not a copy),
// so a number comes out exactly as the sender wrote it (no float64 round
// trip: 12345678901234567890 stays that) and nothing below a looked-up path
// is decoded. As in encoding/json, a key that appears twice has its last
// value.
//
// It replaces json.Unmarshal into a map on the delivery path: one pass that
// validates the whole document as encoding/json does (FuzzJSONObject holds
// it to that) without allocating per member.
type jsonObject []jsonMember

type jsonMember struct {
	key []byte // unescaped
	val []byte // raw, without surrounding whitespace
}

// maxJSONDepth matches encoding/json's nesting limit.
const maxJSONDepth = 10000

// parseJSONObject returns nil when b is not a JSON object (invalid JSON,
// trailing data, or another kind of value).
func parseJSONObject(b []byte) jsonObject {
	s := jsonScanner{b: b}
	s.ws()
	if s.i >= len(b) || b[s.i] != '{' {
		return nil
	}
	obj := make(jsonObject, 0, 16)
	if !s.object(1, &obj) {
		return nil
	}
	s.ws()
	if s.i != len(b) {
		return nil
	}
	return obj
}

// get is the raw value of key, the last one when it repeats.
func (o jsonObject) get(key string) ([]byte, bool) {
	var v []byte
	found := false
	for _, m := range o {
		if string(m.key) == key {
			v, found = m.val, true
		}
	}
	return v, found
}

// lookup follows path through nested objects.
func (o jsonObject) lookup(path ...string) (json.RawMessage, bool) {
	cur := o
	for i, key := range path {
		v, ok := cur.get(key)
		if !ok {
			return nil, false
		}
		if i == len(path)-1 {
			return v, true
		}
		// Go down without collecting the members of the levels between.
		for _, key := range path[i+1 : len(path)-1] {
			if v, ok = findMember(v, key); !ok {
				return nil, false
			}
		}
		return findMember(v, path[len(path)-1])
	}
	return nil, false
}

// findMember is the raw value of key in the JSON object b (the last one
// when it repeats), or false when b is not an object or has no such key.
func findMember(b []byte, key string) ([]byte, bool) {
	var one [1]jsonMember
	found := one[:0]
	s := jsonScanner{b: b, want: key, found: &found}
	s.ws()
	if s.i >= len(b) || b[s.i] != '{' || !s.object(1, nil) {
		return nil, false
	}
	s.ws()
	if s.i != len(b) || len(found) == 0 {
		return nil, false
	}
	return found[0].val, true
}

// str is the JSON string at path, or "" when there is none.
func (o jsonObject) str(path ...string) string {
	v, _ := o.lookup(path...)
	return jsonString(v)
}

// scalar is the JSON string at path, or the JSON number there exactly as
// written, or "" for anything else.
func (o jsonObject) scalar(path ...string) string {
	v, _ := o.lookup(path...)
	if len(v) > 0 && (v[0] == '-' || ('0' <= v[0] && v[0] <= '9')) {
		return string(v) // a valid number: the scanner checked the whole document
	}
	return jsonString(v)
}

// jsonString decodes a JSON string value; "" for anything else.
func jsonString(v []byte) string {
	if len(v) < 2 || v[0] != '"' {
		return ""
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner) // nothing to unescape or replace
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s
}

// jsonScanner validates and walks JSON text as RFC 8259 and encoding/json
// define it (strings may hold invalid UTF-8, as encoding/json accepts).
type jsonScanner struct {
	b []byte
	i int
	// want, when found is set, names the one top-level member to keep in
	// found[0] (the last of that name).
	want  string
	found *[]jsonMember
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value skips one value at s.i.
func (s *jsonScanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth+1, nil)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

// object reads an object at s.i ('{'); members are appended to out when
// out is not nil.
func (s *jsonScanner) object(depth int, out *jsonObject) bool {
	if depth > maxJSONDepth {
		return false
	}
	s.i++ // '{'
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		start := s.i
		escaped, ok := s.str()
		if !ok {
			return false
		}
		key := s.b[start+1 : s.i-1]
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		vstart := s.i
		if !s.value(depth) {
			return false
		}
		if out != nil || (s.found != nil && depth == 1) {
			if escaped || !utf8.Valid(key) {
				key = []byte(jsonString(s.b[start : start+len(key)+2]))
			}
			m := jsonMember{key: key, val: s.b[vstart:s.i]}
			switch {
			case out != nil:
				*out = append(*out, m)
			case string(key) == s.want:
				*s.found = append((*s.found)[:0], m)
			}
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *jsonScanner) array(depth int) bool {
	if depth > maxJSONDepth {
		return false
	}
	s.i++ // '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		s.ws()
		if !s.value(depth) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string at s.i ('"') and reports whether it had escapes.
func (s *jsonScanner) str() (escaped, ok bool) {
	s.i++ // '"'
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return escaped, true
		case c < 0x20:
			return false, false
		case c == '\\':
			escaped = true
			s.i++
			if s.i >= len(s.b) {
				return false, false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if s.i+4 >= len(s.b) {
					return false, false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false, false
					}
				}
				s.i += 5
			default:
				return false, false
			}
		default:
			s.i++
		}
	}
	return false, false
}

func (s *jsonScanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() bool {
	b := s.b
	if b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(b) && b[s.i] == '0':
		s.i++
	case s.i < len(b) && '1' <= b[s.i] && b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.i < len(b) && b[s.i] == '.' {
		s.i++
		if !s.digits() {
			return false
		}
	}
	if s.i < len(b) && (b[s.i] == 'e' || b[s.i] == 'E') {
		s.i++
		if s.i < len(b) && (b[s.i] == '+' || b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits skips [0-9]+ and reports whether there was at least one.
func (s *jsonScanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
