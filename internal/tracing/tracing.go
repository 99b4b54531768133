// Package tracing sets up OpenTelemetry tracing for hookbridge's programs
// from the standard OTEL_* environment variables and the tracing section of
// the config file (Settings), a set variable winning over the file's key.
//
// Tracing is off unless asked for, and off costs nothing: Start then
// returns a no-op TracerProvider, which the bridge recognises and skips
// entirely. It is on when OTEL_TRACES_EXPORTER is "otlp", or when it is
// unset and an OTLP endpoint is (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
// OTEL_EXPORTER_OTLP_ENDPOINT). OTEL_SDK_DISABLED=true and
// OTEL_TRACES_EXPORTER=none turn it off whatever else is set. The file's
// keys say the same (exporter, endpoint, ...; see Settings). This departs
// from the specification, whose default exporter is otlp: a bridge that
// nobody asked to trace must not try to reach a collector.
//
// Every variable is read through the getenv the program was given, never
// from the process environment directly, so tests configure it like the
// rest of a program. Variables the package does not name here (the batch
// processor's OTEL_BSP_*, the exporter's certificate files) keep the
// SDK's defaults and are read by the SDK itself.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Protocols of the OTLP exporter (OTEL_EXPORTER_OTLP_PROTOCOL).
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// Config is how a program traces, as the OTEL_* variables and the file say
// (FromSettings).
type Config struct {
	// Enabled turns tracing on; the rest matters only then.
	Enabled bool
	// Endpoint is the OTLP receiver's URL. For http/protobuf it is the
	// whole URL spans are posted to (".../v1/traces"); for grpc, the
	// server's address as a URL. An http:// URL means no TLS.
	Endpoint string
	// Protocol is ProtocolHTTP (the default) or ProtocolGRPC.
	Protocol string
	// Headers are sent with every export (often a credential: never log
	// them).
	Headers map[string]string
	// Timeout bounds one export; zero keeps the exporter's default (10 s).
	Timeout time.Duration
	// Gzip compresses exports.
	Gzip bool
	// Sampler decides which traces are recorded; nil means
	// parentbased_always_on, the specification's default.
	Sampler sdktrace.Sampler
	// Resource describes the program: service.name and the attributes of
	// OTEL_RESOURCE_ATTRIBUTES.
	Resource []attribute.KeyValue
}

// FromEnv reads the OTEL_* variables through getenv: FromSettings without
// a file.
func FromEnv(getenv func(string) string, service string) (Config, error) {
	return FromSettings(Settings{}, nil, getenv, service)
}

// Start returns the TracerProvider c describes, and the shutdown that
// exports what is still buffered and stops it: call it once, when the
// program ends, with a context that bounds the wait. Off, the provider is
// a no-op one and shutdown does nothing. The exporter connects lazily: an
// unreachable receiver does not stop the program, its spans are dropped.
func Start(ctx context.Context, c Config) (trace.TracerProvider, func(context.Context) error, error) {
	if !c.Enabled {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	var exp sdktrace.SpanExporter
	var err error
	if c.Protocol == ProtocolGRPC {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpointURL(c.Endpoint), otlptracegrpc.WithHeaders(c.Headers)}
		if c.Timeout > 0 {
			opts = append(opts, otlptracegrpc.WithTimeout(c.Timeout))
		}
		if c.Gzip {
			opts = append(opts, otlptracegrpc.WithCompressor("gzip"))
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	} else {
		opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(c.Endpoint), otlptracehttp.WithHeaders(c.Headers)}
		if c.Timeout > 0 {
			opts = append(opts, otlptracehttp.WithTimeout(c.Timeout))
		}
		if c.Gzip {
			opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		} else {
			opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.NoCompression))
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: otlp exporter: %w", err)
	}
	res, err := resource.New(ctx, resource.WithSchemaURL(semconv.SchemaURL), resource.WithTelemetrySDK(), resource.WithAttributes(c.Resource...))
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: resource: %w", err)
	}
	sampler := c.Sampler
	if sampler == nil {
		sampler = sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res), sdktrace.WithSampler(sampler))
	return tp, tp.Shutdown, nil
}

// Describe is what a start-up log line may say of c: the endpoint, the
// protocol and the sampler, never the headers.
func (c Config) Describe() []any {
	if !c.Enabled {
		return []any{"enabled", false}
	}
	sampler := "ParentBased{AlwaysOnSampler}"
	if c.Sampler != nil {
		sampler = c.Sampler.Description()
	}
	endpoint := c.Endpoint
	if u, err := url.Parse(endpoint); err == nil {
		endpoint = u.Redacted() // a password in the URL's user info is a credential
	}
	return []any{"enabled", true, "endpoint", endpoint, "protocol", c.Protocol, "sampler", sampler}
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// FlushTimeout bounds the export of the spans still buffered when a
// program stops.
const FlushTimeout = 5 * time.Second

// StartFrom is how every hookbridge program starts tracing: FromSettings
// (file is the config file's tracing section, the zero Settings when the
// program has none; service is the default service.name), Start, and a log
// line saying how (never the headers). stop exports what is still buffered,
// within FlushTimeout even if ctx is already cancelled: call it once, after
// the last span has ended. An error names the variable or the key that
// cannot be followed.
func StartFrom(ctx context.Context, file Settings, getenv func(string) string, service string, log *slog.Logger) (tp trace.TracerProvider, stop func(), err error) {
	tc, err := FromSettings(file, nil, getenv, service)
	if err != nil {
		return nil, nil, err
	}
	tp, shutdown, err := Start(ctx, tc)
	if err != nil {
		return nil, nil, err
	}
	log.Info("tracing", tc.Describe()...)
	return tp, func() {
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FlushTimeout)
		defer cancel()
		if err := shutdown(flushCtx); err != nil {
			log.Warn("spans not exported at shutdown", "error", err)
		}
	}, nil
}
