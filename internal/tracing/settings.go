package tracing

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/hookbridge/hookbridge/internal/config"
)

// Settings is the tracing section of a config file, for operators who
// prefer the file to the environment. Each key mirrors an OTEL_* variable
// and reads as it does; a variable that is set wins over its key, key by
// key, so that a deployment can override one thing without editing the
// file. Two keys go by pairs of variables: the endpoint variables replace
// endpoint and traces_endpoint together, and the headers and resource
// attributes variables replace the whole map rather than merge into it.
// OTEL_SDK_DISABLED=true turns tracing off whatever the file says.
type Settings struct {
	// Exporter is otlp or none (OTEL_TRACES_EXPORTER). Empty: tracing is on
	// when an endpoint is set, as with the variables.
	Exporter string `yaml:"exporter"`
	// Endpoint is the receiver's base URL (OTEL_EXPORTER_OTLP_ENDPOINT):
	// http/protobuf posts to its path followed by /v1/traces.
	Endpoint string `yaml:"endpoint"`
	// TracesEndpoint is the whole URL spans are sent to
	// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT); it wins over Endpoint.
	TracesEndpoint string `yaml:"traces_endpoint"`
	// Protocol is http/protobuf (the default) or grpc
	// (OTEL_EXPORTER_OTLP_PROTOCOL).
	Protocol string `yaml:"protocol"`
	// Headers are sent with every export (OTEL_EXPORTER_OTLP_HEADERS), as
	// written: no percent-decoding. Often a credential: use ${VAR}; no
	// message or log line shows a header's value.
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds one export (OTEL_EXPORTER_OTLP_TIMEOUT, which is in
	// milliseconds); default 10s.
	Timeout time.Duration `yaml:"timeout"`
	// Compression is gzip or none (OTEL_EXPORTER_OTLP_COMPRESSION).
	Compression string `yaml:"compression"`
	// ServiceName is the service.name of the spans (OTEL_SERVICE_NAME);
	// default the program's own.
	ServiceName string `yaml:"service_name"`
	// ResourceAttributes describe the program (OTEL_RESOURCE_ATTRIBUTES).
	ResourceAttributes map[string]string `yaml:"resource_attributes"`
	// Sampler and SamplerArg choose the sampler (OTEL_TRACES_SAMPLER,
	// OTEL_TRACES_SAMPLER_ARG): parentbased_always_on by default.
	Sampler    string `yaml:"sampler"`
	SamplerArg string `yaml:"sampler_arg"`
}

// Check reports every problem of s with the variables getenv gives (nil:
// none) laid over it, naming each field below f's root (may be nil: the
// file's "tracing") or the variable that set it. A value that came from
// ${VAR} is not shown, and a header's value never is.
func (s Settings) Check(f *config.Fields, getenv func(string) string) error {
	_, err := FromSettings(s, f, getenv, "")
	return err
}

// LoadSettings reads the tracing section of the config file at path, and
// only it: the other sections are other programs' to read and check. An
// empty path is no file: the zero Settings. The
// file must still be one YAML document, and an unknown key inside the
// tracing section is an error. Problems are reported as Load
// reports them (see config.Load) and as Check does, with getenv's
// variables laid over the file.
func LoadSettings(path string, getenv func(string) string) (Settings, error) {
	var file struct {
		Tracing Settings `yaml:"tracing"`
	}
	if path == "" {
		return file.Tracing, nil
	}
	f, err := config.Load(path, getenv, &file, config.IgnoreOtherSections())
	if f == nil {
		return Settings{}, err
	}
	errs := []error{err}
	if !f.Bad("tracing") {
		errs = append(errs, file.Tracing.Check(f.At("tracing"), getenv))
	}
	if err := errors.Join(errs...); err != nil {
		return Settings{}, err
	}
	return file.Tracing, nil
}

// FromSettings is how a program traces: file (the config file's tracing
// section, the zero Settings without one) with the OTEL_* variables getenv
// gives laid over it, key by key. f says how the file's values may be
// shown; nil is a file whose values may all be shown, at "tracing". service
// is the service.name used when neither OTEL_SERVICE_NAME, service_name
// nor a service.name attribute gives one. Every problem is reported,
// naming the variable or the key (never a header's value).
func FromSettings(file Settings, f *config.Fields, getenv func(string) string, service string) (Config, error) {
	if f == nil {
		f = f.At("tracing")
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	r := reader{f: f, getenv: getenv}
	var c Config
	traces, base := r.endpoints(file)
	switch exp := r.str("exporter", file.Exporter, "OTEL_TRACES_EXPORTER"); {
	case strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true"), strings.EqualFold(exp.value, "none"):
		return c, nil
	case strings.EqualFold(exp.value, "otlp"):
		c.Enabled = true
	case exp.value == "":
		c.Enabled = traces.value != "" || base.value != ""
	default:
		return c, fmt.Errorf("%s: %s is not supported (otlp or none)", exp.name, exp.shown)
	}
	if !c.Enabled {
		return c, nil
	}
	var errs []error
	protocol := r.str("protocol", file.Protocol, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
	c.Protocol = firstOf(protocol.value, ProtocolHTTP)
	if c.Protocol != ProtocolHTTP && c.Protocol != ProtocolGRPC {
		errs = append(errs, fmt.Errorf("%s: %s is not supported (%s or %s)", protocol.name, protocol.shown, ProtocolHTTP, ProtocolGRPC))
	}
	c.Endpoint, errs = endpointOf(c.Protocol, traces, base, errs)
	c.Headers, errs = r.pairs("headers", file.Headers, errs, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")
	c.Timeout, errs = r.timeout(file.Timeout, errs)
	switch comp := r.str("compression", file.Compression, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION"); comp.value {
	case "gzip":
		c.Gzip = true
	case "", "none":
	default:
		errs = append(errs, fmt.Errorf("%s: %s is not supported (gzip or none)", comp.name, comp.shown))
	}
	var err error
	sampler, arg := r.str("sampler", file.Sampler, "OTEL_TRACES_SAMPLER"), r.str("sampler_arg", file.SamplerArg, "OTEL_TRACES_SAMPLER_ARG")
	if c.Sampler, err = samplerOf(sampler, arg); err != nil {
		errs = append(errs, err)
	}
	attrs, errs := r.pairs("resource_attributes", file.ResourceAttributes, errs, "OTEL_RESOURCE_ATTRIBUTES")
	c.Resource = resourceOf(attrs, r.str("service_name", file.ServiceName, "OTEL_SERVICE_NAME").value, service)
	return c, errors.Join(errs...)
}

// reader reads each setting from the first of its variables that is set,
// else from the file's key.
type reader struct {
	f      *config.Fields
	getenv func(string) string
}

// setting is one value, with where it came from as a message names it (the
// variable, or the key's path) and the value as a message may show it.
type setting struct{ value, name, shown string }

// env is the first of vars that is set. Its value is not shown, as no
// value from the environment is: a variable may hold a secret, and
// messages end up in logs and tickets.
func (r reader) env(vars ...string) (setting, bool) {
	for _, v := range vars {
		if s := strings.TrimSpace(r.getenv(v)); s != "" {
			return setting{s, v, "its value"}, true
		}
	}
	return setting{}, false
}

// str is the first of vars that is set, else the file's value at key.
func (r reader) str(key, file string, vars ...string) setting {
	if s, ok := r.env(vars...); ok {
		return s
	}
	file = strings.TrimSpace(file)
	return setting{file, r.f.Path(key), r.f.Show(key, file)}
}

// endpoints are the signal's own endpoint and the base one: both from the
// variables when either is set, else both from the file, so that a
// variable never loses to a key.
func (r reader) endpoints(file Settings) (traces, base setting) {
	traces, okTraces := r.env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	base, okBase := r.env("OTEL_EXPORTER_OTLP_ENDPOINT")
	if okTraces || okBase {
		return traces, base
	}
	none := func(string) string { return "" }
	fileOnly := reader{f: r.f, getenv: none}
	return fileOnly.str("traces_endpoint", file.TracesEndpoint), fileOnly.str("endpoint", file.Endpoint)
}

// timeout is the export timeout: the variable's milliseconds, else the
// file's duration.
func (r reader) timeout(file time.Duration, errs []error) (time.Duration, []error) {
	if s, ok := r.env("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"); ok {
		ms, err := strconv.ParseUint(s.value, 10, 32)
		if err != nil || ms == 0 {
			errs = append(errs, fmt.Errorf("%s: %s is not a positive number of milliseconds", s.name, s.shown))
		}
		return time.Duration(ms) * time.Millisecond, errs
	}
	if file < 0 {
		errs = append(errs, fmt.Errorf("%s: must be greater than 0 (got %s)", r.f.Path("timeout"), r.f.Show("timeout", file)))
	}
	return max(file, 0), errs
}

// pairs is a map setting: the first of vars that is set, a
// "key=value,key2=value2" list with values percent-encoded, else the
// file's map at key, in key order. A bad entry is reported by its key
// alone: a header's value may be a credential.
func (r reader) pairs(key string, file map[string]string, errs []error, vars ...string) (map[string]string, []error) {
	s, ok := r.env(vars...)
	if !ok {
		return file, errs
	}
	m := make(map[string]string)
	for _, kv := range strings.Split(s.value, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		dec, err := url.PathUnescape(strings.TrimSpace(val))
		if !ok || k == "" || err != nil {
			errs = append(errs, fmt.Errorf("%s: the entry for %q is not key=percent-encoded-value", s.name, k))
			continue
		}
		m[k] = dec
	}
	return m, errs
}

// endpointOf is the exporter's URL. The signal's own endpoint is the whole
// URL; the base one is a base to which http/protobuf adds "v1/traces".
// Neither set (exporter otlp alone): the local default.
func endpointOf(protocol string, traces, base setting, errs []error) (string, []error) {
	s := traces
	if s.value == "" {
		s = base
	}
	if s.value == "" {
		s.value = "http://localhost:4318"
		if protocol == ProtocolGRPC {
			s.value = "http://localhost:4317"
		}
	}
	u, err := url.Parse(s.value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", append(errs, fmt.Errorf("%s: %s is not an http:// or https:// URL", s.name, s.shown))
	}
	if protocol == ProtocolHTTP && traces.value == "" {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	}
	return u.String(), errs
}

// resourceOf is the resource's attributes, in key order, with
// service.name from serviceName, else from the attributes, else service.
func resourceOf(attrs map[string]string, serviceName, service string) []attribute.KeyValue {
	var kvs []attribute.KeyValue
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if k == string(semconv.ServiceNameKey) {
			service = firstOf(serviceName, attrs[k])
			continue
		}
		kvs = append(kvs, attribute.String(k, attrs[k]))
	}
	return append(kvs, semconv.ServiceName(firstOf(serviceName, service)))
}

// samplerOf is the sampler name names, read as the SDK reads it; nil when
// unset.
func samplerOf(name, arg setting) (sdktrace.Sampler, error) {
	ratio := func() (sdktrace.Sampler, error) {
		if arg.value == "" {
			return sdktrace.TraceIDRatioBased(1), nil
		}
		r, err := strconv.ParseFloat(arg.value, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("%s: %s is not a ratio between 0 and 1", arg.name, arg.shown)
		}
		return sdktrace.TraceIDRatioBased(r), nil
	}
	switch strings.ToLower(name.value) {
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
	return nil, fmt.Errorf("%s: %s is not supported", name.name, name.shown)
}
