package shipping

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// Config configures a Service. Zero fields take the defaults below.
type Config struct {
	// Bucket is the KV bucket holding one shipment per order; default
	// "shipments".
	Bucket string
	// Stream is the stream of shipping events; default "SHIPPING".
	Stream string
	// SubjectPrefix is the first token of shipping event subjects and the
	// stream captures <SubjectPrefix>.>; default "shipping".
	SubjectPrefix string
	// Replicas of the bucket and the stream; default 1.
	Replicas int
	// Duplicates is the stream's dedup window; it must cover the time
	// between a publish and the redelivery that repeats it after a crash.
	// Default 24h.
	Duplicates time.Duration
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

var (
	nameRe  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	tokenRe = regexp.MustCompile(`^[a-z0-9_-]+$`)
)

func (c *Config) setDefaults() {
	if c.Bucket == "" {
		c.Bucket = "shipments"
	}
	if c.Stream == "" {
		c.Stream = "SHIPPING"
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = "shipping"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Duplicates == 0 {
		c.Duplicates = 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if !nameRe.MatchString(c.Bucket) {
		errs = append(errs, fmt.Errorf("shipping: bucket %q must match [A-Za-z0-9_-]+", c.Bucket))
	}
	if !nameRe.MatchString(c.Stream) {
		errs = append(errs, fmt.Errorf("shipping: stream %q must match [A-Za-z0-9_-]+", c.Stream))
	}
	if !tokenRe.MatchString(c.SubjectPrefix) {
		errs = append(errs, fmt.Errorf("shipping: subject prefix %q must be one token of [a-z0-9_-]", c.SubjectPrefix))
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("shipping: replicas %d must be 1..5", c.Replicas))
	}
	if c.Duplicates < 0 {
		errs = append(errs, fmt.Errorf("shipping: negative duplicate window %s", c.Duplicates))
	}
	return errors.Join(errs...)
}

// ConsumerConfig is the durable consumer this service runs behind: every
// canonical order event on the COMMERCE stream, whatever its platform. Set
// Concurrency, Logger and Metrics as needed.
func ConsumerConfig() consumers.Config {
	return consumers.Config{
		Name:           "shipping",
		Stream:         commerce.Stream,
		FilterSubjects: []string{commerce.SubjectPrefix + "." + commerce.EntityOrder + ".>"},
	}
}

// ErrNotFound is a key with no shipment.
var ErrNotFound = errors.New("shipment not found")

// maxAttempts bounds the compare-and-set retries of one Handle. Each lost
// race means another handler wrote the key, and one order sees at most a
// few writes, so this is only reached under a pathological storm; the
// error then is transient and the message is redelivered.
const maxAttempts = 50

// Service keeps shipments in the KV bucket and publishes shipping events.
// It holds no state of its own, is safe for concurrent use, and several
// processes may run it on the same bucket.
type Service struct {
	cfg Config
	js  jetstream.JetStream
	kv  jetstream.KeyValue
	log *slog.Logger
}

// New creates the COMMERCE stream if it does not exist yet, so that the
// service may start before the normaliser; creates or updates its own
// bucket and stream (see stream.go); then returns the service.
func New(ctx context.Context, js jetstream.JetStream, cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := commerce.CreateStream(ctx, js); err != nil {
		return nil, fmt.Errorf("shipping: %w", err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, cfg.bucketConfig())
	if err != nil {
		return nil, fmt.Errorf("shipping: bucket %s: %w", cfg.Bucket, err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, cfg.streamConfig()); err != nil {
		return nil, fmt.Errorf("shipping: stream %s: %w", cfg.Stream, err)
	}
	return &Service{cfg: cfg, js: js, kv: kv, log: cfg.Logger}, nil
}

// Handle is the consumers.Handler: it applies one canonical order event to
// its order's shipment and publishes the resulting shipping events. nil means
// done (including events shipping ignores); an error wrapped by
// consumers.Permanent means the event can never be handled; any other
// error is transient, and handling the same event again is safe and
// completes the work (see the package doc). ctx bounds the KV and publish
// calls.
func (s *Service) Handle(ctx context.Context, ev event.Event) error {
	o, ignore, err := decode(ev)
	if err != nil {
		return consumers.Permanent(fmt.Errorf("event %s (%s): %w", ev.ID(), ev.Type(), err))
	}
	if ignore != "" {
		s.log.InfoContext(ctx, "event ignored", "id", ev.ID(), "type", ev.Type(), "source", ev.Source(), "reason", ignore)
		return nil
	}
	for range maxAttempts {
		rec, rev, err := s.transition(ctx, o)
		if errors.Is(err, errConflict) {
			continue
		}
		if err != nil {
			return err
		}
		err = s.flush(ctx, rec, rev)
		if errors.Is(err, errConflict) {
			continue
		}
		return err
	}
	return fmt.Errorf("shipment %s: still conflicting after %d attempts", o.key, maxAttempts)
}

// errConflict is a lost compare-and-set: someone else wrote the key since
// we read it.
var errConflict = errors.New("revision conflict")

// transition is the KV half of Handle: it reads the key, applies o, and
// writes the result with a compare-and-set on the revision read. It returns
// the record now stored and its revision (0: no record).
func (s *Service) transition(ctx context.Context, o order) (*record, uint64, error) {
	cur, rev, err := s.load(ctx, o.key)
	if err != nil {
		return nil, 0, err
	}
	next, changed, note, err := apply(cur, o, s.cfg.Now().UTC())
	if err != nil {
		return nil, 0, err
	}
	if note != "" {
		s.log.WarnContext(ctx, "transition refused", "key", o.key, "status", cur.Status, "event", o.action.String(), "id", o.eventID, "reason", note)
	}
	if !changed {
		return cur, rev, nil
	}
	value, err := json.Marshal(next)
	if err != nil {
		return nil, 0, err
	}
	if rev == 0 {
		rev, err = s.kv.Create(ctx, o.key, value)
	} else {
		rev, err = s.kv.Update(ctx, o.key, value, rev)
	}
	if isConflict(err) {
		return nil, 0, errConflict
	}
	if err != nil {
		return nil, 0, fmt.Errorf("shipment %s: writing: %w", o.key, err)
	}
	s.log.InfoContext(ctx, "shipment "+string(next.Status), "key", o.key, "event", o.action.String(), "id", o.eventID, "revision", rev)
	return &next, rev, nil
}

// flush publishes the events in rec's outbox, in order, then clears it with
// a compare-and-set. The KV write comes first and the publish second, so a
// crash in between loses no event: the outbox still holds it and the
// redelivered event (or the next event of the order) publishes it. A
// crash after the publish and before the clear publishes it again, and
// JetStream drops that copy by its Nats-Msg-Id, the event's deterministic
// id. errConflict means another handler changed the record meanwhile; its
// own flush or our retry publishes whatever is left.
func (s *Service) flush(ctx context.Context, rec *record, rev uint64) error {
	if rec == nil || len(rec.Outbox) == 0 {
		return nil
	}
	for _, oe := range rec.Outbox {
		ev := s.shippingEvent(rec.Key, oe)
		subject := s.cfg.SubjectPrefix + ".shipment." + string(oe.Kind) + "." + rec.Platform
		ack, err := consumers.PublishEvent(ctx, s.js, subject, ev)
		if err != nil {
			return fmt.Errorf("shipment %s: publishing %s: %w", rec.Key, oe.Kind, err)
		}
		if !ack.Duplicate {
			s.log.InfoContext(ctx, "shipping event published", "key", rec.Key, "type", ev.Type(), "subject", subject, "seq", ack.Sequence)
		}
	}
	done := *rec
	done.Outbox = nil
	value, err := json.Marshal(done)
	if err != nil {
		return err
	}
	_, err = s.kv.Update(ctx, rec.Key, value, rev)
	if isConflict(err) {
		return errConflict
	}
	if err != nil {
		return fmt.Errorf("shipment %s: clearing outbox: %w", rec.Key, err)
	}
	return nil
}

// shippingEvent is the CloudEvent announcing oe. Everything in it comes
// from the stored record, so publishing it again gives the same event.
func (s *Service) shippingEvent(key string, oe outEvent) event.Event {
	ev := event.New()
	ev.SetID(key + ":" + string(oe.Kind))
	ev.SetSource("/hookbridge/shipping")
	ev.SetType("com.hookbridge.shipping.shipment." + string(oe.Kind))
	ev.SetSubject(key)
	ev.SetTime(oe.Time)
	_ = ev.SetData(event.ApplicationJSON, []byte(oe.Data))
	return ev
}

func isConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// load reads key; a missing key is (nil, 0, nil).
func (s *Service) load(ctx context.Context, key string) (*record, uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("shipment %s: reading: %w", key, err)
	}
	var r record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return nil, 0, fmt.Errorf("shipment %s: stored value at revision %d: %w", key, e.Revision(), err)
	}
	return &r, e.Revision(), nil
}

// Shipment returns the shipment stored under key, or ErrNotFound.
func (s *Service) Shipment(ctx context.Context, key string) (Shipment, error) {
	if !validKey(key) {
		return Shipment{}, fmt.Errorf("%w: %w", ErrNotFound, ErrInvalidKey)
	}
	r, _, err := s.load(ctx, key)
	if err != nil {
		return Shipment{}, err
	}
	if r == nil {
		return Shipment{}, ErrNotFound
	}
	return r.Shipment, nil
}

// All returns every shipment in the bucket, tombstones included, in key
// order.
func (s *Service) All(ctx context.Context) ([]Shipment, error) {
	w, err := s.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("listing shipments: %w", err)
	}
	defer w.Stop()
	out := []Shipment{}
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("listing shipments: watcher closed")
			}
			if e == nil { // the initial values are all delivered
				slices.SortFunc(out, func(a, b Shipment) int { return strings.Compare(a.Key, b.Key) })
				return out, nil
			}
			var r record
			if err := json.Unmarshal(e.Value(), &r); err != nil {
				return nil, fmt.Errorf("shipment %s: stored value at revision %d: %w", e.Key(), e.Revision(), err)
			}
			out = append(out, r.Shipment)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
