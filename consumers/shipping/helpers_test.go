package shipping

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookbridge/hookbridge/consumers"
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

// webhook builds the CloudEvent hookbridge would publish for a delivery.
func webhook(t testing.TB, typ, source, subject, id string, data []byte) event.Event {
	t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetType(typ)
	ev.SetSource(source)
	ev.SetSubject(subject)
	ev.SetTime(testNow)
	if err := ev.SetData(event.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	return ev
}

func shopifyEvent(t testing.TB, topic, source, id string) event.Event {
	return webhook(t, "com.shopify.orders."+topic, source, "820982911946154508", id, fixture(t, "shopify/orders-"+topic+".json"))
}

// wooEvent is a WooCommerce order.<action> delivery of testdata/woocommerce/order-<status>.json.
func wooEvent(t testing.TB, action, status, source, id string) event.Event {
	return webhook(t, "com.woocommerce.order."+action, source, "727", id, fixture(t, "woocommerce/order-"+status+".json"))
}

func stripeWebhook(t testing.TB, file string) event.Event {
	data := fixture(t, "stripe/"+file)
	var e struct {
		ID   string `json:"id"`
		Data struct {
			Object struct {
				ID string `json:"id"`
			} `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return webhook(t, "com.stripe.checkout.session.completed", stripeSrc, e.Data.Object.ID, e.ID, data)
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
