// Package tracelog puts the trace on log lines: trace_id and span_id of the
// span a record's context carries, so that a log line leads to its trace.
// The bridge and the consumer library both use it (consumers.LogHandler is
// its public face), so that every hookbridge log line names its span alike.
package tracelog

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// The keys of the ids, as the OpenTelemetry log data model names them.
const (
	KeyTraceID = "trace_id"
	KeySpanID  = "span_id"
)

// Append adds trace_id and span_id of the span in ctx to attrs; none when
// ctx holds no valid span (tracing off, or no span started).
func Append(ctx context.Context, attrs []slog.Attr) []slog.Attr {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		traceID, spanID := ids(sc)
		return append(attrs, traceID, spanID)
	}
	return attrs
}

func ids(sc trace.SpanContext) (traceID, spanID slog.Attr) {
	return slog.String(KeyTraceID, sc.TraceID().String()), slog.String(KeySpanID, sc.SpanID().String())
}

// Handler wraps h so that a record logged with a context that holds a
// valid span (slog's InfoContext and kin, or LogAttrs) gets trace_id and
// span_id; records without one pass as they are. Wrapping a handler that
// Handler made returns it as it is, so a logger never names its span twice.
// It is safe for concurrent use when h is.
func Handler(h slog.Handler) slog.Handler {
	if _, ok := h.(handler); ok {
		return h
	}
	return handler{h}
}

type handler struct{ next slog.Handler }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		traceID, spanID := ids(sc)
		r = r.Clone() // the caller's record may be handed to other handlers too
		r.AddAttrs(traceID, spanID)
	}
	return h.next.Handle(ctx, r)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler { return handler{h.next.WithAttrs(attrs)} }
func (h handler) WithGroup(name string) slog.Handler       { return handler{h.next.WithGroup(name)} }
