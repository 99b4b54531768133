// Package bridge receives webhook deliveries over HTTP and publishes each
// verified one onto NATS JetStream as a CloudEvent in binary mode.
//
// One delivery goes one way: look up the source (404), read the body through
// the size limit (413), verify the raw bytes (401), read the event (400),
// encode the CloudEvent and its subject, publish and wait for the PubAck
// within the publish timeout (503 with Retry-After), answer 200. A 2xx is
// only ever sent after JetStream has stored the message (or has reported it
// as a duplicate of one it stored).
package bridge

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// Config is the delivery path's own configuration.
type Config struct {
	// Stream is the JetStream stream the bridge publishes to, unless a
	// source names its own (Source.Stream); a PubAck from any other stream
	// than the source's is treated as a failure.
	Stream string
	// SubjectPrefix starts every subject ("webhooks").
	SubjectPrefix string
	// Limits bound the bodies deliveries hold.
	Limits
	// Bodies, if not nil, stores data too large for a message as an object
	// and publishes a claim check (see claim.go); nil: every body must fit
	// in a message.
	Bodies *Bodies
	// PublishTimeout bounds the wait for the PubAck, and separately the
	// storing of a claim-checked body; past it the sender gets 503.
	PublishTimeout time.Duration
	// RetryAfter is the Retry-After sent with 503; zero means DefaultRetryAfter.
	RetryAfter time.Duration
	// Now is the clock for receive times; nil means time.Now.
	Now func() time.Time
	// Failures, if not nil, remembers the last delivery that could not be
	// stored, for readiness to report (see LastFailure).
	Failures *LastFailure
	// Activity, if not nil, remembers each source's last success and last
	// failure (see Activity).
	Activity *Activity
	// TracerProvider, if not nil and not the no-op provider, traces every
	// delivery and writes trace context onto the messages it publishes
	// (see trace.go). Off, the delivery path does none of it.
	TracerProvider trace.TracerProvider
}

// Limits bound the bodies deliveries hold. The yaml tags are their keys in
// the http section of hookbridge's config file.
type Limits struct {
	// MaxBodyBytes is the largest body accepted; larger ones get 413. A
	// body too large for a message is stored as an object (Config.Bodies).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxBodyBytesInFlight bounds the body bytes held by all deliveries in
	// flight together; past it a new delivery gets 503 with Retry-After.
	// Memory is counted as bodies arrive, not as they are announced.
	MaxBodyBytesInFlight int64 `yaml:"max_body_bytes_in_flight"`
}

// Defaults for Config's zero fields.
const (
	DefaultStream        = wire.Stream
	DefaultSubjectPrefix = wire.SubjectPrefix
	// DefaultMaxBodyBytes covers GitHub's 25 MB deliveries.
	DefaultMaxBodyBytes = 32 << 20
	// DefaultMaxBodyBytesInFlight holds eight bodies of the default limit,
	// or thousands of ordinary ones.
	DefaultMaxBodyBytesInFlight = 256 << 20
	DefaultPublishTimeout       = 3 * time.Second
	DefaultRetryAfter           = 5 * time.Second
)

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	c.Limits.SetDefaults()
	if c.PublishTimeout == 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every problem of a Config that cannot work, after its
// zero fields took their defaults.
func (c Config) Validate() error {
	return errors.Join(
		c.Limits.Check(nil),
		config.CheckPositive(nil, "publish_timeout", c.PublishTimeout),
		checkSubjectPrefix(nil, "subject_prefix", c.SubjectPrefix),
	)
}

// SetDefaults fills the zero fields: DefaultMaxBodyBytes, and for the bytes
// in flight DefaultMaxBodyBytesInFlight or one body, whichever is larger.
func (l *Limits) SetDefaults() {
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if l.MaxBodyBytesInFlight == 0 {
		l.MaxBodyBytesInFlight = max(DefaultMaxBodyBytesInFlight, l.MaxBodyBytes)
	}
}

// Check reports every problem of l, naming each field by its path below f's
// root (f may be nil).
func (l Limits) Check(f *config.Fields) error {
	var errs []error
	if l.MaxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("%s: must be greater than 0 (got %s)", f.Path("max_body_bytes"), f.Show("max_body_bytes", l.MaxBodyBytes)))
	}
	if l.MaxBodyBytesInFlight < l.MaxBodyBytes {
		errs = append(errs, fmt.Errorf("%s: must be at least %s (%s), or no body of the largest size could ever be accepted (got %s)",
			f.Path("max_body_bytes_in_flight"), f.Path("max_body_bytes"), f.Show("max_body_bytes", l.MaxBodyBytes),
			f.Show("max_body_bytes_in_flight", l.MaxBodyBytesInFlight)))
	}
	return errors.Join(errs...)
}

// Source is one configured webhook endpoint: POST /webhooks/{Name}.
type Source struct {
	// Name is the URL path segment and a subject token; [a-z0-9_-]+ (see
	// CheckSourceName).
	Name string
	// Provider verifies and reads this source's deliveries.
	Provider *provider.Provider
	// Stream is the stream the source's deliveries must be stored in;
	// empty means Config.Stream. The bridge publishes on the source's
	// subjects alone: it is the streams' subjects that route them (see
	// StreamConfig.Sources).
	Stream string
}

// CheckSourceName reports a name the bridge cannot serve a source under: it
// becomes a URL path segment and a subject token, so it must be one token as
// hookbridge publishes them. f (may be nil) shows the value at "name" below
// its root; the message names the field "name", relative to the source.
func CheckSourceName(f *config.Fields, name string) error {
	switch {
	case name == "":
		return errors.New("name: required")
	case !validToken(name):
		return fmt.Errorf("name: %s must match ^[a-z0-9_-]+$ (it becomes a URL path segment and a NATS subject token)", f.Show("name", name))
	}
	return nil
}

func validateSources(sources []Source) error {
	seen := make(map[string]bool, len(sources))
	var errs []error
	for i, s := range sources {
		if err := CheckSourceName(nil, s.Name); err != nil {
			errs = append(errs, fmt.Errorf("sources[%d]: %w", i, err))
			continue
		}
		switch {
		case seen[s.Name]:
			errs = append(errs, fmt.Errorf("sources[%d]: name %q is used twice", i, s.Name))
		case s.Provider == nil:
			errs = append(errs, fmt.Errorf("sources[%d] %q: no provider", i, s.Name))
		case s.Stream != "":
			if err := CheckStreamName(nil, "stream", s.Stream); err != nil {
				errs = append(errs, fmt.Errorf("sources[%d] %q: stream: %w", i, s.Name, err))
			}
		}
		seen[s.Name] = true
	}
	return errors.Join(errs...)
}
