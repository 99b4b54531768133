// Package config loads hookbridge's YAML configuration into one small struct per component.
//
// The file format is a public contract: its keys are the yaml tags below. Values (never keys)
// may use ${VAR}, ${VAR:-default} and $$ (a literal $); see Load. Each component's struct fills
// its own defaults and validates itself, so a component is handed only its own part.
//
// Nothing here holds state between calls; every function is safe for concurrent use.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"go.yaml.in/yaml/v3"
)

const (
	// DefaultPath is the config file used when neither --config nor HOOKBRIDGE_CONFIG is given.
	DefaultPath = "hookbridge.yaml"
	// EnvConfig names the environment variable Path consults.
	EnvConfig = "HOOKBRIDGE_CONFIG"
	// EnvLogLevel names the environment variable that, when set, overrides log.level.
	EnvLogLevel = "HOOKBRIDGE_LOG_LEVEL"
)

// ErrNoConfig is matched (errors.Is) by the error for a missing or empty config file.
var ErrNoConfig = errors.New("no config")

// noConfigError says what to do about a missing or empty config, and is ErrNoConfig.
type noConfigError struct{ msg string }

func (e noConfigError) Error() string        { return e.msg }
func (e noConfigError) Is(target error) bool { return target == ErrNoConfig }

const noConfigHint = ": pass --config FILE or set " + EnvConfig

// Config is the whole configuration. Hand each component only its own part.
type Config struct {
	Log     Log      `yaml:"log"`
	HTTP    HTTP     `yaml:"http"`
	Admin   Admin    `yaml:"admin"`
	NATS    NATS     `yaml:"nats"`
	Sources []Source `yaml:"sources"`

	// Fallbacks lists every ${VAR:-default} expansion that used its default because VAR was
	// unset or empty, in file order, so that the caller can warn about (for example) a
	// development secret in production. It is filled by Load and Parse, never from YAML.
	Fallbacks []Fallback `yaml:"-"`
	// Expansions lists every value that used ${VAR}, in file order: errors about these values
	// (ValueError) name the variable instead of showing the value. Filled by Load and Parse.
	Expansions []Expansion `yaml:"-"`
}

// Providers tells Load which provider names exist and how to check a source's
// provider-specific fields. They are not this package's business (it imports nothing of
// hookbridge's), but their problems belong in the one report of all the config's problems.
type Providers struct {
	// Names are the values sources[].provider may take; empty accepts any non-empty name.
	Names []string
	// Check, when set, checks a source whose provider is one of Names, whose secrets are valid
	// and none of whose fields failed to decode (an undecodable field would be zero and draw a
	// second, misleading error). Its error is reported under the source's name, with every
	// secret and every value from ${VAR} cut out of it.
	Check func(Source) error
}

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

// Load reads the config file at path, expands environment variables in its values, decodes it,
// applies defaults, reads secret_files and validates the result.
//
// Variables come from getenv only (pass os.Getenv in production); a nil getenv means none is
// set. In values, ${VAR} is replaced by VAR's value and is an error when VAR is unset or empty;
// ${VAR:-default} uses default in that case and records a Fallback; $$ is a literal $, and any
// other $ is an error. Expansion happens after YAML parsing, so an expanded value is always one
// plain value: it cannot add keys or list items, and it still converts to a number or a
// duration where the field wants one. An expansion to the empty string leaves a field at its
// default, and drops a secret from the list (so "${NEXT_SECRET:-}" can stand for an optional
// second secret during rotation). HOOKBRIDGE_LOG_LEVEL, when set, overrides log.level.
//
// The error reports every problem found, each with the file and line or the config path: a
// value that cannot be decoded does not hide the problems of the others. It never contains a
// secret, nor a value that came from ${VAR} (it names the variable instead). A missing or empty
// file gives an error matching ErrNoConfig.
//
// providers, when given, adds the provider checks to the report (see Providers); at most one
// is expected, and each given is applied.
func Load(path string, getenv func(string) string, providers ...Providers) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noConfigError{"no config file at " + path + noConfigHint}
	}
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	return parse(path, data, filepath.Dir(path), getenv, providers)
}

// Parse is Load for a config already in memory. dir is the directory relative secret_files are
// resolved against ("" for the working directory). Positions in errors are "line N".
func Parse(data []byte, dir string, getenv func(string) string, providers ...Providers) (*Config, error) {
	return parse("", data, dir, getenv, providers)
}

func parse(file string, data []byte, dir string, getenv func(string) string, providers []Providers) (*Config, error) {
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

	var cfg Config
	d := decoder{
		file: file, getenv: getenv, active: map[*yaml.Node]bool{}, types: map[reflect.Type]map[string]int{},
		fields: fields{written: map[string]string{}, failed: map[string]bool{}},
	}
	d.decodeValue(doc.Content[0], reflect.ValueOf(&cfg).Elem(), "")
	// Decode problems do not stop here: every other field is still checked, so that one report
	// holds every problem. Fields that failed are left zero, and validation skips them.
	errs := d.errs
	f := &d.fields
	cfg.Fallbacks = d.fallbacks
	cfg.Expansions = d.expansions()
	cfg.setDefaults()

	if level := getenv(EnvLogLevel); level != "" {
		if slices.Contains(logLevels, level) {
			cfg.Log.Level = level
		} else {
			errs = append(errs, fmt.Errorf("%s: not one of %s (its value is not shown)", EnvLogLevel, list(logLevels)))
		}
	}
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		errs = append(errs, prefixed(f.label(i, s.Name), s.loadSecretFiles(dir, f, fmt.Sprintf("sources[%d]", i)))...)
		s.Secrets = slices.DeleteFunc(s.Secrets, func(secret string) bool { return secret == "" })
	}
	errs = append(errs, unjoin(cfg.validate(f, providers))...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &cfg, nil
}

func (c *Config) setDefaults() {
	c.Log.setDefaults()
	c.HTTP.setDefaults()
	c.Admin.setDefaults()
	c.NATS.setDefaults()
	// Sources have nothing to default: a zero tolerance and empty hmac fields mean "the
	// provider's default", which bridge/provider decides.
}

// Validate reports every problem in c, each naming the component or source and the field. It
// checks what one component cannot see alone: http.write_timeout against nats.publish_timeout,
// distinct listen addresses, and unique source names.
func (c *Config) Validate() error {
	return c.validate(nil, nil)
}

// validate is Validate with what decoding learnt (f, may be nil) and the provider checks.
func (c *Config) validate(f *fields, providers []Providers) error {
	var errs []error
	errs = append(errs, unjoin(c.Log.validate(f))...)
	errs = append(errs, unjoin(c.HTTP.validate(f))...)
	errs = append(errs, unjoin(c.Admin.validate(f))...)
	errs = append(errs, unjoin(c.NATS.validate(f))...)

	if c.HTTP.WriteTimeout > 0 && c.NATS.PublishTimeout > 0 && c.HTTP.WriteTimeout <= c.NATS.PublishTimeout &&
		!f.bad("http.write_timeout") && !f.bad("nats.publish_timeout") {
		errs = append(errs, fmt.Errorf("http.write_timeout (%s) must be greater than nats.publish_timeout (%s): "+
			"the response is written only after the PubAck, so a slow publish would lose its response",
			f.show("http.write_timeout", c.HTTP.WriteTimeout), f.show("nats.publish_timeout", c.NATS.PublishTimeout)))
	}
	if c.Admin.Listen != "" && c.Admin.Listen == c.HTTP.Listen && !isPortZero(c.Admin.Listen) {
		both := f.show("http.listen", c.HTTP.Listen)
		if f.fromEnv("admin.listen") {
			both = f.show("admin.listen", c.Admin.Listen) + " and " + both
		}
		errs = append(errs, fmt.Errorf("admin.listen: must differ from http.listen (both %s)", both))
	}

	if len(c.Sources) == 0 && !f.bad("sources") {
		errs = append(errs, errors.New("sources: at least one source is required"))
	}
	firstByName := make(map[string]int, len(c.Sources))
	for i := range c.Sources {
		s := &c.Sources[i]
		label := f.label(i, s.Name)
		base := fmt.Sprintf("sources[%d]", i)
		problems := unjoin(s.validate(f, base, providers))
		errs = append(errs, prefixed(label, problems)...)
		if len(problems) == 0 && !f.bad(base) {
			errs = append(errs, prefixed(label, s.check(f, base, providers))...)
		}
		if s.Name == "" {
			continue
		}
		if first, dup := firstByName[s.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: name: duplicate of sources[%d]", label, first))
			continue
		}
		firstByName[s.Name] = i
	}
	return errors.Join(errs...)
}

// label names a source in messages: sources[1] "acme-shop", or sources[1] when its name is
// empty or came from ${VAR}.
func (f *fields) label(i int, name string) string {
	path := fmt.Sprintf("sources[%d]", i)
	if name == "" || f.fromEnv(path+".name") {
		return path
	}
	return fmt.Sprintf("%s %q", path, name)
}

// unjoin returns the errors an errors.Join result holds, so that a caller can join them flat.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// prefixed wraps each of errs as "prefix: err".
func prefixed(prefix string, errs []error) []error {
	out := make([]error, len(errs))
	for i, err := range errs {
		out[i] = fmt.Errorf("%s: %w", prefix, err)
	}
	return out
}
