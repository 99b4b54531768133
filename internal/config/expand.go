package config

import (
	"fmt"
	"strings"
)

// expand replaces ${VAR} and ${VAR:-default} in s with values from getenv, and $$ with a
// literal $. It is a single pass: text that comes from the environment or from a default is
// never expanded again, so an env value may contain "$" freely.
//
// An empty variable counts as unset (getenv cannot tell the two apart): ${VAR} is then an
// error, and ${VAR:-default} uses default, whose variable name is returned in fallbacks. The
// default is the text between ":-" and the first "}", taken verbatim. used reports whether s
// holds any ${...} at all (a $$ alone is not one): the caller must then never show out.
//
// Error messages name the variable or the byte offset but never quote s: s may be a secret.
func expand(s string, getenv func(string) string) (out string, fallbacks []string, used bool, err error) {
	if strings.IndexByte(s, '$') < 0 {
		return s, nil, false, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) || (s[i+1] != '$' && s[i+1] != '{') {
			return "", nil, false, fmt.Errorf("lone \"$\" at offset %d (write $$ for a literal $, or ${VAR})", i)
		}
		if s[i+1] == '$' {
			b.WriteByte('$')
			i += 2
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", nil, false, fmt.Errorf("unterminated \"${\" at offset %d (write $$ for a literal $)", i)
		}
		inner := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(inner, ":-")
		if !isVarName(name) {
			return "", nil, false, fmt.Errorf("invalid \"${...}\" at offset %d: want ${NAME} or ${NAME:-default}, NAME made of letters, digits and _ (write $$ for a literal $)", i)
		}
		val := getenv(name)
		if val == "" {
			if !hasDef {
				return "", nil, false, fmt.Errorf("environment variable %s is not set", name)
			}
			val = def
			fallbacks = append(fallbacks, name)
		}
		b.WriteString(val)
		used = true
		i += 2 + end + 1
	}
	return b.String(), fallbacks, used, nil
}

// isVarName reports whether s is a shell-style variable name: [A-Za-z_][A-Za-z0-9_]*.
func isVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
