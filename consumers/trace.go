package consumers

import (
	"context"
	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookbridge/hookbridge/internal/tracelog"
	"github.com/hookbridge/hookbridge/internal/wire"
)

// Tracing, when Config.TracerProvider is set, runs each delivery in a
// consumer span "process <stream>" (messaging semantic conventions,
// operation type process). Its parent is the message's plain traceparent
// header, the publish that stored it, so a delivery is one trace from the
// platform's POST to every handler; the same context is also added as a
// link, as the conventions recommend for the creation context. Each
// delivery is a span of its own: a retried message shows as sibling spans
// under its publish, hookbridge.delivery.count telling them apart.
//
// The handler's ctx carries the span, so a team's own spans nest under it.
// The span records the settle decision (hookbridge.settle: ack, retry or
// dead_letter), the retry delay and the dead-letter reason; a dead letter's
// publish is a producer span below it. The dead letter keeps the message's
// own traceparent (Redrive puts it back, so a redriven message continues
// the trace where it started); one that had none gets its publish span's.
//
// The library's log lines about a delivery (a retry, a dead letter, an ack
// not confirmed) carry trace_id and span_id when it is traced, and so do a
// handler's own when it logs with its ctx through LogHandler.
//
// Without a provider, or with the no-op one, nothing is traced and nothing
// is allocated for it.

// tracerName is the instrumentation scope of the library's spans.
const tracerName = "github.com/hookbridge/hookbridge/consumers"

// Attributes of hookbridge's own; the rest are semantic conventions.
const (
	attrDeliveryCount    = attribute.Key("hookbridge.delivery.count")
	attrSequence         = attribute.Key("hookbridge.stream.sequence")
	attrSettle           = attribute.Key("hookbridge.settle")
	attrRetryDelay       = attribute.Key("hookbridge.retry.delay_ms")
	attrDeadLetterReason = attribute.Key("hookbridge.dead_letter.reason")
)

// traceContext reads and writes W3C trace context whatever propagator a
// program installed globally: the wire contract is W3C.
var traceContext propagation.TraceContext

var _ propagation.TextMapCarrier = wire.TraceCarrier{}

// tracerOf is the library's tracer, or nil when tp is nil or the no-op
// provider: every tracing step is then skipped.
func tracerOf(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		return nil
	}
	if _, ok := tp.(noop.TracerProvider); ok {
		return nil
	}
	return tp.Tracer(tracerName, trace.WithSchemaURL(semconv.SchemaURL))
}

// startProcess starts the consumer span of the n-th delivery of msg, the
// child of (and linked to) the context in its traceparent header.
func (w *worker) startProcess(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata) (context.Context, trace.Span) {
	h := msg.Headers()
	ctx = traceContext.Extract(ctx, wire.TraceCarrier{Header: h})
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		semconv.MessagingSystemKey.String("nats"),
		semconv.MessagingOperationTypeProcess,
		semconv.MessagingOperationName("process"),
		semconv.MessagingDestinationName(msg.Subject()),
		semconv.MessagingConsumerGroupName(w.cfg.Name),
		semconv.MessagingMessageID(h.Get(jetstream.MsgIDHeader)),
		semconv.MessagingMessageBodySize(len(msg.Data())),
		semconv.CloudEventsEventID(h.Get(wire.HeaderID)),
		semconv.CloudEventsEventType(h.Get(wire.HeaderType)),
		attrDeliveryCount.Int64(int64(md.NumDelivered)),
		attrSequence.Int64(int64(md.Sequence.Stream)),
	)}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
	}
	return w.tracer.Start(ctx, "process "+md.Stream, opts...)
}

// recordSettle records d on the span of the delivery. A retry or a dead
// letter marks the span as an error, with the cause cut as HeaderReason is.
func recordSettle(span trace.Span, d decision) {
	switch d.action {
	case ack:
		span.SetAttributes(attrSettle.String("ack"))
	case retry:
		span.SetAttributes(attrSettle.String("retry"), attrRetryDelay.Int64(d.delay.Milliseconds()),
			semconv.ErrorTypeKey.String("handler"))
		span.SetStatus(codes.Error, reasonHeader("retry", d.cause))
	case deadLetter:
		span.SetAttributes(attrSettle.String("dead_letter"), attrDeadLetterReason.String(d.reason),
			semconv.ErrorTypeKey.String(d.reason))
		span.SetStatus(codes.Error, reasonHeader(d.reason, d.cause))
	}
}

// StartPublish starts, below the span in ctx (a Handler's consumer span),
// the producer span "publish <stream>" of msg ("publish" when stream is
// not known, ""), and writes its context into
// msg's traceparent header: the next consumer continues from it. End it
// with EndPublish. Without a span in ctx (tracing off) it does nothing,
// allocates nothing, and returns ctx and a span that records nothing. A
// handler that publishes what it derives, as the normaliser does, calls it
// so that one trace runs on.
func StartPublish(ctx context.Context, stream string, msg *nats.Msg) (context.Context, trace.Span) {
	ctx, span := startPublish(ctx, stream, msg)
	if span.SpanContext().IsValid() {
		traceContext.Inject(ctx, wire.TraceCarrier{Header: msg.Header})
	}
	return ctx, span
}

// startPublish is StartPublish without writing the header; links are
// added to the span.
func startPublish(ctx context.Context, stream string, msg *nats.Msg, links ...trace.Link) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return ctx, parent
	}
	name := "publish"
	if stream != "" {
		name += " " + stream
	}
	return parent.TracerProvider().Tracer(tracerName, trace.WithSchemaURL(semconv.SchemaURL)).Start(ctx, name,
		trace.WithSpanKind(trace.SpanKindProducer), trace.WithLinks(links...), trace.WithAttributes(
			semconv.MessagingSystemKey.String("nats"),
			semconv.MessagingOperationTypeSend,
			semconv.MessagingOperationName("publish"),
			semconv.MessagingDestinationName(msg.Subject),
			semconv.MessagingMessageID(msg.Header.Get(jetstream.MsgIDHeader)),
			semconv.MessagingMessageBodySize(len(msg.Data)),
		))
}

// EndPublish records the PubAck's sequence, or that the publish failed,
// and ends span.
func EndPublish(span trace.Span, ack *jetstream.PubAck, err error) {
	if !span.IsRecording() {
		span.End()
		return
	}
	if err != nil {
		span.SetAttributes(semconv.ErrorTypeKey.String("publish"))
		span.SetStatus(codes.Error, "not stored")
	} else {
		span.SetAttributes(attrSequence.Int64(int64(ack.Sequence)))
	}
	span.End()
}

// deadLetterTrace starts the producer span of the dead letter dl, below
// the delivery's span in ctx. dl keeps the message's own traceparent; one
// that came without gets this span's.
func deadLetterTrace(ctx context.Context, stream string, dl *nats.Msg) trace.Span {
	ctx, span := startPublish(ctx, stream, dl)
	if dl.Header.Get(wire.HeaderTraceParent) == "" && span.SpanContext().IsValid() {
		traceContext.Inject(ctx, wire.TraceCarrier{Header: dl.Header})
	}
	return span
}

// redriveTrace starts, below the span in ctx (Redrive's caller's), the
// producer span of re-publishing out to stream, linked to the context of
// the message's first publish, which out keeps as its traceparent: the
// redriven delivery continues the trace it started in, and the redrive
// shows in the caller's trace. Without a span in ctx it does nothing.
func redriveTrace(ctx context.Context, stream string, out *nats.Msg) (context.Context, trace.Span) {
	if !trace.SpanFromContext(ctx).SpanContext().IsValid() {
		return startPublish(ctx, stream, out)
	}
	orig := trace.SpanContextFromContext(traceContext.Extract(context.Background(), wire.TraceCarrier{Header: out.Header}))
	if !orig.IsValid() {
		return startPublish(ctx, stream, out)
	}
	return startPublish(ctx, stream, out, trace.Link{SpanContext: orig})
}

// LogHandler wraps h so that a line logged with a context that holds a
// span gets the span's trace_id and span_id: a Handler that logs with its
// ctx (log.InfoContext(ctx, ...)) through a logger on this handler writes
// lines that lead to its delivery's trace, and to its own spans', which
// nest below it. Lines without a span, as every line is when tracing is
// off, pass as they are. Wrapping twice adds the ids once. It is safe for
// concurrent use when h is.
func LogHandler(h slog.Handler) slog.Handler {
	return tracelog.Handler(h)
}
