package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// How values appear in errors.
//
// A value written in the file is shown, quoted: that is what an operator needs to spot a typo,
// and the file is already in their hands. A value that came from ${VAR} is never shown: the
// variable may hold a secret, and errors end up in logs, terminals and tickets. It is named
// instead by the text that produced it ("the value of ${TOLERANCE}"), next to the field.
// Secrets are never shown at all, wherever they came from.

// Expansion records a value that used ${VAR}. Errors about it name Text instead of showing the
// value.
type Expansion struct {
	Path string // the config path of the value, e.g. "sources[0].tolerance"
	Text string // the value as written in the file, e.g. "${TOLERANCE}" or "${HOST}:8080"
}

// Expansions lists the values of a file that used ${VAR}, in file order.
type Expansions []Expansion

// Fields is what loading learnt about the values of a file: which came from ${VAR} (never to be
// shown) and which could not be decoded (left zero). The components' checks receive it, so that
// each message shows a value, or names its variable, as the file's reader needs.
//
// A Fields is a view rooted at a config path (see At): its methods take paths relative to the
// root. A nil *Fields knows nothing, at the top of the file: every value is shown and every field
// was decoded. Its methods are safe for concurrent use.
type Fields struct {
	at         string
	written    map[string]string // path -> the text as written, for values that used ${VAR}
	failed     map[string]bool
	fallbacks  []Fallback
	expansions Expansions
}

// At returns the view of f rooted at rel ("nats", "embedded", "sources[1]"), below f's root.
func (f *Fields) At(rel string) *Fields {
	if f == nil {
		return &Fields{at: rel}
	}
	v := *f
	v.at = f.Path(rel)
	return &v
}

// Path is the config path of rel below f's root, as messages name a field: "nats.stream".
func (f *Fields) Path(rel string) string {
	if f == nil {
		return rel
	}
	switch {
	case f.at == "":
		return rel
	case rel == "":
		return f.at
	case rel[0] == '[':
		return f.at + rel
	}
	return f.at + "." + rel
}

// Show renders the value at rel for a message: quoted (strings) or as Go prints it (numbers,
// durations) when it was written in the file, else the text that named it ("the value of
// ${TOLERANCE}").
func (f *Fields) Show(rel string, value any) string {
	if f == nil {
		return show(nil, rel, value)
	}
	return show(f.written, f.Path(rel), value)
}

func show(written map[string]string, path string, value any) string {
	if text, ok := written[path]; ok {
		return valueOf(text)
	}
	if s, ok := value.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(value)
}

// FromEnv reports whether the value at rel used ${VAR}.
func (f *Fields) FromEnv(rel string) bool {
	if f == nil {
		return false
	}
	_, ok := f.written[f.Path(rel)]
	return ok
}

// Bad reports whether the field at rel, a field inside it, or one that holds it could not be
// decoded. Its zero value then says nothing about the file, so a check leaves it alone rather
// than add a second, misleading error ("secrets: required" after "${S} is not set").
func (f *Fields) Bad(rel string) bool {
	if f == nil {
		return false
	}
	path := f.Path(rel)
	for p := range f.failed {
		if within(p, path) || within(path, p) {
			return true
		}
	}
	return false
}

// Fallbacks lists every ${VAR:-default} of the file that used its default because VAR was
// unset or empty, in file order, so that the caller can warn about (for example) a development
// secret in production.
func (f *Fields) Fallbacks() []Fallback {
	if f == nil {
		return nil
	}
	return f.fallbacks
}

// Expansions lists every value of the file that used ${VAR}, in file order.
func (f *Fields) Expansions() Expansions {
	if f == nil {
		return nil
	}
	return f.expansions
}

// within reports whether path is outer or a path inside it.
func within(path, outer string) bool {
	if !strings.HasPrefix(path, outer) {
		return false
	}
	rest := path[len(outer):]
	return rest == "" || outer == "" || rest[0] == '.' || rest[0] == '['
}

// valueOf names a value from the environment by the text that produced it.
func valueOf(text string) string {
	if strings.HasPrefix(text, "${") && strings.IndexByte(text, '}') == len(text)-1 {
		return "the value of " + text
	}
	return "the value of " + strconv.Quote(text)
}

// Hide returns err, a problem found with value (the value at rel, or one made from it: a path
// resolved against a directory), with value cut out of its text and the variable named in its
// place when the value at rel came from ${VAR}; otherwise err as it is. See ValueError for how
// the value is cut out.
func (f *Fields) Hide(rel, value string, err error) error {
	if err == nil || !f.FromEnv(rel) {
		return err
	}
	return &valueError{msg: without(err, value, f.Show(rel, value)), err: err}
}

// ValueError reports err, a problem found later with the value of the field at path (a listen
// address that cannot be bound, a directory that cannot be written), as "path: err". When that
// value came from ${VAR}, the value is cut out of err's text and the variable named in its
// place: an error never shows a value from the environment. Errors that carry the value in a
// field (*fs.PathError, *net.OpError, *net.DNSError, *net.AddrError) lose it whole, even when
// they hold only a part of it (a parent directory, a resolved host); any other error loses
// every occurrence of the value in its text.
func (e Expansions) ValueError(path, value string, err error) error {
	for _, x := range e {
		if x.Path == path {
			return &valueError{msg: path + ": " + without(err, value, valueOf(x.Text)), err: err}
		}
	}
	return fmt.Errorf("%s: %w", path, err)
}

// valueError is an error whose text leaves a value out; errors.Is and errors.As still see the
// cause.
type valueError struct {
	msg string
	err error
}

func (e *valueError) Error() string { return e.msg }
func (e *valueError) Unwrap() error { return e.err }

// without renders err with value replaced by name (see ValueError).
func without(err error, value, name string) string {
	var pathErr *fs.PathError
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var addrErr *net.AddrError
	switch {
	case errors.As(err, &pathErr):
		return pathErr.Op + " " + name + ": " + without(pathErr.Err, value, name)
	case errors.As(err, &opErr):
		op := opErr.Op
		if opErr.Net != "" {
			op += " " + opErr.Net
		}
		return op + " " + name + ": " + without(opErr.Err, value, name)
	case errors.As(err, &dnsErr):
		return "lookup " + name + ": " + dnsErr.Err
	case errors.As(err, &addrErr):
		return addrErr.Err + ": " + name
	case value == "":
		return err.Error()
	}
	return strings.ReplaceAll(err.Error(), value, name)
}

// Scrub renders err, from code that does not know where its input came from (a component that
// quotes the values it rejects), for the file's reader: every value below f's root that came
// from ${VAR} is named instead of shown, and each of secrets becomes "a secret". v is the value
// decoded at f's root (a struct, or a pointer to one). A string is recognised quoted, as %q
// prints it, and a duration as it prints itself; numbers and booleans are left alone. Scrub
// gives up on showing the details when a value still appears in them in some other form.
func (f *Fields) Scrub(err error, v any, secrets []string) error {
	if err == nil {
		return nil
	}
	type hidden struct{ shown, raw, name string }
	var hide []hidden
	// Secrets first, so that a secret from the environment is "a secret".
	for _, secret := range secrets {
		if secret != "" {
			hide = append(hide, hidden{strconv.Quote(secret), secret, "a secret"})
		}
	}
	if f != nil {
		for path, text := range f.written {
			if !within(path, f.at) {
				continue
			}
			if shown, raw, ok := valueAt(v, path[len(f.at):]); ok && raw != "" {
				hide = append(hide, hidden{shown, raw, valueOf(text)})
			}
		}
	}
	msg := err.Error()
	for _, h := range hide {
		msg = strings.ReplaceAll(msg, h.shown, h.name)
	}
	// A part of a hidden value quoted on its own is not its quoted form, and may hold escapes (of
	// invalid UTF-8) that its raw text does not; a value the file holds as written may be shown.
	written := stringsIn(reflect.ValueOf(v), map[string]bool{})
	for _, h := range hide {
		delete(written, h.raw)
	}
	quoted := slices.DeleteFunc(quotedParts(msg), func(q string) bool { return written[q] })
	for _, h := range hide {
		if strings.Contains(msg, h.raw) || slices.ContainsFunc(quoted, func(q string) bool { return strings.Contains(h.raw, q) }) {
			return errors.New("invalid (the details are not shown: they hold a secret or a value from the environment)")
		}
	}
	if msg == err.Error() {
		return err
	}
	return &valueError{msg: msg, err: err}
}

// stringsIn adds every string inside v (through structs, pointers and lists) to set.
func stringsIn(v reflect.Value, set map[string]bool) map[string]bool {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			stringsIn(v.Elem(), set)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				stringsIn(v.Field(i), set)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			stringsIn(v.Index(i), set)
		}
	case reflect.String:
		set[v.String()] = true
	}
	return set
}

// quotedParts returns the content of each string msg quotes as %q does, at least two bytes
// long.
func quotedParts(msg string) []string {
	var out []string
	for i := 0; i < len(msg); i++ {
		if msg[i] != '"' {
			continue
		}
		q, err := strconv.QuotedPrefix(msg[i:])
		if err != nil {
			continue
		}
		if text, err := strconv.Unquote(q); err == nil && len(text) >= 2 {
			out = append(out, text)
		}
		i += len(q) - 1
	}
	return out
}

// valueAt finds the value at rel (".hmac.header", ".secrets[1]", "" for v itself) inside v, and
// returns it as an error would show it (shown) and as its text (raw); ok is false when rel names
// nothing, or something Scrub leaves alone.
func valueAt(v any, rel string) (shown, raw string, ok bool) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	for _, step := range strings.Split(strings.TrimPrefix(rel, "."), ".") {
		key, index, hasIndex := strings.Cut(strings.TrimSuffix(step, "]"), "[")
		if key != "" {
			if rv.Kind() != reflect.Struct {
				return "", "", false
			}
			idx, found := yamlFields(rv.Type()).index[key]
			if !found {
				return "", "", false
			}
			rv = rv.FieldByIndex(idx)
		}
		if hasIndex {
			n, err := strconv.Atoi(index)
			if err != nil || rv.Kind() != reflect.Slice || n < 0 || n >= rv.Len() {
				return "", "", false
			}
			rv = rv.Index(n)
		}
	}
	switch {
	case rv.Kind() == reflect.String:
		return strconv.Quote(rv.String()), rv.String(), true
	case rv.IsValid() && rv.Type() == durationType:
		text := time.Duration(rv.Int()).String()
		return text, text, true
	}
	return "", "", false
}
