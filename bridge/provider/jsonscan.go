package provider

import (
	"encoding/binary"
	"unicode/utf8"
)

// maxJSONDepth matches encoding/json's nesting limit.
const maxJSONDepth = 10000

// readObject reads the JSON object b one level deep, in one pass: its
// members in order, repeats kept, each key as encoding/json decodes it
// and each value as the raw text written (a slice of b, not a copy: a
// number stays exactly as the sender wrote it, no float64 round trip, and
// nothing below is decoded). It answers false when b is not exactly one
// JSON object; the whole text is validated as encoding/json validates it.
// FuzzJSONFields holds it to encoding/json.
//
// Why not encoding/json: listing an object's members with their repeats
// takes its Decoder.Token, which allocates several times per member;
// map decoding hides repeats. In an end-to-end A/B that cost 11-15% more
// CPU per delivery and about 5% of throughput (BENCHMARKS.md, "Reading
// JSON fields"), more on bodies with many members.
func readObject(b []byte) (jsonObject, bool) {
	s := jsonScanner{b: b}
	s.ws()
	if s.i >= len(b) || b[s.i] != '{' {
		return nil, false
	}
	obj := make(jsonObject, 0, 16)
	if !s.object(1, &obj, nil) {
		return nil, false
	}
	s.ws()
	if s.i != len(b) {
		return nil, false
	}
	return obj, true
}

// findKey shows f every member of the JSON object v (raw text already
// validated as part of its document), without collecting them; false when
// v is not an object.
func findKey(v []byte, f *keyFinder) bool {
	if len(v) == 0 || v[0] != '{' {
		return false
	}
	s := jsonScanner{b: v}
	return s.object(1, nil, f)
}

// soleElement is the one element of the JSON array v (raw text already
// validated as part of its document); false when v is not an array of
// exactly one element.
func soleElement(v []byte) ([]byte, bool) {
	if len(v) == 0 || v[0] != '[' {
		return nil, false
	}
	s := jsonScanner{b: v}
	if s.open(']') {
		return nil, false
	}
	s.ws()
	start := s.i
	if !s.value(1) {
		return nil, false
	}
	elem := v[start:s.i]
	more, ok := s.next(']')
	return elem, ok && !more
}

// jsonScanner validates and walks JSON text as RFC 8259 and encoding/json
// define it (strings may hold invalid UTF-8, as encoding/json accepts).
type jsonScanner struct {
	b []byte
	i int
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
		return s.object(depth+1, nil, nil)
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

// object reads an object at s.i ('{'); members are appended to out and
// shown to find when these are not nil.
func (s *jsonScanner) object(depth int, out *jsonObject, find *keyFinder) bool {
	if depth > maxJSONDepth {
		return false
	}
	if s.open('}') {
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
		if out != nil || find != nil {
			if escaped || !utf8.Valid(key) {
				key = []byte(jsonString(s.b[start : start+len(key)+2]))
			}
			if out != nil {
				*out = append(*out, jsonMember{key: key, val: s.b[vstart:s.i]})
			}
			if find != nil {
				find.see(key, s.b[vstart:s.i])
			}
		}
		if more, ok := s.next('}'); !more {
			return ok
		}
	}
}

func (s *jsonScanner) array(depth int) bool {
	if depth > maxJSONDepth {
		return false
	}
	if s.open(']') {
		return true
	}
	for {
		s.ws()
		if !s.value(depth) {
			return false
		}
		if more, ok := s.next(']'); !more {
			return ok
		}
	}
}

// open steps over the '{' or '[' at s.i and reports whether end closes
// the container at once.
func (s *jsonScanner) open(end byte) bool {
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == end {
		s.i++
		return true
	}
	return false
}

// next reads what follows an element of a container that end closes: ','
// (more follows) or end; anything else is an error.
func (s *jsonScanner) next(end byte) (more, ok bool) {
	s.ws()
	if s.i >= len(s.b) {
		return false, false
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		return true, true
	case end:
		s.i++
		return false, true
	}
	return false, false
}

// str reads a string at s.i ('"') and reports whether it had escapes.
func (s *jsonScanner) str() (escaped, ok bool) {
	b, i := s.b, s.i+1 // past '"'
	for {
		// Most of a body is string bytes that need no look: pass them
		// eight at a time (bodies are padded with long strings, and this
		// loop was a tenth of a delivery's instructions byte by byte).
		for i+8 <= len(b) && !special8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		if i >= len(b) {
			return false, false
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return escaped, true
		case c < 0x20:
			return false, false
		case c == '\\':
			escaped = true
			i++
			if i >= len(b) {
				return false, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+4 >= len(b) {
					return false, false
				}
				for _, h := range b[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false, false
					}
				}
				i += 5
			default:
				return false, false
			}
		default:
			i++
		}
	}
}

// special8 reports whether any of the eight bytes in x is one a JSON
// string's scan must stop at: '"', '\\' or a control character (below
// 0x20). Each test is exact about whether such a byte is present (the
// borrow that can mark a byte after a match only happens when there is
// one), which is all the caller asks.
func special8(x uint64) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	q, bs := x^('"'*ones), x^('\\'*ones)
	return ((x-0x20*ones)&^x|(q-ones)&^q|(bs-ones)&^bs)&highs != 0
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

// readArray is the raw text of each element of the JSON array b, in order;
// false when b is not exactly one JSON array (whitespace around it
// aside). The whole text is validated as readObject validates it.
func readArray(b []byte) ([][]byte, bool) {
	s := jsonScanner{b: b}
	s.ws()
	if s.i >= len(b) || b[s.i] != '[' {
		return nil, false
	}
	start := s.i
	if !s.value(0) {
		return nil, false
	}
	end := s.i
	s.ws()
	if s.i != len(b) {
		return nil, false
	}
	return arrayElements(b[start:end])
}

// arrayElements is the raw text of each element of the JSON array v (raw
// text already validated as part of its document), in order; false when v
// is not an array.
func arrayElements(v []byte) ([][]byte, bool) {
	if len(v) == 0 || v[0] != '[' {
		return nil, false
	}
	s := jsonScanner{b: v}
	var out [][]byte
	if s.open(']') {
		return out, true
	}
	for {
		s.ws()
		start := s.i
		if !s.value(1) {
			return nil, false
		}
		out = append(out, v[start:s.i])
		if more, ok := s.next(']'); !more {
			return out, ok
		}
	}
}
