package bridge

import (
	"context"
	"net"
	"net/http"
	"net/textproto"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookbridge/hookbridge/internal/wire"
)

// Tracing follows a delivery in the server span of the request ("POST
// /webhooks/{source}", the child of the sender's W3C traceparent when it
// sends one) and a producer span per message published ("publish
// <stream>"). The provider's verification is a "verify" event on the
// server span: it takes microseconds, and a span of its own cost every
// traced delivery 18 allocations, a tenth of all that tracing added. Only
// the kinds that may wait for their platform's keys over the network
// (Provider.FetchesKeys) verify in a "verify" span, where the wait shows.
// None of them carries a secret, a signature or a body: the outcome and
// the reason of a failure are the names the metrics use.
//
// Each published message carries two contexts:
//   - ce-traceparent (and ce-tracestate): the CloudEvents distributed
//     tracing extension, set once here at ingest to the delivery's server
//     span, where the event started; nothing downstream rewrites it. An
//     event whose provider already gives a traceparent extension keeps it.
//   - traceparent (and tracestate): the per-hop context, the publish span,
//     which a consumer continues from.
//
// The delivery's log line names its span (trace_id, span_id), so a log
// search leads to the trace and back.
//
// With tracing off neither header is written, not even for a sender's
// traceparent: the bridge then does nothing it would not do without
// tracing.

// tracerName is the instrumentation scope of the bridge's spans.
const tracerName = "github.com/hookbridge/hookbridge/bridge"

// deliveryRoute is the route of the delivery handler, as http.route.
const deliveryRoute = "/webhooks/{source}"

// Attributes of hookbridge's own; the rest are semantic conventions.
const (
	attrSource    = attribute.Key("hookbridge.source")
	attrProvider  = attribute.Key("hookbridge.provider")
	attrOutcome   = attribute.Key("hookbridge.outcome")
	attrReason    = attribute.Key("hookbridge.verification.failure")
	attrEvents    = attribute.Key("hookbridge.events")
	attrSequence  = attribute.Key("hookbridge.stream.sequence")
	attrDuplicate = attribute.Key("hookbridge.duplicate")
)

// Span names, options and attributes that never change, built once.
const deliverySpan = http.MethodPost + " " + deliveryRoute

var (
	serverKind       = trace.WithSpanKind(trace.SpanKindServer)
	producerKind     = trace.WithSpanKind(trace.SpanKindProducer)
	httpRoute        = semconv.HTTPRoute(deliveryRoute)
	messagingNATS    = semconv.MessagingSystemKey.String("nats")
	operationPublish = semconv.MessagingOperationName("publish")
)

// routeSpans is what the spans of a route's deliveries carry whatever the
// delivery: the server span's source and provider, and, for a provider
// that may fetch its keys, the verify span's options (nil otherwise: the
// verification is an event).
type routeSpans struct {
	attrs  [2]attribute.KeyValue
	verify []trace.SpanStartOption
}

func routeSpansOf(src Source) routeSpans {
	provider := attrProvider.String(src.Provider.Kind())
	rs := routeSpans{attrs: [2]attribute.KeyValue{attrSource.String(src.Name), provider}}
	if src.Provider.FetchesKeys() {
		rs.verify = []trace.SpanStartOption{trace.WithAttributes(provider)}
	}
	return rs
}

// hdrCETrace is the CloudEvents tracing extension's header: the W3C
// traceparent with the "ce-" prefix of binary mode.
const hdrCETrace = "ce-traceparent"

// traceContext reads and writes W3C trace context, whatever propagator the
// program may have installed globally: the wire contract is W3C.
var traceContext propagation.TraceContext

// requestCarrier reads W3C trace context from a request's header under
// the canonical names net/http stores them by. propagation.HeaderCarrier
// canonicalises each name it is asked for, an allocation per name and
// delivery for the two the bridge reads on every traced request.
type requestCarrier http.Header

// Get returns the first value of key, or "".
func (c requestCarrier) Get(key string) string {
	switch key {
	case wire.HeaderTraceParent:
		key = "Traceparent"
	case wire.HeaderTraceState:
		key = "Tracestate"
	default:
		key = textproto.CanonicalMIMEHeaderKey(key)
	}
	if vs := c[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Set replaces key's values with value.
func (c requestCarrier) Set(key, value string) { http.Header(c).Set(key, value) }

// Keys lists the header's names.
func (c requestCarrier) Keys() []string { return propagation.HeaderCarrier(c).Keys() }

// tracerOf is the bridge's tracer, or nil when tp is nil or the no-op
// provider: every tracing step is then skipped, so that tracing off costs
// no allocation on the delivery path.
func tracerOf(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		return nil
	}
	if _, ok := tp.(noop.TracerProvider); ok {
		return nil
	}
	return tp.Tracer(tracerName, trace.WithSchemaURL(semconv.SchemaURL))
}

// startDelivery starts the server span of a delivery, the child of the
// sender's traceparent if it sent a valid one, and returns r carrying it.
// The query string is left out: it may carry a token.
func (s *server) startDelivery(r *http.Request) (*http.Request, trace.Span) {
	ctx := traceContext.Extract(r.Context(), requestCarrier(r.Header))
	scheme := semconv.URLScheme("http")
	if r.TLS != nil {
		scheme = semconv.URLScheme("https")
	}
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, semconv.HTTPRequestMethodPost, httpRoute, semconv.URLPath(r.URL.Path), scheme)
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		attrs = append(attrs, semconv.ClientAddress(host))
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, semconv.UserAgentOriginal(ua))
	}
	ctx, span := s.tracer.Start(ctx, deliverySpan, serverKind, trace.WithAttributes(attrs...))
	return r.WithContext(ctx), span
}

// endDelivery records how the delivery ended, as answer decided it, and
// ends its span. As for any server span, only a 5xx is an error.
func endDelivery(span trace.Span, rt *route, dl deliveryLog, err error) {
	if !span.IsRecording() { // sampled out: nothing would be kept
		span.End()
		return
	}
	rule, out := result(err, dl)
	// One SetAttributes: each call costs the span a copy of its attributes.
	var buf [10]attribute.KeyValue
	attrs := append(buf[:0], semconv.HTTPResponseStatusCode(rule.status), attrOutcome.String(string(out)))
	if rt != nil {
		attrs = append(attrs, rt.spans.attrs[:]...)
	}
	if dl.id != "" {
		attrs = append(attrs, semconv.CloudEventsEventID(dl.id), semconv.CloudEventsEventType(dl.ceType))
	}
	if dl.events > 1 {
		attrs = append(attrs, attrEvents.Int(dl.events))
	}
	if rule.reason != "" {
		attrs = append(attrs, attrReason.String(rule.reason))
	}
	if rule.status >= 400 {
		attrs = append(attrs, semconv.ErrorTypeKey.String(string(out)))
	}
	span.SetAttributes(attrs...)
	if rule.status >= 500 {
		// The sentinel's words only: the whole error may name broker
		// internals or, for an unusable payload, a value of the body.
		span.SetStatus(codes.Error, rule.err.Error())
	}
	span.End()
}

// verify is the provider's verification. Tracing on, it is a "verify"
// event on the delivery's span, or, for a provider that may wait for its
// platform's keys, a span of its own; a failure gives either its
// error.type and reason, and marks the span as an error.
func (s *server) verify(ctx context.Context, rt *route, body []byte, h http.Header) error {
	if s.tracer == nil {
		return rt.Provider.Verify(body, h)
	}
	if rt.spans.verify == nil {
		err := rt.Provider.Verify(body, h)
		if err == nil {
			trace.SpanFromContext(ctx).AddEvent("verify")
		} else {
			trace.SpanFromContext(ctx).AddEvent("verify", trace.WithAttributes(verifyFailure(err)...))
		}
		return err
	}
	_, span := s.tracer.Start(ctx, "verify", rt.spans.verify...)
	err := rt.Provider.Verify(body, h)
	if err != nil {
		span.SetAttributes(verifyFailure(err)...)
		span.SetStatus(codes.Error, ruleFor(err).err.Error())
	}
	span.End()
	return err
}

// verifyFailure is what the verify event or span says of err: its
// outcome as error.type and, for a signature, the reason.
func verifyFailure(err error) []attribute.KeyValue {
	rule := ruleFor(err)
	attrs := []attribute.KeyValue{semconv.ErrorTypeKey.String(string(rule.outcome))}
	if rule.reason != "" {
		attrs = append(attrs, attrReason.String(rule.reason))
	}
	return attrs
}

// stampOrigin sets the CloudEvents tracing extension of msg to the
// delivery's span in ctx, unless the event already carries one.
func stampOrigin(ctx context.Context, msg *nats.Msg) {
	if msg.Header.Get(hdrCETrace) != "" {
		return
	}
	traceContext.Inject(ctx, wire.TraceCarrier{Header: msg.Header, Prefix: wire.HeaderPrefix})
}

// startPublish starts the producer span of one message, called name, and writes its
// context into the message's traceparent header. The attributes go to the
// sampler when the delivery's span records, else only to a span that
// records all the same: a sampled-out delivery does not build them.
func (s *server) startPublish(ctx context.Context, name string, msg *nats.Msg) (context.Context, trace.Span) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		ctx, span := s.tracer.Start(ctx, name, producerKind)
		if span.IsRecording() {
			span.SetAttributes(publishAttrs(msg)...)
		}
		traceContext.Inject(ctx, wire.TraceCarrier{Header: msg.Header})
		return ctx, span
	}
	ctx, span := s.tracer.Start(ctx, name, producerKind, trace.WithAttributes(publishAttrs(msg)...))
	traceContext.Inject(ctx, wire.TraceCarrier{Header: msg.Header})
	return ctx, span
}

// publishAttrs are the messaging conventions' attributes of msg's publish.
func publishAttrs(msg *nats.Msg) []attribute.KeyValue {
	return []attribute.KeyValue{
		messagingNATS, semconv.MessagingOperationTypeSend, operationPublish,
		semconv.MessagingDestinationName(msg.Subject),
		semconv.MessagingMessageID(msg.Header.Get(jetstream.MsgIDHeader)),
		semconv.CloudEventsEventID(msg.Header.Get(hdrID)),
	}
}

// endPublish records the PubAck, or the failure, and ends the span.
// A PubAck from another stream than the bridge's comes as err, as it fails
// the delivery.
func endPublish(span trace.Span, ack *jetstream.PubAck, err error) {
	switch {
	case !span.IsRecording():
	case err != nil:
		span.SetAttributes(semconv.ErrorTypeKey.String(string(outcomeUnavailable)))
		span.SetStatus(codes.Error, ErrUnavailable.Error())
	default:
		span.SetAttributes(attrSequence.Int64(int64(ack.Sequence)), attrDuplicate.Bool(ack.Duplicate))
	}
	span.End()
}

var _ propagation.TextMapCarrier = wire.TraceCarrier{}
