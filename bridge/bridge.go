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

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// Config is the delivery path's own configuration.
type Config struct {
	// Stream is the JetStream stream the bridge publishes to; a PubAck from
	// any other stream is treated as a failure.
	Stream string
	// SubjectPrefix starts every subject ("webhooks").
	SubjectPrefix string
	// MaxBodyBytes is the largest body accepted; larger ones get 413.
	MaxBodyBytes int64
	// MaxBodyBytesInFlight bounds the body bytes held by all deliveries in
	// flight together; past it a new delivery gets 503 with Retry-After.
	// Memory is counted as bodies arrive, not as they are announced.
	MaxBodyBytesInFlight int64
	// PublishTimeout bounds the wait for the PubAck; past it the sender gets 503.
	PublishTimeout time.Duration
	// RetryAfter is the Retry-After sent with 503; zero means DefaultRetryAfter.
	RetryAfter time.Duration
	// Now is the clock for receive times; nil means time.Now.
	Now func() time.Time
	// Failures, if not nil, remembers the last delivery that could not be
	// stored, for readiness to report (see LastFailure).
	Failures *LastFailure
}

// Defaults for Config's zero fields.
const (
	DefaultStream        = wire.Stream
	DefaultSubjectPrefix = wire.SubjectPrefix
	DefaultMaxBodyBytes  = 1 << 20
	// DefaultMaxBodyBytesInFlight holds 64 bodies of the default limit.
	DefaultMaxBodyBytesInFlight = 64 << 20
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
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxBodyBytesInFlight == 0 {
		c.MaxBodyBytesInFlight = max(DefaultMaxBodyBytesInFlight, c.MaxBodyBytes)
	}
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

// Validate reports a Config that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("max_body_bytes must be positive"))
	}
	if c.MaxBodyBytesInFlight < c.MaxBodyBytes {
		errs = append(errs, fmt.Errorf("max_body_bytes_in_flight (%d) must be at least max_body_bytes (%d)", c.MaxBodyBytesInFlight, c.MaxBodyBytes))
	}
	if c.PublishTimeout < 0 {
		errs = append(errs, errors.New("publish_timeout must be positive"))
	}
	if !validPrefix(c.SubjectPrefix) {
		errs = append(errs, fmt.Errorf("subject_prefix %q: want dot-separated tokens of [A-Za-z0-9_-]", c.SubjectPrefix))
	}
	return errors.Join(errs...)
}

// Source is one configured webhook endpoint: POST /webhooks/{Name}.
type Source struct {
	// Name is the URL path segment and a subject token; [a-z0-9_-]+.
	Name string
	// Provider verifies and reads this source's deliveries.
	Provider *provider.Provider
}

func validateSources(sources []Source) error {
	seen := make(map[string]bool, len(sources))
	var errs []error
	for i, s := range sources {
		switch {
		case !validToken(s.Name):
			errs = append(errs, fmt.Errorf("sources[%d]: name %q: want [a-z0-9_-]+", i, s.Name))
		case seen[s.Name]:
			errs = append(errs, fmt.Errorf("sources[%d]: name %q is used twice", i, s.Name))
		case s.Provider == nil:
			errs = append(errs, fmt.Errorf("sources[%d] %q: no provider", i, s.Name))
		}
		seen[s.Name] = true
	}
	return errors.Join(errs...)
}
