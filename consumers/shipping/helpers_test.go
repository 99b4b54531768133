package shipping

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/internal/natstest"
)

const (
	shopDomain = "acme.myshopify.com"
	wooSite    = "https://shop.example.test/"
	stripeSrc  = "/stripe/billing"
)

var testNow = time.Date(2025, 11, 3, 20, 0, 0, 0, time.UTC)

// newService starts an embedded JetStream server and a Service on it.
func newService(t *testing.T) (*Service, jetstream.JetStream) {
	t.Helper()
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	svc, err := New(t.Context(), js, Config{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return svc, js
}

// fixture reads testdata/<name>.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// raw is one raw platform delivery, as the bridge stores it on WEBHOOKS:
// what the normaliser turns into the canonical events shipping reads.
type raw struct {
	provider string // the provider kind: shopify
	typ      string // the CloudEvent type: com.shopify.orders.paid
	data     []byte // the platform's body
}

// shopifyOrder is Shopify's orders/<topic> webhook of testdata/shopify/orders-<topic>.json.
func shopifyOrder(t testing.TB, topic string) raw {
	return raw{"shopify", "com.shopify.orders." + topic, fixture(t, "shopify/orders-"+topic+".json")}
}

// wooOrder is WooCommerce's order.<topic> webhook of testdata/woocommerce/order-<status>.json.
func wooOrder(t testing.TB, topic, status string) raw {
	return raw{"woocommerce", "com.woocommerce.order." + topic, fixture(t, "woocommerce/order-"+status+".json")}
}

// stripeSession is Stripe's checkout.session.<typ> event of testdata/stripe/<file>.
func stripeSession(t testing.TB, typ, file string) raw {
	return raw{"stripe", "com.stripe.checkout.session." + typ, fixture(t, "stripe/"+file)}
}

// events is what shipping receives when the normaliser reads r, delivered
// by the shop source under the raw CloudEvent id id: the canonical events
// it publishes that ConsumerConfig's filter lets through, in order.
func events(t testing.TB, r raw, source, id string) []event.Event {
	t.Helper()
	ps, err := commerce.Events(commerce.Raw{
		Provider: r.provider, Source: "hb-" + r.provider, ID: id, Type: r.typ,
		EvSource: source, Time: testNow, Data: r.data,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []event.Event
	for _, p := range ps {
		for _, f := range ConsumerConfig().FilterSubjects {
			if strings.HasPrefix(p.Subject, strings.TrimSuffix(f, ">")) {
				out = append(out, p.Event)
				break
			}
		}
	}
	return out
}

// canonical is the order.<action> event among r's events; the test fails
// when the normaliser publishes none.
func canonical(t testing.TB, r raw, action, source, id string) event.Event {
	t.Helper()
	evs := events(t, r, source, id)
	for _, ev := range evs {
		if ev.Type() == commerce.Type(commerce.EntityOrder, action) {
			return ev
		}
	}
	t.Fatalf("%s %s gives no order.%s, only %d other events", r.provider, r.typ, action, len(evs))
	return event.Event{}
}

// shopifyEvent is the canonical event of Shopify's orders/<topic>, whose
// action has the topic's name.
func shopifyEvent(t testing.TB, topic, source, id string) event.Event {
	t.Helper()
	return canonical(t, shopifyOrder(t, topic), topic, source, id)
}

// deliver hands svc every event shipping receives for r.
func deliver(t testing.TB, svc *Service, r raw, source, id string) {
	t.Helper()
	handle(t, svc, events(t, r, source, id)...)
}

// orderEvent is a canonical order.<action> event with data as it is,
// valid or not, for what no platform's payload gives.
func orderEvent(t testing.TB, action, source, id string, data []byte) event.Event {
	t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetType(commerce.Type(commerce.EntityOrder, action))
	ev.SetSource(source)
	ev.SetSubject("1")
	ev.SetTime(testNow)
	ev.SetDataSchema(commerce.DataSchema(commerce.EntityOrder))
	if err := ev.SetData(event.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	return ev
}

// orderOf is the canonical order.<action> event of o, built as the
// normaliser builds it, for a platform it does not map (yet) or an order
// no fixture holds.
func orderOf(t testing.TB, action, source, id string, o commerce.Order) event.Event {
	t.Helper()
	r := commerce.Raw{Provider: o.Platform, Source: "hb-" + o.Platform, ID: id, EvSource: source, Time: testNow}
	ev, _, err := commerce.Event(r, commerce.Canonical{Entity: commerce.EntityOrder, Action: action, Subject: o.ID, Data: &o})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func mustKey(t testing.TB, platform, source, id string) string {
	t.Helper()
	k, err := Key(platform, source, id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func handle(t testing.TB, svc *Service, evs ...event.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := svc.Handle(t.Context(), ev); err != nil {
			t.Fatalf("Handle(%s %s): %v", ev.Type(), ev.ID(), err)
		}
	}
}

// published is one message of the SHIPPING stream.
type published struct {
	Subject string
	Event   event.Event
}

// readPublished returns every message of the SHIPPING stream in order.
// Handle returns only after the PubAck, so nothing needs waiting for.
func readPublished(t testing.TB, js jetstream.JetStream) []published {
	t.Helper()
	ctx := context.Background()
	s, err := js.Stream(ctx, "SHIPPING")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []published
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ev, err := consumers.DecodeEvent(ctx, m.Subject, m.Header, m.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, published{Subject: m.Subject, Event: ev})
	}
	return out
}

// kinds lists the published events about key as "subject type" pairs.
func kinds(all []published, key string) []string {
	out := []string{}
	for _, p := range all {
		if p.Event.Subject() == key {
			out = append(out, p.Event.Type())
		}
	}
	return out
}

const (
	tCreated   = "com.hookbridge.shipping.shipment.created"
	tCancelled = "com.hookbridge.shipping.shipment.cancelled"
	tFulfilled = "com.hookbridge.shipping.shipment.fulfilled"
)

func mustShipment(t testing.TB, svc *Service, key string) Shipment {
	t.Helper()
	sh, err := svc.Shipment(t.Context(), key)
	if err != nil {
		t.Fatalf("Shipment(%s): %v", key, err)
	}
	return sh
}
