package tracing_test

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/internal/cputime"
	"github.com/hookbridge/hookbridge/internal/otlptest"
)

// BenchmarkSDKSpans is the OpenTelemetry SDK alone, with nothing of
// hookbridge's around it: per op, a server span and a producer span below
// it, started with a number of string attributes (none, or 12 and 8 as the
// bridge's delivery and publish spans have) and ended, every span sampled.
// "discard" batches them to an exporter that drops them; "otlp" exports
// them as Start builds it, over OTLP/HTTP to a receiver in the process that
// reads and drops each export. It is the floor under the bridge's cost of
// tracing every delivery: no bridge code can trace for less.
//
//	go test ./internal/tracing -run '^$' -bench SDKSpans -benchtime 50000x -count 3
func BenchmarkSDKSpans(b *testing.B) {
	exporters := []struct {
		name string
		tp   func(b *testing.B) trace.TracerProvider
	}{
		{"discard", func(b *testing.B) trace.TracerProvider {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}), sdktrace.WithSampler(sdktrace.AlwaysSample()))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			return tp
		}},
		{"otlp", func(b *testing.B) trace.TracerProvider { return otlptest.Discarding(b, "always_on", "") }},
	}
	for _, e := range exporters {
		for _, n := range [][2]int{{0, 0}, {12, 8}} {
			b.Run(fmt.Sprintf("%s/attrs=%d+%d", e.name, n[0], n[1]), func(b *testing.B) {
				tr := e.tp(b).Tracer("bench")
				benchSpans(b, tr, attrs("http.k", n[0], "/webhooks/acme-shop"), attrs("messaging.k", n[1], "webhooks.shopify.acme-shop.orders.create"))
			})
		}
	}
}

func benchSpans(b *testing.B, tr trace.Tracer, server, publish []attribute.KeyValue) {
	serverOpts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(server...)}
	publishOpts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(publish...)}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Self()
	for range b.N {
		ctx, s := tr.Start(context.Background(), "POST /webhooks/{source}", serverOpts...)
		_, p := tr.Start(ctx, "publish WEBHOOKS", publishOpts...)
		p.End()
		s.End()
	}
	b.ReportMetric(float64(cputime.Self()-cpu)/float64(b.N), "cpu-ns/op")
}

func attrs(prefix string, n int, value string) []attribute.KeyValue {
	kvs := make([]attribute.KeyValue, n)
	for i := range kvs {
		kvs[i] = attribute.String(fmt.Sprintf("%s%d", prefix, i), value)
	}
	return kvs
}

// discard is an exporter that drops every span.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }
