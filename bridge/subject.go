package bridge

import (
	"strings"
	"unicode/utf8"
)

// appendTypeTokens appends to b the subject tokens of a platform event type,
// each preceded by '.'. The type is untrusted input: it is lower-cased, '/'
// and '.' separate tokens, any other byte outside [a-z0-9_-] becomes '_'
// (one '_' per UTF-8 character), and empty tokens are dropped. It reports how
// many tokens it appended; every appended token matches [a-z0-9_-]+, so no
// wildcard, space or empty token can reach a subject.
func appendTypeTokens(b []byte, eventType string) ([]byte, int) {
	n := 0
	inToken := false
	for i := 0; i < len(eventType); {
		c := eventType[i]
		size := 1
		if c >= utf8.RuneSelf {
			_, size = utf8.DecodeRuneInString(eventType[i:])
		}
		i += size
		if c == '/' || c == '.' {
			inToken = false
			continue
		}
		if !inToken {
			b = append(b, '.')
			inToken = true
			n++
		}
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+('a'-'A'))
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
			b = append(b, c)
		default:
			b = append(b, '_')
		}
	}
	return b, n
}

// validToken reports whether s is one subject token as hookbridge publishes
// them: [a-z0-9_-]+. Source names must be tokens.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validPrefix reports whether p is dot-separated tokens of [A-Za-z0-9_-]+.
func validPrefix(p string) bool {
	if p == "" {
		return false
	}
	for _, tok := range strings.Split(p, ".") {
		if tok == "" {
			return false
		}
		for i := 0; i < len(tok); i++ {
			c := tok[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// TypeSubject is the subject tokens of a platform event type as the bridge
// publishes them, joined by '.' ("orders/create" -> "orders.create"), or ""
// when none is left. Readers that filter the stream by event type (the
// console) use it, so that their filter and the published subject are made
// by the same rule.
func TypeSubject(eventType string) string {
	b, n := appendTypeTokens(nil, eventType)
	if n == 0 {
		return ""
	}
	return string(b[1:])
}

// ValidToken reports whether s is one subject token as hookbridge publishes
// them, [a-z0-9_-]+: what a source or provider name must be.
func ValidToken(s string) bool { return validToken(s) }
