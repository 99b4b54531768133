// Package config loads a YAML config file into a struct the caller gives: the machinery, not
// the contents. The caller's yaml tags are the file's keys; each component of hookbridge owns
// the struct of its part, its defaults and its rules, and the binary composes the parts into
// the file (see cmd/internal/settings).
//
// What it does for every caller: values (never keys) may use ${VAR}, ${VAR:-default} and $$ (a
// literal $); every problem is reported with the file and line, all at once; and a value that
// came from ${VAR} is never shown in an error (see Fields). It imports nothing of hookbridge's.
//
// Nothing here holds state between calls; every function is safe for concurrent use.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"

	"go.yaml.in/yaml/v3"
)

const (
	// DefaultPath is the config file used when neither --config nor HOOKBRIDGE_CONFIG is given.
	DefaultPath = "hookbridge.yaml"
	// EnvConfig names the environment variable Path consults.
	EnvConfig = "HOOKBRIDGE_CONFIG"
)

// ErrNoConfig is matched (errors.Is) by the error for a missing or empty config file.
var ErrNoConfig = errors.New("no config")

// noConfigError says what to do about a missing or empty config, and is ErrNoConfig.
type noConfigError struct{ msg string }

func (e noConfigError) Error() string        { return e.msg }
func (e noConfigError) Is(target error) bool { return target == ErrNoConfig }

const noConfigHint = ": pass --config FILE or set " + EnvConfig

// Fallback records one ${VAR:-default} that used its default.
type Fallback struct {
	Path string // the config path of the value, e.g. "sources[0].secrets[0]"
	Var  string // the variable that was unset or empty
}

// Path picks the config file: flagValue if non-empty, else getenv("HOOKBRIDGE_CONFIG"), else
// "hookbridge.yaml".
func Path(flagValue string, getenv func(string) string) string {
	if flagValue != "" {
		return flagValue
	}
	if getenv != nil {
		if p := getenv(EnvConfig); p != "" {
			return p
		}
	}
	return DefaultPath
}

// Option changes how Load and Parse decode.
type Option func(*decoder)

// IgnoreUnknownKeys makes keys that into has no field for pass silently, unread and unexpanded:
// for a reader that wants one part of a file and leaves the rest to its owner. The file must
// still be YAML as Load reads it: a key written twice in one mapping is an error even where
// nothing reads it, since the owner of that part would refuse it too.
func IgnoreUnknownKeys() Option {
	return func(d *decoder) { d.ignoreUnknown = true }
}

// IgnoreOtherSections makes top-level keys that into has no field for pass silently, unread and
// unexpanded, while the sections it reads stay strict: for a program that shares one section of
// another's file (the tracing section, say), where a misspelt key in that section is still an
// error. Duplicate keys are errors as with IgnoreUnknownKeys.
func IgnoreOtherSections() Option {
	return func(d *decoder) { d.ignoreOthers = true }
}

// Load reads the config file at path, expands environment variables in its values and decodes
// it into into, which must be a pointer to a struct: its yaml tags name the keys, a field tagged
// `yaml:",inline"` lends its keys to the mapping that holds it, and `yaml:"-"` is never read.
// Strings, whole numbers, booleans, time.Duration, lists, nested structs and maps with string
// keys (whose keys are the file's: path.key names a value) are understood.
//
// Variables come from getenv only (pass os.Getenv in production); a nil getenv means none is
// set. In values, ${VAR} is replaced by VAR's value and is an error when VAR is unset or empty;
// ${VAR:-default} uses default in that case and records a Fallback; $$ is a literal $, and any
// other $ is an error. Expansion happens after YAML parsing, so an expanded value is always one
// plain value: it cannot add keys or list items, and it still converts to a number or a
// duration where the field wants one. An expansion to the empty string (like an empty value,
// ~ or null) leaves the field zero. Unknown keys, duplicate keys and values of the wrong type
// are problems, each reported with the file and line and the config path.
//
// A missing or empty file gives a nil *Fields and an error matching ErrNoConfig; one that
// cannot be read, or is not one YAML document, a nil *Fields and the error. Otherwise every
// value that can be decoded is: the error, if any, joins the problems of those that could not
// (their fields are left zero), and the *Fields is returned with it, so that the caller can go
// on to fill defaults and check the rest, and report every problem at once. No error shows a
// value that came from ${VAR}.
func Load(path string, getenv func(string) string, into any, opts ...Option) (*Fields, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noConfigError{"no config file at " + path + noConfigHint}
	}
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	return parse(path, data, getenv, into, opts)
}

// Parse is Load for a config already in memory. Positions in errors are "line N".
func Parse(data []byte, getenv func(string) string, into any, opts ...Option) (*Fields, error) {
	return parse("", data, getenv, into, opts)
}

func parse(file string, data []byte, getenv func(string) string, into any, opts []Option) (*Fields, error) {
	v := reflect.ValueOf(into)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("config: decoding needs a pointer to a struct, not %T", into)
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	empty := noConfigError{"config is empty" + noConfigHint}
	if file != "" {
		empty = noConfigError{"config file " + file + " is empty" + noConfigHint}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, empty
	}
	doc, err := parseYAML(file, data)
	if err != nil {
		return nil, err
	}
	if doc == nil || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, empty
	}

	d := decoder{
		file: file, getenv: getenv, active: map[*yaml.Node]bool{}, types: map[reflect.Type]structFields{},
		written: map[string]string{}, failed: map[string]bool{},
	}
	for _, o := range opts {
		o(&d)
	}
	d.decodeValue(doc.Content[0], v.Elem(), "")
	f := &Fields{written: d.written, failed: d.failed, fallbacks: d.fallbacks, expansions: d.expansions()}
	return f, errors.Join(d.errs...)
}
