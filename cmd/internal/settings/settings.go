// Package settings is hookbridge's config file: the sections the binaries read, composed from
// the parts each component owns, and the rules that cross components.
//
// The file format is a public contract: its keys are the yaml tags of Config and of the
// components' structs it holds inline. Each component owns its part, its defaults and its
// rules: bridge.Limits (http.max_body_bytes...), bridge.StreamConfig (nats.stream...),
// natsserver.Config (nats.embedded), provider.Config (a source's provider, secrets, hmac...).
// What is the binary's own lives here: log, the HTTP servers' addresses and timeouts, admin,
// nats.url and nats.publish_timeout, a source's name and secret_files, and the rules no
// component can see alone (http.write_timeout against nats.publish_timeout, distinct listen
// addresses, unique source names). Loading, ${VAR} expansion and line-numbered errors are
// internal/config's.
//
// Nothing here holds state between calls; every function is safe for concurrent use.
package settings

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"slices"

	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/tracing"
)

// Config is the whole configuration. Hand each component only its own part.
type Config struct {
	Log     Log      `yaml:"log"`
	HTTP    HTTP     `yaml:"http"`
	Admin   Admin    `yaml:"admin"`
	NATS    NATS     `yaml:"nats"`
	Sources []Source `yaml:"sources"`
	// Commerce is the normaliser serve runs beside the bridge.
	Commerce Commerce `yaml:"commerce"`
	// Tracing is internal/tracing's own part, which every hookbridge program reads (the
	// samples and deadletters read it alone): the OTEL_* variables win over it, key by key.
	Tracing tracing.Settings `yaml:"tracing"`

	// Fallbacks lists every ${VAR:-default} expansion that used its default because VAR was
	// unset or empty, in file order, so that the caller can warn about (for example) a
	// development secret in production. It is filled by Load and Parse, never from YAML.
	Fallbacks []config.Fallback `yaml:"-"`
	// Expansions lists every value that used ${VAR}, in file order: errors about these values
	// (ValueError) name the variable instead of showing the value. Filled by Load and Parse.
	Expansions config.Expansions `yaml:"-"`
}

// Load reads the config file at path, expands environment variables in its values, decodes it,
// applies defaults, reads secret_files and validates the result.
//
// Variables come from getenv only (pass os.Getenv in production); a nil getenv means none is
// set. See config.Load for ${VAR}, ${VAR:-default} and $$. An expansion to the empty string
// leaves a field at its default, and drops a secret from the list (so "${NEXT_SECRET:-}" can
// stand for an optional second secret during rotation). HOOKBRIDGE_LOG_LEVEL, when set,
// overrides log.level; the OTEL_* variables that are set override the tracing keys (checked
// here together, so that a bad value stops start-up before anything is done).
//
// The error reports every problem found, each with the file and line or the config path: a
// value that cannot be decoded does not hide the problems of the others. It never contains a
// secret, nor a value that came from ${VAR} (it names the variable instead). A missing or empty
// file gives an error matching config.ErrNoConfig.
//
// checks, when given, adds the provider checks to the report (see ProviderCheck; Providers
// gives bridge/provider's); at most one is expected, and each given is applied.
func Load(path string, getenv func(string) string, checks ...ProviderCheck) (*Config, error) {
	var c Config
	f, err := config.Load(path, getenv, &c)
	return c.settle(f, err, filepath.Dir(path), getenv, checks)
}

// Parse is Load for a config already in memory. dir is the directory relative secret_files are
// resolved against ("" for the working directory). Positions in errors are "line N".
func Parse(data []byte, dir string, getenv func(string) string, checks ...ProviderCheck) (*Config, error) {
	var c Config
	f, err := config.Parse(data, getenv, &c)
	return c.settle(f, err, dir, getenv, checks)
}

// settle finishes a decoded c: defaults, the log level override, secret files, validation.
// Decode problems (err, when f is not nil) do not stop it: every other field is still checked,
// so that one report holds every problem. Fields that failed are left zero, and validation
// skips them.
func (c *Config) settle(f *config.Fields, err error, dir string, getenv func(string) string, checks []ProviderCheck) (*Config, error) {
	if f == nil {
		return nil, err
	}
	errs := unjoin(err)
	c.Fallbacks = f.Fallbacks()
	c.Expansions = f.Expansions()
	c.setDefaults()
	if getenv != nil {
		errs = append(errs, unjoin(c.Log.override(getenv(EnvLogLevel)))...)
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		errs = append(errs, prefixed(label(f, i, s.Name), s.loadSecretFiles(dir, f.At(sourcePath(i))))...)
		s.Secrets = slices.DeleteFunc(s.Secrets, func(secret string) bool { return secret == "" })
	}
	errs = append(errs, unjoin(c.validate(f, checks))...)
	if !f.Bad("tracing") {
		errs = append(errs, unjoin(c.Tracing.Check(f.At("tracing"), getenv))...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
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
func (c *Config) validate(f *config.Fields, checks []ProviderCheck) error {
	var errs []error
	errs = append(errs, unjoin(c.Log.check(f.At("log")))...)
	errs = append(errs, unjoin(c.HTTP.check(f.At("http")))...)
	errs = append(errs, unjoin(c.Admin.check(f.At("admin")))...)
	errs = append(errs, unjoin(c.NATS.check(f.At("nats")))...)
	errs = append(errs, unjoin(c.Commerce.Check(f.At("commerce")))...)

	if c.HTTP.WriteTimeout > 0 && c.NATS.PublishTimeout > 0 && c.HTTP.WriteTimeout <= c.NATS.PublishTimeout &&
		!f.Bad("http.write_timeout") && !f.Bad("nats.publish_timeout") {
		errs = append(errs, fmt.Errorf("http.write_timeout (%s) must be greater than nats.publish_timeout (%s): "+
			"the response is written only after the PubAck, so a slow publish would lose its response",
			f.Show("http.write_timeout", c.HTTP.WriteTimeout), f.Show("nats.publish_timeout", c.NATS.PublishTimeout)))
	}
	if c.Admin.Listen != "" && c.Admin.Listen == c.HTTP.Listen && !isPortZero(c.Admin.Listen) {
		both := f.Show("http.listen", c.HTTP.Listen)
		if f.FromEnv("admin.listen") {
			both = f.Show("admin.listen", c.Admin.Listen) + " and " + both
		}
		errs = append(errs, fmt.Errorf("admin.listen: must differ from http.listen (both %s)", both))
	}

	if len(c.Sources) == 0 && !f.Bad("sources") {
		errs = append(errs, errors.New("sources: at least one source is required"))
	}
	firstByName := make(map[string]int, len(c.Sources))
	for i := range c.Sources {
		s := &c.Sources[i]
		label := label(f, i, s.Name)
		sf := f.At(sourcePath(i))
		problems := unjoin(s.validate(sf, checks))
		errs = append(errs, prefixed(label, problems)...)
		if len(problems) == 0 && !sf.Bad("") {
			errs = append(errs, prefixed(label, s.check(sf, checks))...)
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

// ValueError reports err, a problem found later with the value of the field at path (a listen
// address that cannot be bound, a directory that cannot be written), as "path: err", without the
// value when it came from ${VAR} (see config.Expansions.ValueError).
func (c *Config) ValueError(path, value string, err error) error {
	return c.Expansions.ValueError(path, value, err)
}

func sourcePath(i int) string { return fmt.Sprintf("sources[%d]", i) }

// label names a source in messages: sources[1] "acme-shop", or sources[1] when its name is
// empty or came from ${VAR}.
func label(f *config.Fields, i int, name string) string {
	path := sourcePath(i)
	if name == "" || f.FromEnv(path+".name") {
		return path
	}
	return fmt.Sprintf("%s %q", path, name)
}

// isPortZero reports whether addr asks the system for a free port, so two of them never clash.
func isPortZero(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err == nil && port == "0"
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
