package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Source is one webhook sender: deliveries arrive at POST /webhooks/{Name} and are verified by
// the provider named in Provider.
//
// A Source has no defaults of its own: a zero Tolerance and empty HMAC fields mean "the
// provider's default", which bridge/provider decides.
type Source struct {
	Name     string `yaml:"name"`     // ^[a-z0-9_-]+$: a URL path segment and a NATS subject token
	Provider string `yaml:"provider"` // which kinds exist is bridge/provider's business
	// Secrets are the signing secrets; several allow rotation. After Load it also holds the
	// contents of SecretFiles, and no empty entries.
	Secrets []string `yaml:"secrets"`
	// SecretFiles are files whose content (less trailing newlines) is one more secret each.
	// Load resolves relative paths against the config file's directory.
	SecretFiles []string      `yaml:"secret_files"`
	Tolerance   time.Duration `yaml:"tolerance"`   // for schemes that sign a timestamp; 0: provider default
	TypePrefix  string        `yaml:"type_prefix"` // standardwebhooks and hmac only
	HMAC        HMAC          `yaml:"hmac"`        // provider hmac only

	// SecretEncoding is how a standardwebhooks secret becomes the HMAC key: whsec (default) or
	// raw (the secret's bytes, as BigCommerce signs with its client secret). The provider checks it.
	SecretEncoding string `yaml:"secret_encoding"`
}

// HMAC configures the generic hmac provider. Empty fields take the provider's defaults.
type HMAC struct {
	Header    string `yaml:"header"`    // the signature header, e.g. X-Signature
	Algorithm string `yaml:"algorithm"` // sha256 | sha512
	Encoding  string `yaml:"encoding"`  // hex | base64
	Prefix    string `yaml:"prefix"`    // stripped from the header value, e.g. "sha256="
	// Locators: header:<Name> or json:<dot.path>.
	ID      string `yaml:"id"`
	Type    string `yaml:"type"`
	Source  string `yaml:"source"`
	Subject string `yaml:"subject"`
	Time    string `yaml:"time"`
}

// maxSecretFileBytes bounds a secret file read: a secret is short, and a path such as /dev/zero
// must not hang the start-up.
const maxSecretFileBytes = 64 << 10

var (
	sourceNamePattern = regexp.MustCompile(`^[a-z0-9_-]+$`)
)

// Validate reports every problem in s. Messages name the field relative to the source
// (Config.Validate adds which source) and never contain a secret.
func (s *Source) Validate() error {
	return s.validate(nil, "", nil)
}

// validate is Validate for the source at path base ("sources[1]"), with what decoding learnt
// (f, may be nil) and the provider names.
func (s *Source) validate(f *fields, base string, providers []Providers) error {
	var errs []error
	switch {
	case f.bad(base + ".name"):
	case s.Name == "":
		errs = append(errs, errors.New("name: required"))
	case !sourceNamePattern.MatchString(s.Name):
		errs = append(errs, fmt.Errorf("name: %s must match ^[a-z0-9_-]+$ (it becomes a URL path segment and a NATS subject token)", f.show(base+".name", s.Name)))
	}
	switch {
	case f.bad(base + ".provider"):
	case s.Provider == "":
		errs = append(errs, errors.New("provider: required"))
	default:
		for _, p := range providers {
			if len(p.Names) > 0 && !slices.Contains(p.Names, s.Provider) {
				errs = append(errs, fmt.Errorf("provider: %s is not one of %s", f.show(base+".provider", s.Provider), list(p.Names)))
				break
			}
		}
	}
	nonEmpty := 0
	for _, secret := range s.Secrets {
		if secret != "" {
			nonEmpty++
		}
	}
	switch {
	case f.bad(base+".secrets") || f.bad(base+".secret_files"):
	case nonEmpty == 0:
		errs = append(errs, errors.New("secrets: at least one non-empty secret is required"))
	case slices.Contains(s.Secrets, ""):
		errs = append(errs, fmt.Errorf("secrets[%d]: empty (an empty key would accept forged signatures)", slices.Index(s.Secrets, "")))
	}
	if s.Tolerance < 0 {
		errs = append(errs, fmt.Errorf("tolerance: must not be negative (got %s; 0 means the provider's default)", f.show(base+".tolerance", s.Tolerance)))
	}
	// The hmac section is the provider's to check (Providers.Check):
	// one place knows what an algorithm, encoding or locator may be.
	return errors.Join(errs...)
}

// check runs the provider checks on s, whose own fields are valid. Their errors come from code
// that does not know where a value came from, so every secret and every value from ${VAR} is cut
// out of them here.
func (s *Source) check(f *fields, base string, providers []Providers) []error {
	if len(providers) == 0 {
		return nil
	}
	hidden := make(map[string]string)
	if f != nil {
		for path, text := range f.written {
			if within(path, base) {
				hidden[valueAt(s, path[len(base):])] = valueOf(text)
			}
		}
	}
	for _, secret := range s.Secrets {
		hidden[secret] = "a secret"
	}
	var errs []error
	for _, p := range providers {
		if p.Check == nil {
			continue
		}
		for _, err := range unjoin(p.Check(*s)) {
			errs = append(errs, withoutAny(err, hidden))
		}
	}
	return errs
}

// valueAt returns the string at rel (".hmac.header", ".secrets[1]") inside s, or "" when rel
// names no string.
func valueAt(s *Source, rel string) string {
	v := reflect.ValueOf(s).Elem()
	for _, step := range strings.Split(strings.TrimPrefix(rel, "."), ".") {
		key, index, hasIndex := strings.Cut(strings.TrimSuffix(step, "]"), "[")
		if v.Kind() != reflect.Struct {
			return ""
		}
		i, ok := yamlFields(v.Type())[key]
		if !ok {
			return ""
		}
		v = v.Field(i)
		if hasIndex {
			n, err := strconv.Atoi(index)
			if err != nil || v.Kind() != reflect.Slice || n < 0 || n >= v.Len() {
				return ""
			}
			v = v.Index(n)
		}
	}
	if v.Kind() != reflect.String {
		return ""
	}
	return v.String()
}

// loadSecretFiles appends the content of each secret file to s.Secrets. Errors name the file
// (unless its path came from ${VAR}: then they name the variable), never its content.
func (s *Source) loadSecretFiles(dir string, f *fields, base string) []error {
	var errs []error
	for i, name := range s.SecretFiles {
		field := fmt.Sprintf("secret_files[%d]", i)
		if f.bad(base + "." + field) {
			continue
		}
		if name == "" {
			errs = append(errs, fmt.Errorf("%s: empty path", field))
			continue
		}
		path := name
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		secret, err := readSecretFile(path)
		if err != nil {
			if f.fromEnv(base + "." + field) {
				err = errors.New(without(err, path, f.show(base+"."+field, name)))
			}
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
			continue
		}
		s.Secrets = append(s.Secrets, secret)
	}
	return errs
}

func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err // *fs.PathError: "open PATH: reason"
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFileBytes+1))
	if err != nil {
		return "", err // *fs.PathError: "read PATH: reason"
	}
	if len(data) > maxSecretFileBytes {
		return "", fmt.Errorf("%s is larger than %d bytes; is it really a secret?", path, maxSecretFileBytes)
	}
	secret := strings.TrimRight(string(data), "\r\n")
	if secret == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return secret, nil
}
