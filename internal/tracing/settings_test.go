package tracing_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/hookbridge/hookbridge/internal/config"
	"github.com/hookbridge/hookbridge/internal/tracing"
)

// writeFile writes a config file for LoadSettings and returns its path.
func writeFile(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hookbridge.yaml")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fullFile sets every key, among sections of other programs that
// LoadSettings must leave alone (and that would not pass their checks).
const fullFile = `
log: {level: chatty}
sources: [{name: "Not A Name"}]
tracing:
  exporter: otlp
  endpoint: http://collector:4318/base
  protocol: http/protobuf
  headers:
    Authorization: "Bearer ${OTLP_TOKEN}"
    X-Tenant: acme
  timeout: 2500ms
  compression: gzip
  service_name: bridge-eu
  resource_attributes: {deployment.environment.name: prod}
  sampler: parentbased_traceidratio
  sampler_arg: 0.25
`

func TestSettingsFileOnly(t *testing.T) {
	getenv := envOf(map[string]string{"OTLP_TOKEN": "t0ken"})
	s, err := tracing.LoadSettings(writeFile(t, fullFile), getenv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tracing.FromSettings(s, nil, getenv, "hookbridge")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Enabled || c.Endpoint != "http://collector:4318/base/v1/traces" || c.Protocol != tracing.ProtocolHTTP ||
		c.Timeout != 2500*time.Millisecond || !c.Gzip {
		t.Errorf("config = %+v", c)
	}
	if c.Headers["Authorization"] != "Bearer t0ken" || c.Headers["X-Tenant"] != "acme" || len(c.Headers) != 2 {
		t.Errorf("headers: %d, X-Tenant %q", len(c.Headers), c.Headers["X-Tenant"])
	}
	if d := c.Sampler.Description(); d != "ParentBased{root:TraceIDRatioBased{0.25},remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}" {
		t.Errorf("sampler = %s", d)
	}
	want := []attribute.KeyValue{attribute.String("deployment.environment.name", "prod"), attribute.String("service.name", "bridge-eu")}
	if !equalAttrs(c.Resource, want) {
		t.Errorf("Resource = %v, want %v", c.Resource, want)
	}
	// The start-up log line says where spans go, never with what credential.
	if d := fmt.Sprint(c.Describe()...); strings.Contains(d, "t0ken") || !strings.Contains(d, "collector:4318") {
		t.Errorf("Describe = %s", d)
	}
}

// TestSettingsEnvWins: each variable that is set replaces its key, and
// only its key.
func TestSettingsEnvWins(t *testing.T) {
	env := map[string]string{
		"OTLP_TOKEN":                         "t0ken",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://other:4318/custom",
		"OTEL_EXPORTER_OTLP_HEADERS":         "X-Env=1",
		"OTEL_EXPORTER_OTLP_TIMEOUT":         "700",
		"OTEL_SERVICE_NAME":                  "from-env",
		"OTEL_TRACES_SAMPLER":                "always_off",
	}
	s, err := tracing.LoadSettings(writeFile(t, fullFile), envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tracing.FromSettings(s, nil, envOf(env), "hookbridge")
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "http://other:4318/custom" || c.Timeout != 700*time.Millisecond || c.Sampler.Description() != "AlwaysOffSampler" {
		t.Errorf("endpoint %q, timeout %s, sampler %s", c.Endpoint, c.Timeout, c.Sampler.Description())
	}
	if len(c.Headers) != 1 || c.Headers["X-Env"] != "1" {
		t.Errorf("headers = %d entries; want the variable's one", len(c.Headers))
	}
	// The keys no variable names keep the file's value.
	if !c.Gzip || c.Protocol != tracing.ProtocolHTTP {
		t.Errorf("gzip %v, protocol %q", c.Gzip, c.Protocol)
	}
	want := []attribute.KeyValue{attribute.String("deployment.environment.name", "prod"), attribute.String("service.name", "from-env")}
	if !equalAttrs(c.Resource, want) {
		t.Errorf("Resource = %v, want %v", c.Resource, want)
	}

	// The base endpoint variable replaces the file's traces_endpoint too: a
	// set variable never loses to a key.
	s = tracing.Settings{TracesEndpoint: "http://file:4318/x"}
	c, err = tracing.FromSettings(s, nil, envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318"}), "x")
	if err != nil || c.Endpoint != "http://env:4318/v1/traces" {
		t.Errorf("endpoint = %q, %v", c.Endpoint, err)
	}
}

func TestSettingsSwitch(t *testing.T) {
	for _, tc := range []struct {
		name string
		file tracing.Settings
		env  map[string]string
		on   bool
	}{
		{"file endpoint", tracing.Settings{Endpoint: "http://c:4318"}, nil, true},
		{"file otlp", tracing.Settings{Exporter: "otlp"}, nil, true},
		{"file none beats its endpoint", tracing.Settings{Exporter: "none", Endpoint: "http://c:4318"}, nil, false},
		{"env none beats file otlp", tracing.Settings{Exporter: "otlp"}, map[string]string{"OTEL_TRACES_EXPORTER": "none"}, false},
		{"sdk disabled beats file", tracing.Settings{Exporter: "otlp"}, map[string]string{"OTEL_SDK_DISABLED": "true"}, false},
		{"env otlp beats file none", tracing.Settings{Exporter: "none"}, map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{"nothing", tracing.Settings{ServiceName: "x"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tracing.FromSettings(tc.file, nil, envOf(tc.env), "x")
			if err != nil || c.Enabled != tc.on {
				t.Errorf("Enabled = %v, %v; want %v", c.Enabled, err, tc.on)
			}
		})
	}
}

// TestSettingsErrors: a bad value is named by its key's path (and line,
// when it cannot be decoded), or by the variable that set it; a value from
// ${VAR} is named, not shown; a header's value never appears.
func TestSettingsErrors(t *testing.T) {
	env := map[string]string{"PROTO": "h2-secretish", "TOKEN": "Bearer%zzs3cret"}
	for _, tc := range []struct{ name, section, want string }{
		{"exporter", "exporter: zipkin", `tracing.exporter: "zipkin" is not supported (otlp or none)`},
		{"protocol", "exporter: otlp\n  protocol: http/json", `tracing.protocol: "http/json" is not supported (http/protobuf or grpc)`},
		{"protocol from env", "exporter: otlp\n  protocol: ${PROTO}", `tracing.protocol: the value of ${PROTO} is not supported`},
		{"endpoint", "endpoint: collector:4318", `tracing.endpoint: "collector:4318" is not an http:// or https:// URL`},
		{"traces endpoint", "traces_endpoint: ftp://c", `tracing.traces_endpoint: "ftp://c" is not an http:// or https:// URL`},
		{"timeout", "exporter: otlp\n  timeout: 10", `:5: tracing.timeout: "10" is not a duration`},
		{"negative timeout", "exporter: otlp\n  timeout: -1s", `tracing.timeout: must be greater than 0 (got -1s)`},
		{"compression", "exporter: otlp\n  compression: zstd", `tracing.compression: "zstd" is not supported (gzip or none)`},
		{"sampler", "exporter: otlp\n  sampler: jaeger_remote", `tracing.sampler: "jaeger_remote" is not supported`},
		{"sampler arg", "exporter: otlp\n  sampler: traceidratio\n  sampler_arg: 1.5", `tracing.sampler_arg: "1.5" is not a ratio between 0 and 1`},
		{"headers", "exporter: otlp\n  headers: [Bearer-s3cret]", `:5: tracing.headers: expected a mapping, found a list`},
		{"unknown key", "exporter: otlp\n  endpiont: http://c", `:5: unknown key "endpiont" in tracing (did you mean "endpoint"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "log: {level: chatty}\n\ntracing:\n  "+tc.section+"\n")
			_, err := tracing.LoadSettings(path, envOf(env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("err shows a value from the environment or a header: %v", err)
			}
		})
	}
	// A header variable's bad entry is named by its key alone.
	_, err := tracing.FromSettings(tracing.Settings{Exporter: "otlp"}, nil, envOf(map[string]string{"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=" + env["TOKEN"]}), "x")
	if err == nil || !strings.Contains(err.Error(), `OTEL_EXPORTER_OTLP_HEADERS: the entry for "Authorization"`) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v", err)
	}
	if _, err := tracing.LoadSettings(filepath.Join(t.TempDir(), "none.yaml"), nil); !errors.Is(err, config.ErrNoConfig) {
		t.Errorf("missing file: %v", err)
	}
}
