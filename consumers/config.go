package consumers

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/internal/wire"
)

// Config describes one durable consumer. Zero fields take the defaults below.
type Config struct {
	// Stream is the stream to consume; default DefaultStream. A consumer belongs to one
	// stream: where a bridge's sources are spread over several (sources[].stream), run one
	// consumer per stream, the same Config but for Stream (see Example_streams).
	Stream string
	// Name is the durable consumer's name (required); [A-Za-z0-9_-]+.
	Name string
	// FilterSubjects selects the events (required); wildcards allowed, e.g.
	// "webhooks.shopify.*.orders.>".
	FilterSubjects []string
	// StartTime, when set, makes a new consumer start at the first message
	// stored at or after it (a replay from a point in time); zero starts at
	// the beginning of the stream. It cannot be changed on an existing
	// consumer: pick a new Name to replay.
	StartTime time.Time
	// Concurrency is how many handlers run at once; default DefaultConcurrency.
	Concurrency int
	// MaxBytesInFlight bounds the data of the messages being handled at
	// once: a handler starts only when they stay within it, its own
	// included (a larger message goes through alone); 0 bounds them by
	// Concurrency only. Messages pulled ahead of the handlers are bounded by
	// count alone, Concurrency of them (see subscribe for why).
	MaxBytesInFlight int
	// AckWait is how long the server waits for an ack before redelivering;
	// default DefaultAckWait. A handler that runs longer is kept alive (InProgress).
	AckWait time.Duration
	// MaxDeliver is how many times a message is handed to the handler before
	// it is dead-lettered; default DefaultMaxDeliver.
	MaxDeliver int
	// Backoff is the delay before the n-th redelivery after a handler error
	// (the last entry repeats); default DefaultBackoff().
	Backoff []time.Duration
	// DeadLetterStream holds dead letters; default DefaultDeadLetterStream,
	// created if missing as DeadLetterStreamConfig defines it.
	DeadLetterStream string
	// DeadLetterSubject is where this consumer's dead letters go; default
	// DeadLetterSubject(Name), "deadletter.<Name>", where Redrive finds them.
	DeadLetterSubject string
	// AckWithoutConfirmation, when true, acknowledges a handled message with
	// a plain publish instead of a request the server answers (DoubleAck,
	// the default). That saves a round trip and its work on both ends per
	// message, but an ack lost on the way (a disconnect, a server restart)
	// goes unnoticed: the message is redelivered after AckWait and handled
	// again. Set it only for a handler whose effect is idempotent and cheap
	// to repeat, such as one that only publishes with a Nats-Msg-Id the
	// stream deduplicates; keep the default where running twice costs more
	// than the round trip, or where a handler must know its ack landed.
	AckWithoutConfirmation bool
	// ShutdownGrace bounds how long in-flight handlers may finish after the
	// context is cancelled; default DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// Logger defaults to a discarding logger. The library wraps its
	// handler with LogHandler, so that its lines about a delivery carry
	// trace_id and span_id when it is traced.
	Logger *slog.Logger
	// Metrics defaults to unregistered metrics.
	Metrics *Metrics
	// TracerProvider, when set (and not the no-op provider), runs each
	// delivery in a consumer span that continues the message's
	// traceparent (see trace.go); nil traces nothing, at no cost.
	TracerProvider trace.TracerProvider
}

// Defaults for Config's zero fields.
const (
	DefaultStream           = wire.Stream
	DefaultConcurrency      = 1
	DefaultAckWait          = 30 * time.Second
	DefaultMaxDeliver       = 5
	DefaultDeadLetterStream = "DEADLETTER"
	DefaultShutdownGrace    = 30 * time.Second
)

// DefaultBackoff is the redelivery schedule after handler errors. It is a
// function so that no caller can change the schedule of every other.
func DefaultBackoff() []time.Duration {
	return []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
}

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if len(c.Backoff) == 0 {
		c.Backoff = DefaultBackoff()
	}
	if c.DeadLetterStream == "" {
		c.DeadLetterStream = DefaultDeadLetterStream
	}
	if c.DeadLetterSubject == "" {
		c.DeadLetterSubject = DeadLetterSubject(c.Name)
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	// The library's lines about a delivery are logged with its ctx: they
	// name its span.
	c.Logger = slog.New(LogHandler(c.Logger.Handler()))
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidName reports whether name can name a consumer: [A-Za-z0-9_-]+, which
// also makes its dead-letter subject one token longer than the prefix.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// Validate reports a Config that cannot work.
func (c Config) Validate() error {
	var errs []error
	if !ValidName(c.Name) {
		errs = append(errs, fmt.Errorf("name %q: want [A-Za-z0-9_-]+", c.Name))
	}
	if len(c.FilterSubjects) == 0 {
		errs = append(errs, errors.New("filter_subjects: at least one is required"))
	}
	if c.Concurrency < 0 || c.MaxBytesInFlight < 0 || c.MaxDeliver < 0 || c.AckWait < 0 || c.ShutdownGrace < 0 {
		errs = append(errs, errors.New("concurrency, max_bytes_in_flight, max_deliver, ack_wait and shutdown_grace must not be negative"))
	}
	for _, d := range c.Backoff {
		if d <= 0 {
			errs = append(errs, errors.New("backoff: every delay must be positive"))
			break
		}
	}
	return errors.Join(errs...)
}

// ConsumerConfig is the durable consumer Run creates or updates for c: the
// whole server-side definition in one literal. MaxDeliver is one above
// c.MaxDeliver so that a message whose last attempt timed out (a crashed or
// stuck handler) is still seen once more, by the library alone, and
// dead-lettered instead of silently left behind by the server.
func (c Config) ConsumerConfig() jetstream.ConsumerConfig {
	c.setDefaults()
	cc := jetstream.ConsumerConfig{
		Durable:        c.Name,
		Description:    "hookbridge consumer " + c.Name,
		FilterSubjects: c.FilterSubjects,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.AckWait,
		MaxDeliver:     c.MaxDeliver + 1,
		MaxAckPending:  max(c.Concurrency*4, 64),
	}
	if !c.StartTime.IsZero() {
		cc.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cc.OptStartTime = &c.StartTime
	}
	return cc
}
