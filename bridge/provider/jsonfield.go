package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// Why a field read from a body is refused: JSON readers in common use
// would read it differently. encoding/json, decoding into a struct as
// stripe-go and most Go consumers do, matches keys case-insensitively
// (bytes.EqualFold) and keeps the last of several; a map, JavaScript's
// JSON.parse or Python's json match exactly; some readers keep the first.
// And encoding/json (like JSON.parse) turns invalid UTF-8 and lone
// surrogate escapes into U+FFFD, so two distinct raw ids would read as one.
var (
	errRepeatedKey   = errors.New("appears more than once")
	errKeyCase       = errors.New("is also written in another case")
	errKeyOtherCase  = errors.New("is only written in another case")
	errInvalidUTF8   = errors.New("string is not valid UTF-8")
	errLoneSurrogate = errors.New(`string has a \u escape of a lone surrogate`)
	errUnreadableKey = errors.New("cannot be told from a key of invalid UTF-8")
)

// jsonBody is a delivery's JSON body as the extract functions read it:
// the fields at the paths they ask for, each held to the rule that every
// common JSON reader would read the same value there.
//
// Only what is read is checked: a body with a repeated key or invalid
// UTF-8 elsewhere (a product description) is the platform's business and
// stays the event's data byte for byte.
//
// str and scalar answer "" for a field that readers could read
// differently and keep the first such problem for err, so that an extract
// function can read all its fields (fallbacks included) and then refuse
// the delivery once.
type jsonBody struct {
	top jsonObject // nil when the body is not a JSON object
	err error
	// Where the object sits in the delivery's body, for an array element
	// read with only: its path ("data.payload[0].") in error texts, and
	// the body that keeps the first error.
	prefix string
	parent *jsonBody
}

// jsonObject is one JSON object's members, in order, repeats kept.
type jsonObject []jsonMember

type jsonMember struct {
	key []byte // decoded, as encoding/json decodes it
	val []byte // raw JSON text, without surrounding whitespace
}

// parseJSONObject reads body; when it is not a JSON object (invalid JSON,
// trailing data, another kind of value) every field is absent.
func parseJSONObject(body []byte) *jsonBody {
	top, _ := readObject(body)
	return &jsonBody{top: top}
}

// only is the one element of the JSON array at path, an object read as
// a body of its own: its fields are held to the same rule, and the first
// problem with one is kept in b.err, naming it under path
// ("data.payload[0].primaryKey"). It has no fields when the value at path
// is not an array of exactly one element.
func (b *jsonBody) only(path ...string) *jsonBody {
	elem, ok := soleElement(b.lookup(path))
	if !ok {
		return &jsonBody{}
	}
	top, _ := readObject(elem)
	return &jsonBody{top: top, prefix: strings.Join(path, ".") + "[0].", parent: b}
}

// str is the JSON string at path, or "" when there is none (or another
// kind of value).
func (b *jsonBody) str(path ...string) string {
	return jsonString(b.lookup(path))
}

// id is the platform id at path, read by the rule every reader of ids in
// this module shares (see platformid); "" when there is none or the value
// is not an id.
func (b *jsonBody) id(path ...string) string {
	id, err := platformid.Parse(b.lookup(path))
	if err != nil {
		return ""
	}
	return string(id)
}

// scalar is the JSON string at path, or the JSON number there exactly as
// written, or "" for anything else: any field's text, as the hmac kind's
// locators document it (HMACConfig), whatever the field holds. An id that
// a platform defines is read with id instead.
func (b *jsonBody) scalar(path ...string) string {
	v := b.lookup(path)
	if len(v) > 0 && (v[0] == '-' || ('0' <= v[0] && v[0] <= '9')) {
		return string(v) // a valid number: readObject checked the whole document
	}
	return jsonString(v)
}

// lookup is the raw value at path, or nil when there is none or readers
// could disagree on it (b.err then says why). The top level was collected
// once for every lookup; a level below it is scanned for the one key
// without collecting its members.
func (b *jsonBody) lookup(path []string) []byte {
	var v []byte
	for i, key := range path {
		f := keyFinder{key: key}
		if i == 0 {
			for _, m := range b.top {
				f.see(m.key, m.val)
			}
		} else if !findKey(v, &f) {
			return nil // not an object: nothing below it, for any reader
		}
		var err error
		v, err = f.result()
		if err == nil && i == len(path)-1 && len(v) > 0 && v[0] == '"' {
			err = checkJSONString(v)
		}
		if err != nil {
			keep := b
			if b.parent != nil {
				keep = b.parent
			}
			if keep.err == nil {
				keep.err = fmt.Errorf("%w: field %q: %w", ErrUnusable, b.prefix+strings.Join(path, "."), err)
			}
			return nil
		}
		if v == nil {
			return nil
		}
	}
	return v
}

// keyFinder looks for one key among an object's members. When a key
// differs from it only in case, encoding/json's struct decoding would take
// that one too, and a map would not; when the key repeats, readers differ
// on which to keep: either way result says how.
type keyFinder struct {
	key           string
	exact, folded int
	val           []byte // the last exact match's raw value
}

// see is called for each member, key decoded as encoding/json decodes it.
func (f *keyFinder) see(key, val []byte) {
	switch {
	case string(key) == f.key:
		f.exact++
		f.val = val
	case equalFold(key, f.key):
		f.folded++
	}
}

// result is the raw value of the key (nil when there is none), or why
// readers could disagree on it.
func (f *keyFinder) result() ([]byte, error) {
	switch {
	case f.folded > 0 && f.exact == 0:
		return nil, fmt.Errorf("key %q %w", f.key, errKeyOtherCase)
	case f.folded > 0:
		return nil, fmt.Errorf("key %q %w", f.key, errKeyCase)
	case f.exact > 1:
		return nil, fmt.Errorf("key %q %w", f.key, errRepeatedKey)
	}
	return f.val, nil
}

// equalFold is bytes.EqualFold of b and s, without converting s.
func equalFold(b []byte, s string) bool {
	for len(b) > 0 && len(s) > 0 {
		if c, d := b[0], s[0]; c < utf8.RuneSelf && d < utf8.RuneSelf {
			if c != d {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				if 'A' <= d && d <= 'Z' {
					d += 'a' - 'A'
				}
				if c != d {
					return false
				}
			}
			b, s = b[1:], s[1:]
			continue
		}
		// Beyond ASCII: the rest as bytes.EqualFold compares it.
		return bytes.EqualFold(b, []byte(s))
	}
	return len(b) == len(s)
}

// checkJSONString refuses a JSON string (raw, quoted, already known to be
// valid JSON) that encoding/json would not decode faithfully: invalid
// UTF-8, or a \u escape of a surrogate that is not half of a pair. Both
// become U+FFFD there, and different raw values would read the same.
func checkJSONString(raw []byte) error {
	s := raw[1 : len(raw)-1]
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\' && s[i+1] == 'u':
			r := hex4(s[i+2 : i+6])
			i += 6
			if !utf16.IsSurrogate(r) {
				continue
			}
			if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' && utf16.DecodeRune(r, hex4(s[i+2:i+6])) != utf8.RuneError {
				i += 6
				continue
			}
			return errLoneSurrogate
		case c == '\\':
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				return errInvalidUTF8
			}
			i += size
		}
	}
	return nil
}

// hex4 decodes four hex digits (already checked by the JSON reader).
func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// checkPathKey refuses an object key that a path cannot name faithfully:
// one that is not valid UTF-8 or holds U+FFFD, which encoding/json would
// also match against a key of invalid UTF-8.
func checkPathKey(key string) error {
	if !utf8.ValidString(key) || strings.ContainsRune(key, utf8.RuneError) {
		return fmt.Errorf("%q %w", key, errUnreadableKey)
	}
	return nil
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

// complete returns e once obj read every field alike for every reader
// (else obj.err) and e has the ID and Type an event needs; idFrom and
// typeFrom name the body fields they are read from, for the error text.
func (e Event) complete(obj *jsonBody, idFrom, typeFrom string) (Event, error) {
	if obj.err != nil {
		return Event{}, obj.err
	}
	if e.ID == "" {
		return Event{}, fmt.Errorf("body has no string %s: %w", idFrom, ErrUnusable)
	}
	if e.Type == "" {
		return Event{}, fmt.Errorf("body has no string %s: %w", typeFrom, ErrUnusable)
	}
	return e, nil
}
