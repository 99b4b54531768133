package commerce_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// benchCases are one platform fixture each, of the kinds a shop sends most:
// a new order, an order completed, a paid checkout.
var benchCases = []struct {
	platform, name string
	raw            func(typ string, body []byte) commerce.Raw
}{
	{"shopify", "orders.create", shopifyRaw},
	{"woocommerce", "order.updated-completed", wooRaw},
	{"stripe", "checkout.session.completed", stripeRaw},
}

// benchRaw is a bench case's raw event, and the canonical events it means
// (at least one: a case that maps to none measures nothing).
func benchRaw(b *testing.B, platform, name string, raw func(string, []byte) commerce.Raw) (commerce.Raw, []commerce.Canonical) {
	b.Helper()
	body, ok := fixtures(b, platform)[name]
	if !ok {
		b.Fatalf("no fixture testdata/%s/%s.json", platform, name)
	}
	r := raw(fixtureType(name), body)
	cs, err := commerce.Map(r)
	if err != nil || len(cs) == 0 {
		b.Fatalf("Map(%s/%s) = %d events, %v; want at least one", platform, name, len(cs), err)
	}
	return r, cs
}

// reportEvents adds canonical events per second, the figure the normaliser
// must keep up with the bridge's deliveries in.
func reportEvents(b *testing.B, perOp int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N*perOp)/s, "events/s")
	}
}

// BenchmarkMap measures mapping one raw event of each platform to its
// canonical events: the normaliser's work besides the broker's.
func BenchmarkMap(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.platform+"/"+c.name, func(b *testing.B) {
			r, want := benchRaw(b, c.platform, c.name, c.raw)
			b.ReportAllocs()
			for b.Loop() {
				cs, err := commerce.Map(r)
				if err != nil || len(cs) != len(want) {
					b.Fatalf("Map = %d events, %v; want %d", len(cs), err, len(want))
				}
			}
			reportEvents(b, len(want))
		})
	}
}

// BenchmarkEvent measures encoding the canonical events of one raw event as
// the CloudEvents commerce.Events gives (data, id, validation).
func BenchmarkEvent(b *testing.B) {
	benchEncode(b, func(r commerce.Raw, c commerce.Canonical) error {
		_, _, err := commerce.Event(r, c)
		return err
	})
}

// BenchmarkEventMessage measures what the normaliser publishes for the
// canonical events of one raw event: each event's NATS message, written
// directly (data, id, headers).
func BenchmarkEventMessage(b *testing.B) {
	benchEncode(b, func(r commerce.Raw, c commerce.Canonical) error {
		_, err := commerce.Message(r, c)
		return err
	})
}

// benchEncode measures encode on each canonical event of each bench case's
// raw event.
func benchEncode(b *testing.B, encode func(commerce.Raw, commerce.Canonical) error) {
	for _, c := range benchCases {
		b.Run(c.platform+"/"+c.name, func(b *testing.B) {
			r, cs := benchRaw(b, c.platform, c.name, c.raw)
			b.ReportAllocs()
			for b.Loop() {
				for _, ce := range cs {
					if err := encode(r, ce); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportEvents(b, len(cs))
		})
	}
}

// BenchmarkNormaliser measures the whole normaliser on a real server: b.N
// raw events of the bridge's sample mix (a Shopify order, a WooCommerce
// order in processing, a Stripe payment) wait on WEBHOOKS, and one
// normaliser with the default config turns them all into canonical events:
// fetch, decode, map, publish and PubAck, ack. raw/s is what it gets
// through, to set beside the bridge's deliveries/s.
func BenchmarkNormaliser(b *testing.B) { benchNormaliser(b, commerce.Config{}) }

// BenchmarkNormaliserTraced is BenchmarkNormaliser traced, every trace
// sampled, the spans batched to an exporter that drops them: the cost of
// tracing in the process, without the export's network.
func BenchmarkNormaliserTraced(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	benchNormaliser(b, commerce.Config{TracerProvider: tp})
}

func benchNormaliser(b *testing.B, cfg commerce.Config) {
	js := startWebhooks(b)
	ctx := b.Context()
	kinds := []struct{ provider, source, typ, event string }{
		{"shopify", "acme-shop", "com.shopify.orders.create", "orders/create"},
		{"woocommerce", "acme-woo", "com.woocommerce.order.created", "order.created"},
		{"stripe", "billing", "com.stripe.payment_intent.succeeded", "payment_intent.succeeded"},
	}
	var pending []jetstream.PubAckFuture
	for i := range b.N {
		k := kinds[i%len(kinds)]
		id := fmt.Sprintf("bench-%d", i)
		body, _, err := sample.Delivery(k.provider, sample.Locators{}, k.event, id, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		f, err := js.PublishMsgAsync(rawMsg(b, k.provider, k.source, k.source+":"+id, id, k.typ, body))
		if err != nil {
			b.Fatal(err)
		}
		pending = append(pending, f)
	}
	for _, f := range pending {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			b.Fatal(err)
		}
	}
	n, err := commerce.New(js, cfg)
	if err != nil {
		b.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	b.ResetTimer()
	done := make(chan error, 1)
	go func() { done <- n.Run(runCtx) }()
	for {
		c, err := js.Consumer(ctx, "WEBHOOKS", commerce.DefaultName)
		if err == nil {
			info, err := c.Info(ctx)
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream >= uint64(b.N) {
				break
			}
		}
		select {
		case err := <-done:
			b.Fatalf("normaliser stopped: %v", err)
		case <-time.After(5 * time.Millisecond): // poll interval
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "raw/s")
	}
	stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}
