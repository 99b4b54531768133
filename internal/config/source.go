package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	var errs []error
	switch {
	case s.Name == "":
		errs = append(errs, errors.New("name: required"))
	case !sourceNamePattern.MatchString(s.Name):
		errs = append(errs, fmt.Errorf("name: %q must match ^[a-z0-9_-]+$ (it becomes a URL path segment and a NATS subject token)", s.Name))
	}
	if s.Provider == "" {
		errs = append(errs, errors.New("provider: required"))
	}
	nonEmpty := 0
	for _, secret := range s.Secrets {
		if secret != "" {
			nonEmpty++
		}
	}
	if nonEmpty == 0 {
		errs = append(errs, errors.New("secrets: at least one non-empty secret is required"))
	} else if i := slices.Index(s.Secrets, ""); i >= 0 {
		errs = append(errs, fmt.Errorf("secrets[%d]: empty (an empty key would accept forged signatures)", i))
	}
	if s.Tolerance < 0 {
		errs = append(errs, fmt.Errorf("tolerance: must not be negative (got %s; 0 means the provider's default)", s.Tolerance))
	}
	// The hmac section is the provider's to check (bridge/provider.New):
	// one place knows what an algorithm, encoding or locator may be.
	return errors.Join(errs...)
}

// loadSecretFiles appends the content of each secret file to s.Secrets. Errors name the file,
// never its content.
func (s *Source) loadSecretFiles(dir string) []error {
	var errs []error
	for i, name := range s.SecretFiles {
		field := fmt.Sprintf("secret_files[%d]", i)
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
