// Package tracing sets up OpenTelemetry tracing for hookbridge's programs
// from the standard OTEL_* environment variables.
//
// Tracing is off unless asked for, and off costs nothing: Start then
// returns a no-op TracerProvider, which the bridge recognises and skips
// entirely. It is on when OTEL_TRACES_EXPORTER is "otlp", or when it is
// unset and an OTLP endpoint is (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
// OTEL_EXPORTER_OTLP_ENDPOINT). OTEL_SDK_DISABLED=true and
// OTEL_TRACES_EXPORTER=none turn it off whatever else is set. This departs
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
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
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

// Config is how a program traces, as the OTEL_* variables say (FromEnv).
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

// FromEnv reads the OTEL_* variables through getenv. service is the
// service.name used when neither OTEL_SERVICE_NAME nor a service.name in
// OTEL_RESOURCE_ATTRIBUTES gives one. Every problem is reported, naming the
// variable (never a header's value).
func FromEnv(getenv func(string) string, service string) (Config, error) {
	var c Config
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	tracesEndpoint, endpoint := env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), env("OTEL_EXPORTER_OTLP_ENDPOINT")
	switch exp := strings.ToLower(env("OTEL_TRACES_EXPORTER")); {
	case strings.EqualFold(env("OTEL_SDK_DISABLED"), "true"), exp == "none":
		return c, nil
	case exp == "otlp":
		c.Enabled = true
	case exp == "":
		c.Enabled = tracesEndpoint != "" || endpoint != ""
	default:
		return c, fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not supported (otlp or none)", exp)
	}
	if !c.Enabled {
		return c, nil
	}
	var errs []error
	c.Protocol = firstOf(env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), env("OTEL_EXPORTER_OTLP_PROTOCOL"), ProtocolHTTP)
	if c.Protocol != ProtocolHTTP && c.Protocol != ProtocolGRPC {
		errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not supported (%s or %s)", c.Protocol, ProtocolHTTP, ProtocolGRPC))
	}
	c.Endpoint, errs = endpointOf(c.Protocol, tracesEndpoint, endpoint, errs)
	c.Headers, errs = headersOf(firstOf(env("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), env("OTEL_EXPORTER_OTLP_HEADERS")), errs)
	if v := firstOf(env("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"), env("OTEL_EXPORTER_OTLP_TIMEOUT")); v != "" {
		ms, err := strconv.ParseUint(v, 10, 32)
		if err != nil || ms == 0 {
			errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_TIMEOUT: %q is not a positive number of milliseconds", v))
		}
		c.Timeout = time.Duration(ms) * time.Millisecond
	}
	switch v := firstOf(env("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"), env("OTEL_EXPORTER_OTLP_COMPRESSION")); v {
	case "gzip":
		c.Gzip = true
	case "", "none":
	default:
		errs = append(errs, fmt.Errorf("OTEL_EXPORTER_OTLP_COMPRESSION: %q is not supported (gzip or none)", v))
	}
	var err error
	if c.Sampler, err = samplerOf(env("OTEL_TRACES_SAMPLER"), env("OTEL_TRACES_SAMPLER_ARG")); err != nil {
		errs = append(errs, err)
	}
	c.Resource, errs = resourceOf(env("OTEL_RESOURCE_ATTRIBUTES"), firstOf(env("OTEL_SERVICE_NAME")), service, errs)
	return c, errors.Join(errs...)
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
	return []any{"enabled", true, "endpoint", c.Endpoint, "protocol", c.Protocol, "sampler", sampler}
}

// endpointOf is the exporter's URL. The signal's own variable is the whole
// URL; the general one is a base to which http/protobuf adds "v1/traces".
// Neither set (OTEL_TRACES_EXPORTER=otlp alone): the local default.
func endpointOf(protocol, traces, base string, errs []error) (string, []error) {
	name, v := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces
	if v == "" {
		name, v = "OTEL_EXPORTER_OTLP_ENDPOINT", base
	}
	if v == "" {
		name, v = "", "http://localhost:4318"
		if protocol == ProtocolGRPC {
			v = "http://localhost:4317"
		}
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", append(errs, fmt.Errorf("%s: %q is not an http:// or https:// URL", name, v))
	}
	if protocol == ProtocolHTTP && traces == "" {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	}
	return u.String(), errs
}

// pairsOf reads the "key=value,key2=value2" lists of name, values
// percent-encoded, in order. A bad entry is reported by its key alone: a
// header's value may be a credential.
func pairsOf(name, v string, errs []error) ([][2]string, []error) {
	var kvs [][2]string
	for _, kv := range strings.Split(v, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		dec, err := url.PathUnescape(strings.TrimSpace(val))
		if !ok || k == "" || err != nil {
			errs = append(errs, fmt.Errorf("%s: the entry for %q is not key=percent-encoded-value", name, k))
			continue
		}
		kvs = append(kvs, [2]string{k, dec})
	}
	return kvs, errs
}

// headersOf is OTEL_EXPORTER_OTLP_HEADERS (or the signal's own).
func headersOf(v string, errs []error) (map[string]string, []error) {
	kvs, errs := pairsOf("OTEL_EXPORTER_OTLP_HEADERS", v, errs)
	h := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		h[kv[0]] = kv[1]
	}
	return h, errs
}

// resourceOf is OTEL_RESOURCE_ATTRIBUTES with service.name from
// OTEL_SERVICE_NAME, else from the attributes, else service.
func resourceOf(attrs, serviceName, service string, errs []error) ([]attribute.KeyValue, []error) {
	pairs, errs := pairsOf("OTEL_RESOURCE_ATTRIBUTES", attrs, errs)
	var kvs []attribute.KeyValue
	for _, kv := range pairs {
		if kv[0] == string(semconv.ServiceNameKey) {
			service = firstOf(serviceName, kv[1])
			continue
		}
		kvs = append(kvs, attribute.String(kv[0], kv[1]))
	}
	return append(kvs, semconv.ServiceName(firstOf(serviceName, service))), errs
}

// samplerOf is the sampler OTEL_TRACES_SAMPLER names, read as the SDK reads
// it; nil when unset.
func samplerOf(name, arg string) (sdktrace.Sampler, error) {
	ratio := func() (sdktrace.Sampler, error) {
		if arg == "" {
			return sdktrace.TraceIDRatioBased(1), nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG: %q is not a ratio between 0 and 1", arg)
		}
		return sdktrace.TraceIDRatioBased(r), nil
	}
	switch strings.ToLower(name) {
	case "":
		return nil, nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return ratio()
	case "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "parentbased_traceidratio":
		s, err := ratio()
		if err != nil {
			return nil, err
		}
		return sdktrace.ParentBased(s), nil
	}
	return nil, fmt.Errorf("OTEL_TRACES_SAMPLER: %q is not supported", name)
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

// StartFromEnv is how every hookbridge program starts tracing: FromEnv
// (service is the default service.name), Start, and a log line saying how
// (never the headers). stop exports what is still buffered, within
// FlushTimeout even if ctx is already cancelled: call it once, after the
// last span has ended. An error names the variable that cannot be followed.
func StartFromEnv(ctx context.Context, getenv func(string) string, service string, log *slog.Logger) (tp trace.TracerProvider, stop func(), err error) {
	tc, err := FromEnv(getenv, service)
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
