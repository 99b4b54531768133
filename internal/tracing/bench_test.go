package tracing_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookbridge/hookbridge/internal/tracing"
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
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer recv.Close()
	exporters := []struct {
		name string
		tp   func(b *testing.B) (trace.TracerProvider, func(context.Context) error)
	}{
		{"discard", func(*testing.B) (trace.TracerProvider, func(context.Context) error) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}), sdktrace.WithSampler(sdktrace.AlwaysSample()))
			return tp, tp.Shutdown
		}},
		{"otlp", func(b *testing.B) (trace.TracerProvider, func(context.Context) error) {
			env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL, "OTEL_TRACES_SAMPLER": "always_on"}
			c, err := tracing.FromEnv(envOf(env), "bench")
			if err != nil {
				b.Fatal(err)
			}
			tp, shutdown, err := tracing.Start(b.Context(), c)
			if err != nil {
				b.Fatal(err)
			}
			return tp, shutdown
		}},
	}
	for _, e := range exporters {
		for _, n := range [][2]int{{0, 0}, {12, 8}} {
			b.Run(fmt.Sprintf("%s/attrs=%d+%d", e.name, n[0], n[1]), func(b *testing.B) {
				tp, shutdown := e.tp(b)
				defer func() {
					if err := shutdown(context.Background()); err != nil {
						b.Error(err)
					}
				}()
				benchSpans(b, tp.Tracer("bench"), attrs("http.k", n[0], "/webhooks/acme-shop"), attrs("messaging.k", n[1], "webhooks.shopify.acme-shop.orders.create"))
			})
		}
	}
}

func benchSpans(b *testing.B, tr trace.Tracer, server, publish []attribute.KeyValue) {
	serverOpts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(server...)}
	publishOpts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(publish...)}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		ctx, s := tr.Start(context.Background(), "POST /webhooks/{source}", serverOpts...)
		_, p := tr.Start(ctx, "publish WEBHOOKS", publishOpts...)
		p.End()
		s.End()
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
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

// processCPU is this process's user+system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
