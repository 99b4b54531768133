package bridge

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookbridge/hookbridge/bridge/provider"
	"github.com/hookbridge/hookbridge/internal/cputime"
	"github.com/hookbridge/hookbridge/internal/otlptest"
	"github.com/hookbridge/hookbridge/internal/sample"
	"github.com/hookbridge/hookbridge/internal/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"
)

// BenchmarkSubject: building a subject from an untrusted event type.
func BenchmarkSubject(b *testing.B) {
	b.ReportAllocs()
	base := "webhooks.shopify.acme-shop"
	for b.Loop() {
		s := make([]byte, 0, len(base)+32)
		s = append(s, base...)
		if _, n := appendTypeTokens(s, "orders/create"); n != 2 {
			b.Fatal(n)
		}
	}
}

// BenchmarkEncode: a verified delivery to a NATS message in CloudEvents
// binary mode (attribute checks, subject, headers, payload).
func BenchmarkEncode(b *testing.B) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"s"}})
	if err != nil {
		b.Fatal(err)
	}
	body, hdr, err := sample.Delivery("shopify", sample.Locators{}, "", "bench-1", now)
	if err != nil {
		b.Fatal(err)
	}
	body = sample.Pad(body, 1024)
	ev, err := p.Extract(body, hdr)
	if err != nil {
		b.Fatal(err)
	}
	s := &server{}
	rt := &route{Source: Source{Name: "acme-shop", Provider: p}, subjectBase: "webhooks.shopify.acme-shop"}
	d := delivery{body: body, contentType: "application/json", received: now, event: ev}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.message(rt, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTracingAlone is the bridge's tracing of one delivery without
// the delivery: the server span with its attributes, the verify event, both
// trace headers, the publish span and its PubAck attributes, every span
// sampled and exported over OTLP/HTTP to a receiver in the process that
// drops each export, as in BenchmarkDeliveryTraced. Run beside
// BenchmarkDelivery, its cpu-ns/op over BenchmarkDelivery's is the least
// that tracing every delivery can cost with the OpenTelemetry SDK, however
// the rest of the bridge is written:
//
//	go test ./bridge -run '^$' -bench 'Delivery$|TracingAlone' -benchtime 20000x -count 3
func BenchmarkTracingAlone(b *testing.B) {
	tp := otlptest.Discarding(b, "always_on", "")
	p, err := provider.New(provider.Config{Kind: "shopify", Secrets: []string{"s"}})
	if err != nil {
		b.Fatal(err)
	}
	src := Source{Name: "acme-shop", Provider: p}
	s := &server{tracer: tracerOf(tp)}
	rt := &route{Source: src, spans: routeSpansOf(src)}
	req := httptest.NewRequest(http.MethodPost, "/webhooks/acme-shop", nil)
	req.Header.Set("User-Agent", "Shopify-Captain-Hook")
	msg := &nats.Msg{Subject: "webhooks.shopify.acme-shop.orders.create", Header: nats.Header{
		jetstream.MsgIDHeader: {"b0a6f3a8-1d2e-4c1b-9a57-5c2f7d0e9b11"}, hdrID: {"b0a6f3a8-1d2e-4c1b-9a57-5c2f7d0e9b11"},
	}}
	ack := &jetstream.PubAck{Stream: "WEBHOOKS", Sequence: 1}
	dl := deliveryLog{id: msg.Header.Get(hdrID), ceType: "com.shopify.orders.create", subject: msg.Subject, seq: 1, events: 1}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Self()
	for range b.N {
		r, span := s.startDelivery(req)
		trace.SpanFromContext(r.Context()).AddEvent("verify")
		delete(msg.Header, wire.HeaderPrefix+"traceparent")
		stampOrigin(r.Context(), msg)
		_, pub := s.startPublish(r.Context(), "publish WEBHOOKS", msg)
		endPublish(pub, ack, nil)
		endDelivery(span, rt, dl, nil)
	}
	b.ReportMetric(float64(cputime.Self()-cpu)/float64(b.N), "cpu-ns/op")
}
