package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strconv"
	"strings"
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

// fields is what decoding learnt about each field, by config path. A nil *fields knows nothing:
// every value is shown and every field was decoded.
type fields struct {
	written map[string]string // values that used ${VAR}: path -> the text as written
	failed  map[string]bool   // values that could not be decoded (they were left zero)
}

// show renders the value at path for a message: quoted (strings) or as Go prints it (numbers,
// durations) when it was written in the file, else the text that named it.
func (f *fields) show(path string, value any) string {
	if f != nil {
		if text, ok := f.written[path]; ok {
			return valueOf(text)
		}
	}
	if s, ok := value.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(value)
}

// fromEnv reports whether the value at path used ${VAR}.
func (f *fields) fromEnv(path string) bool {
	if f == nil {
		return false
	}
	_, ok := f.written[path]
	return ok
}

// bad reports whether the field at path, a field inside it, or one that holds it could not be
// decoded. Its zero value then says nothing about the file, so validation leaves it alone
// rather than add a second, misleading error ("secrets: required" after "${S} is not set").
func (f *fields) bad(path string) bool {
	if f == nil {
		return false
	}
	for p := range f.failed {
		if within(p, path) || within(path, p) {
			return true
		}
	}
	return false
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

// ValueError reports err, a problem found later with the value of the field at path (a listen
// address that cannot be bound, a directory that cannot be written), as "path: err". When that
// value came from ${VAR}, the value is cut out of err's text and the variable named in its
// place: an error never shows a value from the environment. Errors that carry the value in a
// field (*fs.PathError, *net.OpError, *net.DNSError, *net.AddrError) lose it whole, even when
// they hold only a part of it (a parent directory, a resolved host); any other error loses
// every occurrence of the value in its text.
func (c *Config) ValueError(path, value string, err error) error {
	for _, e := range c.Expansions {
		if e.Path == path {
			return &valueError{msg: path + ": " + without(err, value, valueOf(e.Text)), err: err}
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

// withoutAny renders err with each of values (quoted or not) replaced, for errors of code that
// does not know where its input came from. It gives up on showing the details when a value
// still appears in them in some other form.
func withoutAny(err error, values map[string]string) error {
	msg := err.Error()
	for value, name := range values {
		if value != "" {
			msg = strings.ReplaceAll(msg, strconv.Quote(value), name)
		}
	}
	for value := range values {
		if value != "" && strings.Contains(msg, value) {
			return errors.New("invalid (the details are not shown: they hold a secret or a value from the environment)")
		}
	}
	if msg == err.Error() {
		return err
	}
	return &valueError{msg: msg, err: err}
}
