package tracing_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace/noop"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/hookbridge/hookbridge/internal/tracing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnvSwitch(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		on   bool
	}{
		{"nothing set", nil, false},
		{"general endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{"exporter otlp alone", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{"exporter none beats endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, false},
		{"sdk disabled beats otlp", map[string]string{"OTEL_SDK_DISABLED": "TRUE", "OTEL_TRACES_EXPORTER": "otlp"}, false},
		{"sdk disabled false", map[string]string{"OTEL_SDK_DISABLED": "false", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, true},
		{"service name alone", map[string]string{"OTEL_SERVICE_NAME": "x"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tracing.FromEnv(envOf(tc.env), "hookbridge")
			if err != nil {
				t.Fatal(err)
			}
			if c.Enabled != tc.on {
				t.Errorf("Enabled = %v, want %v", c.Enabled, tc.on)
			}
		})
	}
}

func TestFromEnvEndpoint(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"base gets the signal path", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "http://collector:4318/v1/traces"},
		{"base with a path", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example.com/otlp/"}, "https://otel.example.com/otlp/v1/traces"},
		{"signal endpoint as is", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/custom", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://other:4318"}, "http://c:4318/custom"},
		{"default http", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, "http://localhost:4318/v1/traces"},
		{"default grpc", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "http://localhost:4317"},
		{"grpc base as is", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, "http://c:4317"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tracing.FromEnv(envOf(tc.env), "hookbridge")
			if err != nil {
				t.Fatal(err)
			}
			if c.Endpoint != tc.want {
				t.Errorf("Endpoint = %q, want %q", c.Endpoint, tc.want)
			}
		})
	}
}

func TestFromEnvSettings(t *testing.T) {
	c, err := tracing.FromEnv(envOf(map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":    "http://c:4318",
		"OTEL_EXPORTER_OTLP_HEADERS":     "Authorization=Bearer%20abc, X-Tenant = acme",
		"OTEL_EXPORTER_OTLP_TIMEOUT":     "2500",
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
		"OTEL_TRACES_SAMPLER":            "parentbased_traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":        "0.25",
		"OTEL_RESOURCE_ATTRIBUTES":       "deployment.environment.name=prod,service.name=from-attrs",
	}), "hookbridge")
	if err != nil {
		t.Fatal(err)
	}
	if c.Headers["Authorization"] != "Bearer abc" || c.Headers["X-Tenant"] != "acme" || len(c.Headers) != 2 {
		t.Errorf("Headers = %v", c.Headers)
	}
	if c.Timeout != 2500*time.Millisecond || !c.Gzip || c.Protocol != tracing.ProtocolHTTP {
		t.Errorf("Timeout, Gzip, Protocol = %v, %v, %q", c.Timeout, c.Gzip, c.Protocol)
	}
	if got := c.Sampler.Description(); !strings.Contains(got, "TraceIDRatioBased{0.25}") || !strings.HasPrefix(got, "ParentBased") {
		t.Errorf("Sampler = %s", got)
	}
	want := []attribute.KeyValue{attribute.String("deployment.environment.name", "prod"), attribute.String("service.name", "from-attrs")}
	if !equalAttrs(c.Resource, want) {
		t.Errorf("Resource = %v, want %v", c.Resource, want)
	}

	// OTEL_SERVICE_NAME wins over the attributes' service.name.
	c, err = tracing.FromEnv(envOf(map[string]string{
		"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SERVICE_NAME": "bridge-eu", "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs",
	}), "hookbridge")
	if err != nil {
		t.Fatal(err)
	}
	if want := []attribute.KeyValue{attribute.String("service.name", "bridge-eu")}; !equalAttrs(c.Resource, want) {
		t.Errorf("Resource = %v, want %v", c.Resource, want)
	}
	// Neither: the program's own name.
	c, _ = tracing.FromEnv(envOf(map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}), "hookbridge")
	if want := []attribute.KeyValue{attribute.String("service.name", "hookbridge")}; !equalAttrs(c.Resource, want) {
		t.Errorf("Resource = %v, want %v", c.Resource, want)
	}
}

func equalAttrs(a, b []attribute.KeyValue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFromEnvErrors(t *testing.T) {
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"exporter", "OTEL_TRACES_EXPORTER", "zipkin", "OTEL_TRACES_EXPORTER"},
		{"protocol", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{"endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"timeout", "OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "OTEL_EXPORTER_OTLP_TIMEOUT"},
		{"compression", "OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", "OTEL_EXPORTER_OTLP_COMPRESSION"},
		{"sampler", "OTEL_TRACES_SAMPLER", "jaeger_remote", "OTEL_TRACES_SAMPLER"},
		{"sampler arg", "OTEL_TRACES_SAMPLER_ARG", "1.5", "OTEL_TRACES_SAMPLER_ARG"},
		{"resource", "OTEL_RESOURCE_ATTRIBUTES", "novalue", "OTEL_RESOURCE_ATTRIBUTES"},
		{"header", "OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%zzsecret", `entry for "Authorization"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_TRACES_SAMPLER": "traceidratio", tc.key: tc.value}
			_, err := tracing.FromEnv(envOf(env), "hookbridge")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows a header's value: %v", err)
			}
		})
	}
}

func TestStartOff(t *testing.T) {
	tp, shutdown, err := tracing.Start(t.Context(), tracing.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tp.(noop.TracerProvider); !ok {
		t.Errorf("provider = %T, want noop.TracerProvider", tp)
	}
	if err := shutdown(t.Context()); err != nil {
		t.Error(err)
	}
}

// TestStartExportsOnShutdown: a span ended before shutdown reaches an OTLP
// receiver over http/protobuf by the time shutdown returns, with the
// configured headers and resource.
func TestStartExportsOnShutdown(t *testing.T) {
	var mu sync.Mutex
	var got []*coltrace.ExportTraceServiceRequest
	var auth string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := new(coltrace.ExportTraceServiceRequest)
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got, auth = append(got, req), r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer recv.Close()

	exportOne(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL,
		"OTEL_EXPORTER_OTLP_HEADERS":  "Authorization=Bearer%20t0ken",
		"OTEL_SERVICE_NAME":           "bridge-test",
	}, "one")

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || auth != "Bearer t0ken" {
		t.Fatalf("%d exports, Authorization %q; want 1 with the configured header", len(got), auth)
	}
	rs := got[0].GetResourceSpans()
	if len(rs) != 1 || len(rs[0].GetScopeSpans()) != 1 || len(rs[0].GetScopeSpans()[0].GetSpans()) != 1 {
		t.Fatalf("export = %v, want one span", got[0])
	}
	if name := rs[0].GetScopeSpans()[0].GetSpans()[0].GetName(); name != "one" {
		t.Errorf("span name = %q", name)
	}
	var service string
	for _, a := range rs[0].GetResource().GetAttributes() {
		if a.GetKey() == "service.name" {
			service = a.GetValue().GetStringValue()
		}
	}
	if service != "bridge-test" {
		t.Errorf("service.name = %q", service)
	}
}

// grpcReceiver is an OTLP/gRPC trace service that keeps the names of the
// spans it is sent and the metadata of the last export.
type grpcReceiver struct {
	coltrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	names []string
	auth  []string
}

func (g *grpcReceiver) Export(ctx context.Context, req *coltrace.ExportTraceServiceRequest) (*coltrace.ExportTraceServiceResponse, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	md, _ := metadata.FromIncomingContext(ctx)
	g.auth = md.Get("authorization")
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				g.names = append(g.names, s.GetName())
			}
		}
	}
	return &coltrace.ExportTraceServiceResponse{}, nil
}

// TestStartExportsOverGRPC: OTEL_EXPORTER_OTLP_PROTOCOL=grpc exports to an
// OTLP/gRPC server at the endpoint, with the configured headers as metadata.
func TestStartExportsOverGRPC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	recv := &grpcReceiver{}
	srv := grpc.NewServer()
	coltrace.RegisterTraceServiceServer(srv, recv)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()

	exportOne(t, map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + ln.Addr().String(),
		"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
		"OTEL_EXPORTER_OTLP_HEADERS":  "authorization=Bearer%20g",
	}, "over-grpc")
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if len(recv.names) != 1 || recv.names[0] != "over-grpc" || len(recv.auth) != 1 || recv.auth[0] != "Bearer g" {
		t.Errorf("received spans %v with authorization %v", recv.names, recv.auth)
	}
}

// exportOne starts tracing as env says, ends one span named name and shuts
// tracing down, which exports it.
func exportOne(t *testing.T, env map[string]string, name string) {
	t.Helper()
	c, err := tracing.FromEnv(envOf(env), "hookbridge")
	if err != nil {
		t.Fatal(err)
	}
	tp, shutdown, err := tracing.Start(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	_, span := tp.Tracer("test").Start(context.Background(), name)
	span.End()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDescribeHidesEndpointPassword: the start-up line names the endpoint
// but not a password written into its user info.
func TestDescribeHidesEndpointPassword(t *testing.T) {
	c, err := tracing.FromEnv(envOf(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:s3cret-pass@collector:4318"}), "x")
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprint(c.Describe()...)
	if strings.Contains(line, "s3cret-pass") || !strings.Contains(line, "collector:4318") {
		t.Errorf("described as %s", line)
	}
}
