package bridge

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// Publisher is what the bridge needs of JetStream: a publish that returns
// only once the stream has acknowledged the message. jetstream.JetStream
// satisfies it, and so does StreamPublisher, which the bridge uses.
type Publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// server holds what the delivery handler needs; it is immutable after
// NewServer and safe for concurrent use.
type server struct {
	cfg     Config
	sources map[string]*route
	pub     Publisher
	log     *slog.Logger
	metrics *Metrics
	budget  *bodyBudget
	// tracer is nil when tracing is off.
	tracer trace.Tracer
	// traceHeaders is how many trace headers a message gets beside the
	// CloudEvent's eight: sized for them, its header map does not grow.
	traceHeaders int
}

// route is one source with its precomputed subject base
// ("webhooks.shopify.acme-shop").
type route struct {
	Source
	subjectBase string
	// stream is where its deliveries must be stored: Source.Stream, else
	// Config.Stream.
	stream string
	// publishSpan is the name of its producer spans, "publish <stream>".
	publishSpan string
	// The counters of the two outcomes almost every delivery has.
	published, duplicate prometheus.Counter
	// spans holds what every span of the route's deliveries carries, built
	// once.
	spans routeSpans
	// activity is the source's record in Config.Activity; nil without one.
	activity *sourceActivity
	// log is the server's logger with the source and provider attributes,
	// written out once here rather than on every delivery's line.
	log *slog.Logger
	// The last CloudEvents source and data content type the route's
	// deliveries carried, in the form the message gets: a source names a
	// shop or an account, nearly always the same one for a route, and
	// its normal form and the media type check cost a parse each.
	lastSource      atomic.Pointer[normalSource]
	lastContentType atomic.Pointer[string]
}

// NewServer returns the webhook handler: POST /webhooks/{source}. Every
// route is here. log and metrics may be nil. Serve it on a listener wrapped
// by GuardFraming, so that requests with ambiguous framing are refused.
func NewServer(cfg Config, sources []Source, pub Publisher, log *slog.Logger, metrics *Metrics) (http.Handler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := validateSources(sources); err != nil {
		return nil, err
	}
	var streams []string // those deliveries are stored in
	for _, src := range sources {
		streams = append(streams, cmp.Or(src.Stream, cfg.Stream))
	}
	if err := cfg.Bodies.check(streams); err != nil {
		return nil, err
	}
	if pub == nil {
		return nil, fmt.Errorf("bridge: no publisher")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	s := &server{cfg: cfg, sources: make(map[string]*route, len(sources)), pub: pub, log: log, metrics: metrics,
		budget: &bodyBudget{limit: cfg.MaxBodyBytesInFlight, gauge: metrics.bodyBytes},
		tracer: tracerOf(cfg.TracerProvider)}
	if s.tracer != nil {
		s.traceHeaders = 2 // traceparent and ce-traceparent; tracestate only when sent
	}
	for _, src := range sources {
		stream := cmp.Or(src.Stream, cfg.Stream)
		s.sources[src.Name] = &route{
			stream:      stream,
			publishSpan: "publish " + stream,
			spans:       routeSpansOf(src),
			Source:      src,
			subjectBase: cfg.SubjectPrefix + "." + src.Provider.Kind() + "." + src.Name,
			published:   metrics.deliveries.WithLabelValues(src.Name, src.Provider.Kind(), string(outcomePublished)),
			duplicate:   metrics.deliveries.WithLabelValues(src.Name, src.Provider.Kind(), string(outcomeDuplicate)),
			activity:    cfg.Activity.of(src.Name),
			log:         log.With(slog.String("source", src.Name), slog.String("provider", src.Provider.Kind())),
		}
	}

	return s.routes(), nil
}
