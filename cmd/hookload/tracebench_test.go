package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hookbridge/hookbridge/internal/tracing"
)

// export is an OTLP export of spans[i] spans in the i-th scope, two
// scopes a resource, with the names and ids a real one has.
func export(t testing.TB, spans ...int) []byte {
	t.Helper()
	req := &coltrace.ExportTraceServiceRequest{}
	for i, n := range spans {
		if i%2 == 0 {
			req.ResourceSpans = append(req.ResourceSpans, &tracepb.ResourceSpans{SchemaUrl: "https://opentelemetry.io/schemas/1.41.0"})
		}
		ss := &tracepb.ScopeSpans{SchemaUrl: "s"}
		for range n {
			ss.Spans = append(ss.Spans, &tracepb.Span{Name: "publish WEBHOOKS", TraceId: make([]byte, 16), SpanId: make([]byte, 8)})
		}
		rs := req.ResourceSpans[len(req.ResourceSpans)-1]
		rs.ScopeSpans = append(rs.ScopeSpans, ss)
	}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCountSpans: the receiver counts every span of an export, across
// resources and scopes, and refuses what is not protobuf.
func TestCountSpans(t *testing.T) {
	for _, tc := range []struct {
		spans []int
		want  int
	}{{nil, 0}, {[]int{1}, 1}, {[]int{3, 0, 2}, 5}, {[]int{512, 512}, 1024}} {
		if n, err := countSpans(export(t, tc.spans...)); err != nil || n != tc.want {
			t.Errorf("%v: %d spans, %v; want %d", tc.spans, n, err, tc.want)
		}
	}
	whole := export(t, 2, 3)
	if n, err := countSpans(whole[:len(whole)-3]); err == nil {
		t.Errorf("a truncated export counted %d spans", n)
	}
}

// FuzzCountSpans: whatever protobuf decodes as an export, countSpans
// counts as many spans in.
func FuzzCountSpans(f *testing.F) {
	f.Add(export(f, 1))
	f.Add(export(f, 3, 0, 2))
	f.Add([]byte{})
	f.Add([]byte("not protobuf"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var req coltrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			return
		}
		want := 0
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				want += len(ss.Spans)
			}
		}
		if n, err := countSpans(b); err != nil || n != want {
			t.Errorf("countSpans = %d, %v; protobuf decodes %d spans", n, err, want)
		}
	})
}

// TestOTLPReceiver: the bridge's own exporter, as the traced variants set
// it up, delivers to the receiver every span it ends, and the receiver's
// stats say so; a body that is no export is refused and counted.
func TestOTLPReceiver(t *testing.T) {
	counts := new(otlpCounts)
	srv := httptest.NewServer(otlpHandler(counts))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/traces", "application/x-protobuf", strings.NewReader("\xff\xff"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("garbage: %s", resp.Status)
	}

	p := benchPorts{otlp: srv.Listener.Addr().(*net.TCPAddr).Port}
	tp, stop := startTracing(t, traceEnv(variant{trace: &traceSetting{"d", "always_on", ""}}, p))
	tr := tp.Tracer("hookload-test")
	const n = 700 // more than one batch
	for range n {
		_, span := tr.Start(context.Background(), "publish WEBHOOKS")
		span.End()
	}
	stop()
	st, err := readOTLPStats(t.Context(), srv.URL+"/stats")
	if err != nil {
		t.Fatal(err)
	}
	if st.Spans != n || st.Exports < 2 || st.Bytes == 0 || st.Refused != 1 {
		t.Errorf("stats %+v, want %d spans in 2 exports or more, and 1 refused", st, n)
	}
}

// startTracing starts tracing as a hookbridge child with env would.
func startTracing(t *testing.T, env []string) (trace.TracerProvider, func()) {
	t.Helper()
	tp, stop, err := tracing.StartFrom(t.Context(), tracing.Settings{}, envList(env), "hookbridge", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return tp, stop
}

// envList reads env as a process would: a later value of a variable wins.
func envList(env []string) func(string) string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// TestTraceEnv: a traced variant's bridge traces, with its sampler, to the
// receiver's port; every other bridge is untraced even when the bench runs
// with an OTLP endpoint set.
func TestTraceEnv(t *testing.T) {
	p := benchPorts{otlp: 4318}
	bench := []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://other:4318/v1/traces"}
	for _, v := range append(variants, optInVariants...) {
		if !isBridge(v) {
			continue
		}
		c, err := tracing.FromEnv(envList(append(bench, traceEnv(v, p)...)), "hookbridge")
		if err != nil {
			t.Fatalf("%s: %v", v.key, err)
		}
		if c.Enabled != (v.trace != nil) {
			t.Errorf("%s: tracing %v", v.key, c.Enabled)
			continue
		}
		if v.trace == nil {
			continue
		}
		if c.Endpoint != "http://127.0.0.1:4318/v1/traces" || c.Gzip || c.Sampler == nil {
			t.Errorf("%s: %+v", v.key, c.Describe())
		}
		i := slices.IndexFunc(variants, func(b variant) bool { return b.key == v.trace.base })
		if i < 0 || variants[i].kind != v.kind || variants[i].sync != v.sync {
			t.Errorf("%s: base %q is not the same variant untraced", v.key, v.trace.base)
		}
	}
}
