// Package otlptest is an OTLP/HTTP trace receiver for tests, built on the
// official OTLP protobuf definitions: a program under test exports to it
// exactly as it would to a collector, and the test reads back what
// arrived, resource and attributes included.
package otlptest

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/hookbridge/hookbridge/internal/tracing"
	"go.opentelemetry.io/otel/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Span is one span as it arrived, with the service.name of the resource
// it came under: one receiver may hear from several programs.
type Span struct {
	*tracepb.Span
	Service string
}

// TraceID is the span's trace id in the W3C text form (32 hex digits).
func (s Span) TraceID() string { return hex.EncodeToString(s.GetTraceId()) }

// SpanID is the span's id in the W3C text form (16 hex digits).
func (s Span) SpanID() string { return hex.EncodeToString(s.GetSpanId()) }

// ParentID is the parent's span id in the W3C text form; "" for a root.
func (s Span) ParentID() string { return hex.EncodeToString(s.GetParentSpanId()) }

// Attr is the attribute key's value as text (an integer in decimal, a
// boolean as true or false), and whether the span has it.
func (s Span) Attr(key string) (string, bool) {
	for _, a := range s.GetAttributes() {
		if a.GetKey() == key {
			return text(a.GetValue()), true
		}
	}
	return "", false
}

// text is an attribute value as text, for comparing with what a test
// expects whatever the value's type.
func text(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_DoubleValue:
		return strconv.FormatFloat(x.DoubleValue, 'g', -1, 64)
	default:
		return v.GetStringValue()
	}
}

// Receiver keeps every span posted to /v1/traces (binary protobuf, as the
// SDK's http/protobuf exporter sends). It is safe for concurrent use.
type Receiver struct {
	mu    sync.Mutex
	spans []Span
}

// Start serves a Receiver until the test ends and returns it with the URL
// to set as OTEL_EXPORTER_OTLP_ENDPOINT.
func Start(t testing.TB) (*Receiver, string) {
	t.Helper()
	r := &Receiver{}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv.URL
}

// ServeHTTP takes one export request; anything else is a 400, which the
// exporter reports.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	msg := new(coltrace.ExportTraceServiceRequest)
	if err != nil || req.URL.Path != "/v1/traces" || proto.Unmarshal(body, msg) != nil {
		http.Error(w, "want an OTLP trace export on /v1/traces", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range msg.GetResourceSpans() {
		service := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, Span{Span: s, Service: service})
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
}

// Spans is every span received so far, in the order they arrived.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Named is the spans received so far whose name is name.
func (r *Receiver) Named(name string) []Span {
	var out []Span
	for _, s := range r.Spans() {
		if s.GetName() == name {
			out = append(out, s)
		}
	}
	return out
}

// ChildOf is parent's child named name among spans, in parent's trace;
// the test fails without one.
func ChildOf(t testing.TB, spans []Span, parent Span, name string) Span {
	t.Helper()
	for _, s := range spans {
		if s.GetName() == name && s.ParentID() == parent.SpanID() && s.TraceID() == parent.TraceID() {
			return s
		}
	}
	t.Fatalf("no %q span below %q", name, parent.GetName())
	return Span{}
}

// Discarding is a TracerProvider that exports as hookbridge's programs do
// (tracing.FromEnv and tracing.Start, OTLP/HTTP) to a receiver in the
// process that reads each export and drops it: the exporting costs what it
// would against a collector, and nothing is kept. sampler and arg are
// OTEL_TRACES_SAMPLER and its argument. Everything is shut down when tb's
// test ends.
func Discarding(tb testing.TB, sampler, arg string) trace.TracerProvider {
	tb.Helper()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	tb.Cleanup(recv.Close)
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": recv.URL, "OTEL_TRACES_SAMPLER": sampler, "OTEL_TRACES_SAMPLER_ARG": arg}
	c, err := tracing.FromEnv(func(k string) string { return env[k] }, "hookbridge-bench")
	if err != nil {
		tb.Fatal(err)
	}
	tp, shutdown, err := tracing.Start(tb.Context(), c)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := shutdown(context.Background()); err != nil {
			tb.Error(err)
		}
	})
	return tp
}
