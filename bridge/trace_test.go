package bridge_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookbridge/hookbridge/bridge"
	"github.com/hookbridge/hookbridge/bridge/keys"
	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

// withTracerProvider traces the bridge with tp.
func withTracerProvider(tp trace.TracerProvider) harnessOption {
	return func(c *bridge.Config) { c.TracerProvider = tp }
}

// A sender's context, as a platform that traces would send it.
const (
	inboundTrace  = "4bf92f3577b34da6a3ce929d0e0e4736"
	inboundParent = "00f067aa0ba902b7"
	inboundTP     = "00-" + inboundTrace + "-" + inboundParent + "-01"
)

// tracedHarness is a harness whose bridge records every span it ends.
func tracedHarness(t *testing.T) (*harness, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	return newHarness(t, withTracerProvider(tp)), exp
}

// serverSpan waits for the delivery's server span, which ends just after
// the answer is written, and returns every span recorded by then.
func serverSpan(t *testing.T, exp *tracetest.InMemoryExporter) (tracetest.SpanStub, tracetest.SpanStubs) {
	t.Helper()
	var srv tracetest.SpanStub
	var spans tracetest.SpanStubs
	natstest.Eventually(t, natstest.Patience, "the delivery's server span", func() bool {
		spans = exp.GetSpans()
		for _, s := range spans {
			if s.SpanKind == trace.SpanKindServer {
				srv = s
				return true
			}
		}
		return false
	})
	return srv, spans
}

func names(spans tracetest.SpanStubs) []string {
	var n []string
	for _, s := range spans {
		n = append(n, s.Name)
	}
	return n
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

// wantAttrs checks the attributes of s named in want, by their printed value.
func wantAttrs(t *testing.T, s tracetest.SpanStub, want map[string]string) {
	t.Helper()
	got := attrs(s)
	for k, v := range want {
		if g, ok := got[attribute.Key(k)]; !ok || g.Emit() != v {
			t.Errorf("%s: %s = %q, want %q", s.Name, k, g.Emit(), v)
		}
	}
}

func only(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans named %q, want 1; spans: %v", len(found), name, names(spans))
	}
	return found[0]
}

// TestTraceDelivery: a stored delivery is a server span parented on the
// sender's traceparent, with a verify event and a publish span below it;
// the message carries the delivery's span as ce-traceparent and the
// publish span as traceparent.
func TestTraceDelivery(t *testing.T) {
	h, exp := tracedHarness(t)
	body, hdr := h.delivery("shop", "", "traced-1")
	hdr.Set("Traceparent", inboundTP)
	hdr.Set("Tracestate", "vendor=abc")
	if a := h.post(http.MethodPost, "shop", body, hdr); a.code != 200 {
		t.Fatalf("status %d: %s", a.code, a.raw)
	}
	srv, spans := serverSpan(t, exp)
	msg := h.lastStored()

	if got := srv.Parent.TraceID().String(); got != inboundTrace || srv.Parent.SpanID().String() != inboundParent || !srv.Parent.IsRemote() {
		t.Errorf("server span parent = %s/%s remote=%v, want the sender's %s/%s", got, srv.Parent.SpanID(), srv.Parent.IsRemote(), inboundTrace, inboundParent)
	}
	if srv.Name != "POST /webhooks/{source}" || srv.Status.Code != codes.Unset {
		t.Errorf("server span %q status %v", srv.Name, srv.Status)
	}
	wantAttrs(t, srv, map[string]string{
		"http.request.method":       "POST",
		"http.route":                "/webhooks/{source}",
		"url.path":                  "/webhooks/shop",
		"http.response.status_code": "200",
		"hookbridge.outcome":        "published",
		"hookbridge.source":         "shop",
		"hookbridge.provider":       "shopify",
		"cloudevents.event_id":      "traced-1",
		"cloudevents.event_type":    msg.Header.Get("ce-type"),
	})

	if ev := verifyEvent(t, srv); len(ev.Attributes) != 0 {
		t.Errorf("verify event of a good signature: %v", ev.Attributes)
	}
	pub := only(t, spans, "publish WEBHOOKS")
	if pub.Parent.SpanID() != srv.SpanContext.SpanID() || pub.SpanContext.TraceID() != srv.SpanContext.TraceID() {
		t.Errorf("%s is not a child of the delivery's span", pub.Name)
	}
	if len(spans) != 2 {
		t.Errorf("spans %v, want the delivery and its publish", names(spans))
	}
	if pub.SpanKind != trace.SpanKindProducer {
		t.Errorf("publish span kind %v", pub.SpanKind)
	}
	wantAttrs(t, pub, map[string]string{
		"messaging.system":           "nats",
		"messaging.operation.type":   "send",
		"messaging.destination.name": msg.Subject,
		"messaging.message.id":       "shop:traced-1",
		"cloudevents.event_id":       "traced-1",
		"hookbridge.stream.sequence": fmt.Sprint(msg.Sequence),
		"hookbridge.duplicate":       "false",
	})

	if l := h.logs.String(); !strings.Contains(l, `"trace_id":"`+inboundTrace+`","span_id":"`+srv.SpanContext.SpanID().String()+`"`) {
		t.Errorf("the delivery's log line does not name its span: %s", l)
	}

	sampled := func(s tracetest.SpanStub) string {
		return "00-" + inboundTrace + "-" + s.SpanContext.SpanID().String() + "-01"
	}
	for name, want := range map[string]string{
		"ce-traceparent": sampled(srv), "ce-tracestate": "vendor=abc",
		"traceparent": sampled(pub), "tracestate": "vendor=abc",
	} {
		if got := msg.Header.Get(name); got != want {
			t.Errorf("message header %s = %q, want %q", name, got, want)
		}
	}
}

// TestTraceDeliveryFailure: a bad signature ends the delivery's span with
// the outcome and the reason, as a 4xx (not an error of the server), the
// verify event with the same, and publishes nothing; no span shows the
// body or the signature.
func TestTraceDeliveryFailure(t *testing.T) {
	h, exp := tracedHarness(t)
	body, hdr := h.delivery("shop", "", "traced-bad")
	body, hdr = tampered("shopify", body, hdr)
	if a := h.post(http.MethodPost, "shop", body, hdr); a.code != 401 {
		t.Fatalf("status %d: %s", a.code, a.raw)
	}
	srv, spans := serverSpan(t, exp)
	if srv.Parent.IsValid() {
		t.Errorf("a delivery without traceparent has a parent: %v", srv.Parent)
	}
	wantAttrs(t, srv, map[string]string{
		"http.response.status_code":       "401",
		"hookbridge.outcome":              "unauthorized",
		"hookbridge.verification.failure": "mismatch",
		"error.type":                      "unauthorized",
	})
	if srv.Status.Code != codes.Unset {
		t.Errorf("server span status %v; a 4xx is the sender's failure", srv.Status)
	}
	ev := verifyEvent(t, srv)
	wantAttrs(t, tracetest.SpanStub{Name: "verify event", Attributes: ev.Attributes}, map[string]string{
		"error.type": "unauthorized", "hookbridge.verification.failure": "mismatch",
	})
	if len(spans) != 1 {
		t.Errorf("spans %v, want the delivery's only", names(spans))
	}
	sig := hdr.Get("X-Shopify-Hmac-Sha256")
	for _, s := range spans {
		for _, kv := range s.Attributes {
			if v := kv.Value.Emit(); strings.Contains(v, sig) || (len(v) > 16 && strings.Contains(string(body), v)) {
				t.Errorf("%s: %s shows the signature or the body", s.Name, kv.Key)
			}
		}
	}
}

// verifyEvent is the one "verify" event of the delivery's span s.
func verifyEvent(t *testing.T, s tracetest.SpanStub) sdktrace.Event {
	t.Helper()
	var found []sdktrace.Event
	for _, e := range s.Events {
		if e.Name == "verify" {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d verify events on %s, want 1: %v", len(found), s.Name, s.Events)
	}
	return found[0]
}

// TestTraceVerifyKeys: a provider that may wait for its platform's keys
// verifies in a span of its own below the delivery's, where the wait
// shows: an error while the keys cannot be had, and no verify event.
func TestTraceVerifyKeys(t *testing.T) {
	roots, newHost := testCA(t)
	shop := newHost()
	apiURL := shop.URL + "/graphql/"
	fetcher := keys.New(keys.Config{RootCAs: roots, MinRefresh: time.Nanosecond})
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	h := newHarnessWith(t, []testSource{{"saleor-shop", provider.Config{Kind: "saleor", APIURL: apiURL, Keys: fetcher}}}, withTracerProvider(tp))
	hdr := saleorHeader(apiURL, shop.host())
	for _, step := range []struct {
		name   string
		serve  bool
		status int
		code   codes.Code
	}{{"keys unavailable", false, 503, codes.Error}, {"keys served", true, 200, codes.Unset}} {
		exp.Reset()
		if step.serve {
			shop.serve("/.well-known/jwks.json", []byte(saleorJWKS))
		}
		if a := h.post(http.MethodPost, "saleor-shop", []byte(saleorBody), hdr); a.code != step.status {
			t.Fatalf("%s: status %d: %s", step.name, a.code, a.raw)
		}
		srv, spans := serverSpan(t, exp)
		verify := only(t, spans, "verify")
		if verify.Parent.SpanID() != srv.SpanContext.SpanID() || verify.Status.Code != step.code {
			t.Errorf("%s: verify span parent %s status %v, want %s and %v", step.name, verify.Parent.SpanID(), verify.Status, srv.SpanContext.SpanID(), step.code)
		}
		wantAttrs(t, verify, map[string]string{"hookbridge.provider": "saleor"})
		for _, e := range srv.Events {
			if e.Name == "verify" {
				t.Errorf("%s: a verify event beside the verify span", step.name)
			}
		}
	}
}

// TestTraceSampledOut: a delivery the sampler drops records no span, but
// its message still carries the context, unsampled, for a consumer to
// continue, and its log line still names it.
func TestTraceSampledOut(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.NeverSample()))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	h := newHarness(t, withTracerProvider(tp))
	body, hdr := h.delivery("shop", "", "sampled-out-1")
	if a := h.post(http.MethodPost, "shop", body, hdr); a.code != 200 {
		t.Fatalf("status %d: %s", a.code, a.raw)
	}
	msg := h.lastStored()
	origin, hop := msg.Header.Get("ce-traceparent"), msg.Header.Get("traceparent")
	for name, v := range map[string]string{"ce-traceparent": origin, "traceparent": hop} {
		if len(v) != 55 || !strings.HasSuffix(v, "-00") {
			t.Errorf("message header %s = %q, want an unsampled W3C traceparent", name, v)
		}
	}
	if origin[:35] != hop[:35] || origin == hop {
		t.Errorf("ce-traceparent %s and traceparent %s: want one trace, two spans", origin, hop)
	}
	if l := h.logs.String(); !strings.Contains(l, `"trace_id":"`+origin[3:35]+`"`) {
		t.Errorf("the log line does not name the delivery's trace: %s", l)
	}
	if spans := exp.GetSpans(); len(spans) != 0 {
		t.Errorf("spans %v recorded for a sampled-out delivery", names(spans))
	}
}

// TestTraceOff: the no-op provider is tracing off: a sender's traceparent
// is not carried onto the message.
func TestTraceOff(t *testing.T) {
	h := newHarness(t, withTracerProvider(noop.NewTracerProvider()))
	body, hdr := h.delivery("shop", "", "untraced-1")
	hdr.Set("Traceparent", inboundTP)
	if a := h.post(http.MethodPost, "shop", body, hdr); a.code != 200 {
		t.Fatalf("status %d: %s", a.code, a.raw)
	}
	msg := h.lastStored()
	if strings.Contains(h.logs.String(), "trace_id") {
		t.Errorf("a log line names a trace with tracing off")
	}
	for _, name := range []string{"traceparent", "ce-traceparent", "Traceparent"} {
		if v := msg.Header.Get(name); v != "" {
			t.Errorf("message header %s = %q with tracing off", name, v)
		}
	}
}
