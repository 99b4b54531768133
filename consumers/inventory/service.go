package inventory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// Config configures a Service. Zero fields take the defaults below.
type Config struct {
	// Bucket is the KV bucket holding stock and order records; default
	// "inventory". It is created with file storage, or updated.
	Bucket string
	// Replicas of the bucket and of the events stream; default 1.
	Replicas int
	// EventsStream holds the service's backorder events (subjects
	// "inventory.>"); default "INVENTORY_EVENTS". It is created, or updated.
	EventsStream string
	// DuplicateWindow of EventsStream; default 24h. It must outlast the
	// redelivery of a handler that crashed after publishing a backorder and
	// before recording that it did (the consumer's back-off, minutes).
	DuplicateWindow time.Duration
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Now is the clock for the backorder events' time; default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Bucket == "" {
		c.Bucket = "inventory"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.EventsStream == "" {
		c.EventsStream = "INVENTORY_EVENTS"
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas %d outside 1..5", c.Replicas))
	}
	if c.DuplicateWindow < 0 {
		errs = append(errs, errors.New("negative duplicate window"))
	}
	return errors.Join(errs...)
}

// Service keeps stock in a JetStream KV bucket from order events. The
// bucket is its only state (besides the queues of changes about to be
// written, see combiner): any number of Services, in one process or many,
// may handle the events of one bucket at once. Its methods are safe for
// concurrent use.
type Service struct {
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	log *slog.Logger
	now func() time.Time

	combine combiner
	// hook, when set by a test, runs at named points of a handler, to
	// interleave another handler there.
	hook func(point string)
}

// New creates the COMMERCE stream if no normaliser has yet, so that the
// service can start first; creates or updates the bucket and the events
// stream (see stream.go); and returns the service.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("inventory config: %w", err)
	}
	if err := commerce.CreateStream(ctx, js); err != nil {
		return nil, err
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, cfg.bucketConfig())
	if err != nil {
		return nil, fmt.Errorf("kv bucket %s: %w", cfg.Bucket, err)
	}
	if err := ensureEventsStream(ctx, js, cfg); err != nil {
		return nil, err
	}
	return &Service{js: js, kv: kv, log: cfg.Logger, now: cfg.Now, combine: combiner{queues: map[string]*skuQueue{}}}, nil
}

// ConsumerConfig is the durable consumer the service runs behind: the
// canonical order events of every platform and shop. Run it with
// consumers.Run(ctx, js, ConsumerConfig(), svc.Handle), after setting
// Concurrency, Logger and Metrics as needed.
func ConsumerConfig() consumers.Config {
	return consumers.Config{
		Stream:         commerce.Stream,
		Name:           "inventory",
		FilterSubjects: []string{commerce.SubjectPrefix + "." + commerce.EntityOrder + ".>"},
	}
}

var _ consumers.Handler = (*Service)(nil).Handle

// Handle applies one order event to the stock; it is a consumers.Handler.
//
//   - order.cancelled and order.refunded, and any order event whose status
//     is cancelled or refunded, release the order's quantities per SKU;
//     order.created otherwise reserves them.
//   - Every other event (order.updated, .paid, .fulfilled, other types) is
//     not about stock: nil, so the message is acknowledged.
//   - An order event that cannot be read, or has no order id, platform or
//     source, is ErrBadPayload wrapped in consumers.Permanent
//     (dead-lettered, not retried).
//   - Any other error (the store unreachable, ctx done) is transient: the
//     event is redelivered, and applying it again is safe.
//
// The effect is per order, not per event: running Handle any number of
// times, concurrently or not, with events of one order under any CloudEvent
// ids and in any order, reserves the order at most once and releases it at
// most once. See the package documentation.
func (s *Service) Handle(ctx context.Context, ev event.Event) error {
	o, eff, skipped, err := resolve(ev)
	if err != nil {
		return consumers.Permanent(fmt.Errorf("%w: %s %s: %v", ErrBadPayload, ev.Type(), ev.ID(), err))
	}
	if eff == ignore {
		s.log.DebugContext(ctx, "ignored", "type", ev.Type(), "id", ev.ID())
		return nil
	}
	log := s.log.With("action", eff.String(), "platform", o.platform, "source", o.source,
		"order_id", o.id, "order_key", o.key, "ce_id", ev.ID())
	if skipped > 0 {
		log.WarnContext(ctx, "line items without sku or quantity skipped", "skipped", skipped)
	}
	if eff == reserve {
		err = s.reserve(ctx, o)
	} else {
		err = s.release(ctx, o)
	}
	if err != nil {
		return fmt.Errorf("%s order %s of %s: %w", eff, o.id, o.source, err)
	}
	log.InfoContext(ctx, "applied", "skus", len(o.lines))
	return nil
}
