package commerce_test

import (
	"testing"

	"github.com/hookbridge/hookbridge/consumers/commerce"
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
// the CloudEvents the normaliser publishes (data, id, validation).
func BenchmarkEvent(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.platform+"/"+c.name, func(b *testing.B) {
			r, cs := benchRaw(b, c.platform, c.name, c.raw)
			b.ReportAllocs()
			for b.Loop() {
				for _, ce := range cs {
					if _, _, err := commerce.Event(r, ce); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportEvents(b, len(cs))
		})
	}
}
