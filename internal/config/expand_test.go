package config_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hookbridge/hookbridge/internal/config"
)

func TestExpand(t *testing.T) {
	env := getenvFrom(map[string]string{"A": "alpha", "B": "beta", "DOLLAR": "$A${B}$$", "EMPTY": ""})
	for _, tc := range []struct {
		in, want  string
		fallbacks []string
	}{
		// used: whether the input holds a ${...}; an output from one is never shown in errors.
		{"", "", nil},
		{"plain text: {x}", "plain text: {x}", nil},
		{"$$", "$", nil},
		{"a$$b$$", "a$b$", nil},
		{"$${A}", "${A}", nil},
		{"$$$${A}", "$${A}", nil},
		{"${A}", "alpha", nil},
		{"x${A}y${B}z", "xalphaybetaz", nil},
		{"${A}${A}", "alphaalpha", nil},
		{"${A:-default}", "alpha", nil},
		{"${UNSET:-default}", "default", []string{"UNSET"}},
		{"${EMPTY:-default}", "default", []string{"EMPTY"}},
		{"${UNSET:-}", "", []string{"UNSET"}},
		{"${UNSET:-a:-b}", "a:-b", []string{"UNSET"}},
		{"${UNSET:-$A}", "$A", []string{"UNSET"}},
		{"${UNSET:-{x}", "{x", []string{"UNSET"}},
		{"${X1:-1}${X2:-2}", "12", []string{"X1", "X2"}},
		{"${DOLLAR}", "$A${B}$$", nil},
		{"${_a_1:-lower and underscore}", "lower and underscore", []string{"_a_1"}},
	} {
		got, fallbacks, used, err := config.Expand(tc.in, env)
		if err != nil {
			t.Errorf("Expand(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want || !reflect.DeepEqual(fallbacks, tc.fallbacks) {
			t.Errorf("Expand(%q) = %q, %q; want %q, %q", tc.in, got, fallbacks, tc.want, tc.fallbacks)
		}
		if wantUsed := strings.Contains(strings.ReplaceAll(tc.in, "$$", ""), "${"); used != wantUsed {
			t.Errorf("Expand(%q) used = %v, want %v", tc.in, used, wantUsed)
		}
	}
}

func TestExpandErrors(t *testing.T) {
	env := getenvFrom(map[string]string{"A": "alpha", "EMPTY": ""})
	for _, tc := range []struct{ in, want string }{
		{"${UNSET}", "environment variable UNSET is not set"},
		{"${EMPTY}", "environment variable EMPTY is not set"},
		{"${A}${UNSET}", "environment variable UNSET is not set"},
		{"$", `lone "$" at offset 0 (write $$ for a literal $, or ${VAR})`},
		{"ab$", `lone "$" at offset 2`},
		{"$A", `lone "$" at offset 0`},
		{"$$$", `lone "$" at offset 2`},
		{"${", `unterminated "${" at offset 0`},
		{"x${A", `unterminated "${" at offset 1`},
		{"${}", `invalid "${...}" at offset 0`},
		{"${1A}", `invalid "${...}" at offset 0`},
		{"${A B}", `invalid "${...}" at offset 0`},
		{"${A-b}", `invalid "${...}" at offset 0`},
		{"${A:b}", `invalid "${...}" at offset 0`},
		{"${A:=b}", `invalid "${...}" at offset 0`},
		{"${${A}}", `invalid "${...}" at offset 0`},
	} {
		got, _, _, err := config.Expand(tc.in, env)
		if err == nil {
			t.Errorf("Expand(%q) = %q, want error %q", tc.in, got, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Expand(%q): error %q, want %q", tc.in, err, tc.want)
		}
	}
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{
		"", "plain", "$", "$$", "${A}", "${A:-d}", "${UNSET:-d}", "${UNSET}", "${", "${A", "x${A}y$$z",
		"${A:-${B}}", "$${A}", "${A:-}", "${1}", "${A B}", "€${A}€", "\x00$\xff{",
	} {
		f.Add(s)
	}
	// Values that cannot be variable names, so an error naming a variable cannot look like one.
	env := map[string]string{"A": "@alpha@", "B": "$B}{$", "EMPTY": ""}
	getenv := func(k string) string { return env[k] }
	f.Fuzz(func(t *testing.T, s string) {
		out, fallbacks, used, err := config.Expand(s, getenv)
		if !strings.Contains(s, "$") {
			if err != nil || out != s || fallbacks != nil || used {
				t.Fatalf("Expand(%q) without $ = %q, %q, %v; want it unchanged", s, out, fallbacks, err)
			}
		}
		if err != nil && out != "" {
			t.Fatalf("Expand(%q) returned %q with error %v", s, out, err)
		}
		if err != nil && strings.Contains(err.Error(), "@alpha@") {
			t.Fatalf("Expand(%q): error %q contains an env value", s, err)
		}
		// Escaping every $ as $$ gives back the input, whatever it is.
		escaped := strings.ReplaceAll(s, "$", "$$")
		if back, fb, used, err := config.Expand(escaped, getenv); err != nil || back != s || fb != nil || used {
			t.Fatalf("Expand(%q) = %q, %q, %v; want %q", escaped, back, fb, err, s)
		}
	})
}
