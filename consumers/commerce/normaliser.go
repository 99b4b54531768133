package commerce

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/internal/claimcheck"
	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// Config is the normaliser's own configuration; zero fields take the
// defaults below. The yaml tags are its keys in hookbridge's config file
// (the commerce section); the other fields are the program's to set.
type Config struct {
	// PersonalData is PersonalKeep (default), PersonalDrop or PersonalHash;
	// HashKey (a secret, at least 16 bytes) keys the hash.
	PersonalData string `yaml:"personal_data"`
	HashKey      string `yaml:"hash_key"`
	// Name is the durable consumer's name on each raw stream; default DefaultName.
	Name string `yaml:"-"`
	// InStreams are the raw streams; default consumers.DefaultStream (WEBHOOKS) alone. A
	// consumer belongs to one stream, so Run reads each with a durable consumer of its own
	// (all named Name), side by side, all publishing to OutStream.
	InStreams []string `yaml:"-"`
	// InPrefix is the raw streams' subject prefix; default "webhooks".
	InPrefix string `yaml:"-"`
	// OutStream is the canonical stream; default Stream (COMMERCE).
	OutStream string `yaml:"-"`
	// Replicas and Duplicates configure OutStream; defaults 1 and
	// DefaultDuplicates.
	Replicas   int           `yaml:"-"`
	Duplicates time.Duration `yaml:"-"`
	// Concurrency is how many raw events are normalised at once; default
	// DefaultConcurrency.
	Concurrency int `yaml:"-"`
	// Logger defaults to a discarding logger.
	Logger *slog.Logger `yaml:"-"`
	// Registerer, when set, registers the normaliser's and its consumer's metrics.
	Registerer prometheus.Registerer `yaml:"-"`
	// TracerProvider, when set, traces the normaliser (see Handle); nil
	// traces nothing.
	TracerProvider trace.TracerProvider `yaml:"-"`
}

// Check reports every problem of the fields a config file sets, naming each
// by its path below f's root (f may be nil). The hash key is never shown.
func (c Config) Check(f *config.Fields) error {
	return checkPersonal(c.PersonalData, c.HashKey, f)
}

// Defaults for Config's zero fields.
const (
	DefaultName        = "commerce-normaliser"
	DefaultDuplicates  = 24 * time.Hour
	DefaultConcurrency = 64
)

func (c *Config) setDefaults() {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if len(c.InStreams) == 0 {
		c.InStreams = []string{consumers.DefaultStream}
	}
	if c.InPrefix == "" {
		c.InPrefix = wire.SubjectPrefix
	}
	if c.OutStream == "" {
		c.OutStream = Stream
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Duplicates == 0 {
		c.Duplicates = DefaultDuplicates
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Normaliser turns raw platform events into canonical ones: its Handle is a
// consumers.Handler on the raw stream.
type Normaliser struct {
	js      jetstream.JetStream
	cfg     Config
	hashKey []byte // cfg.HashKey
	events  *prometheus.CounterVec
	metrics *consumers.Metrics
}

// New checks cfg and returns a normaliser publishing through js.
func New(js jetstream.JetStream, cfg Config) (*Normaliser, error) {
	cfg.setDefaults()
	if err := cfg.Check(nil); err != nil {
		return nil, err
	}
	n := &Normaliser{
		js: js, cfg: cfg, hashKey: []byte(cfg.HashKey),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookbridge_commerce_events_total",
			Help: "Raw events read by the normaliser, by provider and outcome: published (canonical events, one per event published), skipped (a type that means no canonical event).",
		}, []string{"provider", "outcome"}),
		metrics: consumers.NewMetrics(cfg.Registerer),
	}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(n.events); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// maxBytesInFlight bounds the raw events being normalised at once, by
// their data (see consumers.Config.MaxBytesInFlight), beside a bridge in the
// same process whose bodies in flight are bounded too. Typical raw events
// (a Shopify order is about 15 KiB) never reach it: Concurrency bounds them
// first; near the bridge's 1 MiB body limit, 8 of them run at once.
const maxBytesInFlight = 8 << 20

// ConsumerConfigs are the durable consumers the normaliser reads the raw
// events of every mapped provider with, one per raw stream (InStreams, in
// order). They ack without waiting for the server's confirmation: all
// Handle does is publish with ids COMMERCE deduplicates, so a lost ack
// costs one redelivery whose publishes the stream drops, while a confirmed
// ack would cost a round trip per raw event. Each has Concurrency handlers
// and the bytes in flight bound of its own; they share the metrics, which
// are labelled by the consumer's name alone.
func (n *Normaliser) ConsumerConfigs() []consumers.Config {
	var filters []string
	for _, p := range Providers() {
		filters = append(filters, n.cfg.InPrefix+"."+p+".>")
	}
	out := make([]consumers.Config, len(n.cfg.InStreams))
	for i, stream := range n.cfg.InStreams {
		out[i] = consumers.Config{
			Stream: stream, Name: n.cfg.Name, FilterSubjects: filters,
			Concurrency: n.cfg.Concurrency, MaxBytesInFlight: maxBytesInFlight, AckWithoutConfirmation: true,
			Logger: n.cfg.Logger, Metrics: n.metrics, TracerProvider: n.cfg.TracerProvider,
		}
	}
	return out
}

// SetUp creates the canonical stream and its bucket of claim-checked
// events (see claim), or updates them to the config.
func (n *Normaliser) SetUp(ctx context.Context) error {
	if _, err := n.js.CreateOrUpdateStream(ctx, n.cfg.streamConfig()); err != nil {
		return fmt.Errorf("stream %s: %w", n.cfg.OutStream, err)
	}
	_, err := claimcheck.EnsureBucket(ctx, n.js, n.cfg.OutStream, n.cfg.Replicas, n.cfg.Duplicates,
		"Canonical events of "+n.cfg.OutStream+" too large for a message (claim checks), published by the hookbridge commerce normaliser")
	return err
}

// Run sets up the canonical stream, then normalises every raw stream until
// ctx is cancelled (see consumers.Run), each through its own consumer. A
// consumer that cannot be set up stops the others (after their handlers in
// flight) and Run returns its error.
func (n *Normaliser) Run(ctx context.Context) error {
	if err := n.SetUp(ctx); err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	cfgs := n.ConsumerConfigs()
	done := make(chan error, len(cfgs))
	for _, c := range cfgs {
		go func() {
			err := consumers.Run(ctx, n.js, c, n.Handle)
			if err != nil {
				stop()
			}
			done <- err
		}()
	}
	var errs []error
	for range cfgs {
		errs = append(errs, <-done)
	}
	return errors.Join(errs...)
}

// Handle normalises one raw event: it publishes every canonical event the
// event means and returns after the last PubAck. A payload of a mapped type
// that cannot be mapped is Permanent (dead-lettered with the reason); a
// publish that fails is retried. A canonical event too large for a message
// is claim-checked first (see claim).
//
// Traced, each canonical event's publish is a producer span below the
// raw event's consumer span, and its traceparent header that span's
// context: the canonical events' consumers continue the delivery's trace.
// Their ce-traceparent is the raw event's, unchanged: the extension says
// where the event started, at ingest.
func (n *Normaliser) Handle(ctx context.Context, ev event.Event) error {
	raw, err := n.raw(ctx, ev)
	if err != nil {
		return consumers.Permanent(err)
	}
	msgs, err := messages(raw, n.cfg.PersonalData, n.hashKey)
	if err != nil {
		return consumers.Permanent(err)
	}
	if len(msgs) == 0 {
		n.events.WithLabelValues(raw.Provider, "skipped").Inc()
		return nil
	}
	for _, m := range msgs {
		if err := n.claim(ctx, m); err != nil {
			return fmt.Errorf("publishing %s: %w", m.Subject, err)
		}
		pubCtx, span := consumers.StartPublish(ctx, n.cfg.OutStream, m)
		pa, err := n.js.PublishMsg(pubCtx, m)
		consumers.EndPublish(span, pa, err)
		if err != nil {
			return fmt.Errorf("publishing %s: %w", m.Subject, err)
		}
		n.events.WithLabelValues(raw.Provider, "published").Inc()
	}
	return nil
}

// claim makes m, a canonical event whose data is too large for a message
// (the server's max_payload less claimcheck.HeaderRoom: an order of
// thousands of line items), a claim check, as the bridge does a webhook
// body: the data is stored as an object of the canonical stream's bucket
// (claimcheck.Bucket, set up by SetUp), named by the event's Nats-Msg-Id,
// and m carries the dataref, datasize and datadigest extensions and no
// data; consumers.Run resolves it before a consumer's handler. A redelivery
// within the duplicate window reuses the object its first attempt stored,
// and its publish is then the duplicate the stream drops. The limit is read
// from the connection at each event: a server not yet connected claims
// nothing, and the publish fails and is retried.
func (n *Normaliser) claim(ctx context.Context, m *nats.Msg) error {
	inline := n.js.Conn().MaxPayload() - claimcheck.HeaderRoom
	if inline <= 0 || int64(len(m.Data)) <= inline {
		return nil
	}
	bucket := claimcheck.Bucket(n.cfg.OutStream)
	obs, err := n.js.ObjectStore(ctx, bucket)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", bucket, err)
	}
	name := m.Header.Get(jetstream.MsgIDHeader)
	info, err := claimcheck.Store(ctx, obs, name, m.Data, time.Now().Add(-n.cfg.Duplicates))
	if err != nil {
		return fmt.Errorf("storing the event as object %q of bucket %s: %w", name, bucket, err)
	}
	claimcheck.Refer(m, bucket, info)
	return nil
}

// Published is one canonical event and the subject it is published on.
type Published struct {
	Subject string
	Event   event.Event
}

// Events is what a normaliser that keeps personal data publishes for raw,
// in order: none for a type that means no canonical event. An error wraps
// ErrUnusable. It lets a consumer's tests feed it what the normaliser would.
func Events(raw Raw) ([]Published, error) {
	return normalise(raw, PersonalKeep, nil)
}

// normalise is the canonical events of raw as sdk-go events.
func normalise(raw Raw, mode string, key []byte) ([]Published, error) {
	cs, err := canonicals(raw, mode, key)
	if err != nil {
		return nil, err
	}
	out := make([]Published, 0, len(cs))
	for _, c := range cs {
		ev, subject, err := Event(raw, c)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnusable, err)
		}
		out = append(out, Published{Subject: subject, Event: ev})
	}
	return out, nil
}

// messages is what the normaliser publishes for raw: the messages
// consumers.PublishEvent would publish for normalise's events, encoded
// directly (see message).
func messages(raw Raw, mode string, key []byte) ([]*nats.Msg, error) {
	cs, err := canonicals(raw, mode, key)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	source, err := ceSource(raw.EvSource)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusable, err)
	}
	out := make([]*nats.Msg, 0, len(cs))
	for _, c := range cs {
		m, err := message(raw, c, source)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnusable, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// canonicals maps raw and applies the personal data mode: the canonical
// events raw means, in the order they are published. An error wraps
// ErrUnusable.
func canonicals(raw Raw, mode string, key []byte) ([]Canonical, error) {
	cs, err := Map(raw)
	if err != nil {
		if !errors.Is(err, ErrUnusable) {
			err = fmt.Errorf("%w: %w", ErrUnusable, err)
		}
		return nil, err
	}
	var done []any // events of one raw event may share their data
	for _, c := range cs {
		if !slices.Contains(done, c.Data) {
			personal(mode, key, c.Data)
			done = append(done, c.Data)
		}
	}
	return cs, nil
}

// raw reads a raw event and, from its subject (<prefix>.<provider>.<source>.<type...>),
// the provider and hookbridge's source name.
func (n *Normaliser) raw(ctx context.Context, ev event.Event) (Raw, error) {
	d, ok := consumers.DeliveryFrom(ctx)
	if !ok {
		return Raw{}, errors.New("no delivery in the handler's context")
	}
	rest, ok := strings.CutPrefix(d.Subject, n.cfg.InPrefix+".")
	provider, rest, ok2 := strings.Cut(rest, ".")
	source, _, ok3 := strings.Cut(rest, ".")
	if !ok || !ok2 || !ok3 || provider == "" || source == "" {
		return Raw{}, fmt.Errorf("subject %q is not %s.<provider>.<source>.<type>", d.Subject, n.cfg.InPrefix)
	}
	return Raw{
		Provider: provider, Source: source, ID: ev.ID(), Type: ev.Type(), EvSource: ev.Source(),
		Subject: ev.Subject(), Time: ev.Time(), Data: ev.Data(),
		TraceParent: extension(ev, extTraceParent), TraceState: extension(ev, extTraceState),
	}, nil
}

// extension is ev's extension name as a string, "" when it has none.
func extension(ev event.Event, name string) string {
	s, _ := ev.Extensions()[name].(string)
	return s
}

// Providers lists the provider kinds the normaliser maps.
func Providers() []string {
	return []string{"shopify", "woocommerce", "stripe", "paddle", "razorpay", "square", "adyen",
		"bigcommerce", "shopware", "chargebee", "recurly", "lemonsqueezy", "mollie", "braintree", "ecwid", "paypal", "saleor", "adobe"}
}
