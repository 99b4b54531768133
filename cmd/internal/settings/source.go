package settings

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/config"
)

// Source is one webhook sender: deliveries arrive at POST /webhooks/{Name} and are verified by
// the provider Config describes. The provider's part is bridge/provider's own struct, read
// straight from the file; the name and the secret files are the binary's.
//
// A Source has no defaults of its own: a zero Tolerance and empty HMAC fields mean "the
// provider's default", which bridge/provider decides.
type Source struct {
	Name string `yaml:"name"` // ^[a-z0-9_-]+$: a URL path segment and a NATS subject token
	// Config holds provider, secrets, tolerance, type_prefix, secret_encoding, hmac,
	// notification_url and adyen_id. After Load, Secrets also holds the contents of SecretFiles,
	// and no empty entries.
	provider.Config `yaml:",inline"`
	// SecretFiles are files whose content (less trailing newlines) is one more secret each.
	// Load resolves relative paths against the config file's directory.
	SecretFiles []string `yaml:"secret_files"`
	// Stream is the JetStream stream the source's deliveries are stored in; empty means
	// nats.stream. See Config.Streams.
	Stream string `yaml:"stream"`
}

// maxSecretFileBytes bounds a secret file read: a secret is short, and a path such as /dev/zero
// must not hang the start-up.
const maxSecretFileBytes = 64 << 10

// ProviderCheck tells Load which provider names exist and how to check a source's
// provider-specific fields, so that their problems are in the one report of all the config's
// problems. Providers gives bridge/provider's; a reader that builds no provider passes none.
type ProviderCheck struct {
	// Names are the values sources[].provider may take; empty accepts any non-empty name.
	Names []string
	// Check, when set, checks a source whose provider is one of Names, whose secrets are valid
	// and none of whose fields failed to decode (an undecodable field would be zero and draw a
	// second, misleading error). Its error is reported under the source's name, with every
	// secret and every value from ${VAR} cut out of it.
	Check func(Source) error
}

// Providers is the check of bridge/provider: its kinds, and provider.New.
func Providers() ProviderCheck {
	return ProviderCheck{
		Names: provider.Kinds(),
		Check: func(s Source) error {
			_, err := s.Provider()
			return err
		},
	}
}

// Provider builds the source's provider: the one place a source becomes one, shared by the
// bridge, `hookbridge send` and the load tool so that all three verify and sign exactly alike.
func (s *Source) Provider() (*provider.Provider, error) {
	return provider.New(s.Config)
}

// BridgeSources resolves every source into its provider once; errors name the source
// (`sources[1] "acme-shop": hmac.header: required`), all of them at once.
func BridgeSources(sources []Source) ([]bridge.Source, error) {
	var errs []error
	out := make([]bridge.Source, 0, len(sources))
	for i := range sources {
		s := &sources[i]
		p, err := s.Provider()
		if err != nil {
			errs = append(errs, fmt.Errorf("sources[%d] %q: %w", i, s.Name, err))
			continue
		}
		out = append(out, bridge.Source{Name: s.Name, Provider: p, Stream: s.Stream})
	}
	return out, errors.Join(errs...)
}

// Validate reports every problem in s. Messages name the field relative to the source
// (Config.Validate adds which source) and never contain a secret.
func (s *Source) Validate() error {
	return s.validate(nil, nil)
}

// validate is Validate with what decoding learnt (f, rooted at the source, may be nil) and the
// provider names. The rules of a source's provider part are bridge/provider's, stated there.
func (s *Source) validate(f *config.Fields, checks []ProviderCheck) error {
	var errs []error
	if !f.Bad("name") {
		errs = append(errs, bridge.CheckSourceName(f, s.Name))
	}
	switch {
	case f.Bad("provider"):
	case s.Kind == "":
		errs = append(errs, errors.New("provider: required"))
	default:
		for _, c := range checks {
			if len(c.Names) > 0 && !slices.Contains(c.Names, s.Kind) {
				errs = append(errs, fmt.Errorf("provider: %s is not one of %s", f.Show("provider", s.Kind), list(c.Names)))
				break
			}
		}
	}
	if !f.Bad("secrets") && !f.Bad("secret_files") {
		errs = append(errs, provider.CheckSecrets(s.Kind, s.Secrets))
	}
	if s.Stream != "" && !f.Bad("stream") {
		if err := bridge.CheckStreamName(f, "stream", s.Stream); err != nil {
			errs = append(errs, fmt.Errorf("stream: %w", err))
		}
		errs = append(errs, checkSourceStream(f, s.Stream))
	}
	// Only the tolerance itself may need hiding: scrubbing for every value of the source would
	// lose the whole message to any value from ${VAR} that happens to occur in it.
	errs = append(errs, f.Hide("tolerance", s.Tolerance.String(), provider.CheckTolerance(s.Tolerance)))
	// The hmac section is the provider's to check (ProviderCheck):
	// one place knows what an algorithm, encoding or locator may be.
	return errors.Join(errs...)
}

// check runs the provider checks on s, whose own fields are valid. Their errors come from code
// that does not know where a value came from, so every secret and every value from ${VAR} is cut
// out of them here.
func (s *Source) check(f *config.Fields, checks []ProviderCheck) []error {
	var errs []error
	for _, c := range checks {
		if c.Check == nil {
			continue
		}
		for _, err := range unjoin(c.Check(*s)) {
			errs = append(errs, f.Scrub(err, s, s.Secrets))
		}
	}
	return errs
}

// loadSecretFiles appends the content of each secret file to s.Secrets. Errors name the file
// (unless its path came from ${VAR}: then they name the variable), never its content. f is
// rooted at the source.
func (s *Source) loadSecretFiles(dir string, f *config.Fields) []error {
	var errs []error
	for i, name := range s.SecretFiles {
		field := fmt.Sprintf("secret_files[%d]", i)
		if f.Bad(field) {
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
			errs = append(errs, fmt.Errorf("%s: %w", field, f.Hide(field, path, err)))
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
