package platformid

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ID is a platform's id for an object, read by the package's rule. The
// zero ID means none was given.
type ID string

// ErrNotID is the error of a JSON value that is not an id: a boolean, an
// object, an array, a number that is not a non-negative integer, or text
// that is not JSON.
var ErrNotID = errors.New("not a platform id (want a string or a non-negative integer)")

// Parse's errors are made once: a caller that only wants the id (the
// bridge's providers, which treat a value that is not an id as absent)
// then reads any payload without allocating for them.
var (
	errNumber = fmt.Errorf("%w: a number with a sign, fraction, exponent or leading zero", ErrNotID)
	errString = fmt.Errorf("%w: not a valid JSON string", ErrNotID)
	errKind   = fmt.Errorf("%w: neither a string, a number nor null", ErrNotID)
)

// Parse reads one raw JSON value, as encoding/json hands it to an
// UnmarshalJSON method (no surrounding white space), by the package's
// rule. Empty raw is an absent value: "" and no error. Parse is safe for
// concurrent use; for a number, or a string with no escapes, it allocates
// only the id's text.
func Parse(raw []byte) (ID, error) {
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", nil
	case raw[0] == '"':
		return parseString(raw)
	case raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9':
		if !isNatural(raw) {
			return "", errNumber
		}
		return ID(raw), nil
	}
	return "", errKind
}

// UnmarshalJSON reads b by the package's rule. A field of type ID that is
// absent from the JSON keeps its value (encoding/json does not call this).
func (id *ID) UnmarshalJSON(b []byte) error {
	v, err := Parse(b)
	if err != nil {
		return fmt.Errorf("id %.40q: %w", b, err)
	}
	*id = v
	return nil
}

// parseString decodes a JSON string and trims it. A string with nothing
// to unescape or replace is its bytes between the quotes, as is: trimming
// those raw bytes trims the same characters as trimming the decoded text,
// since white space inside a JSON string is either written as itself or
// escaped (and then goes the slow way).
func parseString(raw []byte) (ID, error) {
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return "", errString // json.Unmarshal would allow trailing white space
	}
	if inner, ok := plainString(raw); ok {
		return ID(bytes.TrimSpace(inner)), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errString
	}
	return ID(strings.TrimSpace(s)), nil
}

// plainString is the text between raw's quotes (raw starts and ends with
// one) when raw is a JSON string that decodes to exactly those bytes: no escapes, no control characters,
// valid UTF-8.
func plainString(raw []byte) ([]byte, bool) {
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c < 0x20 || c == '"' || c == '\\' {
			return nil, false
		}
	}
	return inner, utf8.Valid(inner)
}

// isNatural reports whether b is a non-negative integer as JSON spells
// one: "0", or digits not starting with 0.
func isNatural(b []byte) bool {
	if len(b) == 0 || b[0] == '0' && len(b) > 1 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
