package commerce_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// A traced normaliser continues the raw event's trace: its consumer span
// is the child of the raw publish, each canonical publish a producer span
// below it whose context is the canonical event's traceparent, and the
// canonical event's ce-traceparent is the raw event's, unchanged.
func TestNormaliserTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	js := runNormaliser(t, commerce.Config{TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))})
	body, _, err := sample.DeliveryForOrder("shopify", sample.Locators{}, "orders/create", "d1", "1001", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const (
		origin    = "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01"
		rawPub    = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		rawPubSID = "00f067aa0ba902b7"
	)
	msg := rawMsg(t, "shopify", "acme-shop", "d1", "d1", "com.shopify.orders.create", body)
	msg.Header["ce-traceparent"] = []string{origin}
	msg.Header["ce-tracestate"] = []string{"rojo=1"}
	msg.Header["traceparent"] = []string{rawPub}
	if _, err := js.PublishMsg(t.Context(), msg); err != nil {
		t.Fatal(err)
	}

	var proc, pub tracetest.SpanStub
	natstest.Eventually(t, natstest.Patience, "the consumer and publish spans", func() bool {
		for _, s := range exp.GetSpans() {
			switch s.Name {
			case "process WEBHOOKS":
				proc = s
			case "publish COMMERCE":
				pub = s
			}
		}
		return proc.Name != "" && pub.Name != ""
	})
	if proc.Parent.SpanID().String() != rawPubSID || proc.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("consumer span's parent %v, want the raw publish", proc.Parent)
	}
	if pub.Parent.SpanID() != proc.SpanContext.SpanID() {
		t.Errorf("publish span's parent %v, want the consumer span", pub.Parent)
	}

	s, err := js.Stream(t.Context(), commerce.Stream)
	if err != nil {
		t.Fatal(err)
	}
	var got *jetstream.RawStreamMsg
	natstest.Eventually(t, natstest.Patience, "the canonical event", func() bool {
		got, err = s.GetMsg(t.Context(), 1)
		return err == nil
	})
	want := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + pub.SpanContext.SpanID().String() + "-01"
	if tp := got.Header.Get("traceparent"); tp != want {
		t.Errorf("canonical traceparent %q, want the publish span's %q", tp, want)
	}
	if ce, st := got.Header.Get("ce-traceparent"), got.Header.Get("ce-tracestate"); ce != origin || st != "rojo=1" {
		t.Errorf("canonical ce-traceparent %q, ce-tracestate %q: want the raw event's %q, %q", ce, st, origin, "rojo=1")
	}
}
