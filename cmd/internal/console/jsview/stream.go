// Package jsview reads what the console shows from JetStream, and carries
// out the console's few actions on it: the newest messages of a stream, one
// message, the newest since a poll (Since), the durable consumers and their
// progress, the dead letters and their redrive, and a replay consumer. It
// renders nothing.
//
// Every call is bounded by its ctx and by the work it may do (Limit,
// MaxScan, TailMaxScan); none holds state on the server beyond the call,
// except the consumer Replay creates.
// A View is safe for concurrent use.
package jsview

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// ErrBadFilter is returned for a Filter that cannot become a subject filter.
var ErrBadFilter = errors.New("bad filter")

// Stream is a stream the console reads and the layout of its subjects,
// which turns a Filter into a subject filter.
type Stream struct {
	// Name is the stream's name (WEBHOOKS, COMMERCE).
	Name   string
	prefix string
	layout layout
}

type layout int

const (
	webhooksLayout layout = iota
	commerceLayout
)

// Webhooks is the stream of verified webhooks, named name, whose subjects
// are <prefix>.<provider>.<source>.<type tokens>; "" for either means the
// bridge's default (WEBHOOKS, webhooks).
func Webhooks(name, prefix string) Stream {
	if name == "" {
		name = wire.Stream
	}
	if prefix == "" {
		prefix = wire.SubjectPrefix
	}
	return Stream{Name: name, prefix: prefix, layout: webhooksLayout}
}

// Commerce is the normaliser's stream, named name ("" for COMMERCE), whose
// subjects are commerce.<entity>.<action>.<provider>.<source>.
func Commerce(name string) Stream {
	if name == "" {
		name = commerce.Stream
	}
	return Stream{Name: name, prefix: commerce.SubjectPrefix, layout: commerceLayout}
}

// Filter narrows a stream to some of its messages. An empty field matches
// everything.
type Filter struct {
	// Source is a source name as configured ("acme-shop").
	Source string
	// Provider is a provider name ("shopify").
	Provider string
	// Type is, on WEBHOOKS, the platform's event type as the subject
	// carries it: "orders/create" and "orders.create" both match exactly the
	// subjects ending in .orders.create (not the CloudEvent type,
	// com.shopify.orders.create). On COMMERCE it is "<entity>" or
	// "<entity>.<action>" ("order", "order.paid"), with or without the
	// CloudEvent type's prefix com.hookbridge.commerce.
	Type string
}

// Subject is the subject filter that selects f's messages of s. A source,
// provider, entity or action that is not one token of [a-z0-9_-]+ is
// ErrBadFilter: no wildcard or empty token reaches the filter from input.
func (s Stream) Subject(f Filter) (string, error) {
	provider, err := token("provider", f.Provider)
	if err != nil {
		return "", err
	}
	source, err := token("source", f.Source)
	if err != nil {
		return "", err
	}
	if s.layout == commerceLayout {
		entity, action, err := commerceType(f.Type)
		if err != nil {
			return "", err
		}
		return strings.Join([]string{s.prefix, entity, action, provider, source}, "."), nil
	}
	rest := ">"
	if f.Type != "" {
		if rest = bridge.TypeSubject(f.Type); rest == "" {
			return "", fmt.Errorf("%w: type %q has no subject token", ErrBadFilter, f.Type)
		}
	}
	return strings.Join([]string{s.prefix, provider, source, rest}, "."), nil
}

// token is v as one subject token, or "*" when v is empty.
func token(field, v string) (string, error) {
	if v == "" {
		return "*", nil
	}
	if !bridge.ValidToken(v) {
		return "", fmt.Errorf("%w: %s %q: want [a-z0-9_-]+", ErrBadFilter, field, v)
	}
	return v, nil
}

// commerceType splits a COMMERCE type filter into its entity and action
// tokens, "*" for what it leaves open.
func commerceType(t string) (entity, action string, err error) {
	t = strings.TrimPrefix(t, commerce.TypePrefix)
	if t == "" {
		return "*", "*", nil
	}
	parts := strings.Split(t, ".")
	if len(parts) > 2 {
		return "", "", fmt.Errorf("%w: type %q: want <entity> or <entity>.<action>", ErrBadFilter, t)
	}
	if entity, err = token("type entity", parts[0]); err != nil || parts[0] == "" {
		return "", "", fmt.Errorf("%w: type %q: want <entity> or <entity>.<action>", ErrBadFilter, t)
	}
	action = "*"
	if len(parts) == 2 {
		if action, err = token("type action", parts[1]); err != nil || parts[1] == "" {
			return "", "", fmt.Errorf("%w: type %q: want <entity> or <entity>.<action>", ErrBadFilter, t)
		}
	}
	return entity, action, nil
}

// Options are the console's settings for what it reads.
type Options struct {
	// HideBodies leaves every message body out of what the View returns:
	// bodies can hold personal data. Headers and attributes are kept.
	HideBodies bool
	// DeadLetterStream is where the dead letters are kept; "" for
	// consumers.DefaultDeadLetterStream.
	DeadLetterStream string
	// MaxScan bounds how many stream sequences one Messages or DeadLetters
	// call looks through for a sparse filter; 0 for DefaultMaxScan.
	MaxScan uint64
	// Now is the clock Replay checks its start against; nil for time.Now.
	Now func() time.Time
}

// DefaultMaxScan is Options.MaxScan's default.
const DefaultMaxScan = 100_000

// View reads the streams through one JetStream context. It is safe for
// concurrent use.
type View struct {
	js  jetstream.JetStream
	opt Options
}

// New is a View on js with opt.
func New(js jetstream.JetStream, opt Options) *View {
	if opt.DeadLetterStream == "" {
		opt.DeadLetterStream = consumers.DefaultDeadLetterStream
	}
	if opt.MaxScan == 0 {
		opt.MaxScan = DefaultMaxScan
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &View{js: js, opt: opt}
}
