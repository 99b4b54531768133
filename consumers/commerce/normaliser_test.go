package commerce_test

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookbridge/hookbridge/consumers"
	"github.com/hookbridge/hookbridge/consumers/commerce"
	"github.com/hookbridge/hookbridge/consumers/commerce/commercetest"
	"github.com/hookbridge/hookbridge/internal/natstest"
	"github.com/hookbridge/hookbridge/internal/sample"
)

// rawShopify publishes a raw Shopify event on WEBHOOKS as the bridge would.
func rawShopify(t *testing.T, js jetstream.JetStream, id, topic string, body []byte) {
	t.Helper()
	rawShopifyAs(t, js, "acme-shop:"+id, id, topic, body)
}

// rawShopifyAs is rawShopify with the raw stream's own message id: another
// one stores the same raw event again, as a replay reads it again.
func rawShopifyAs(t *testing.T, js jetstream.JetStream, msgID, id, topic string, body []byte) {
	t.Helper()
	rawPublish(t, js, "shopify", "acme-shop", msgID, id, "com.shopify."+strings.ReplaceAll(topic, "/", "."), body)
}

// rawPublish stores a raw event of provider's source on WEBHOOKS as the
// bridge would: typ is its CloudEvent type.
func rawPublish(t testing.TB, js jetstream.JetStream, provider, source, msgID, id, typ string, body []byte) {
	t.Helper()
	if _, err := js.PublishMsg(context.Background(), rawMsg(t, provider, source, msgID, id, typ, body)); err != nil {
		t.Fatal(err)
	}
}

// rawMsg is a raw event as the bridge publishes it on WEBHOOKS.
func rawMsg(t testing.TB, provider, source, msgID, id, typ string, body []byte) *nats.Msg {
	t.Helper()
	ev := event.New()
	ev.SetID(id)
	ev.SetType(typ)
	ev.SetSource("https://shop.example.test/")
	ev.SetTime(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	if err := ev.SetData(event.ApplicationJSON, body); err != nil {
		t.Fatal(err)
	}
	_, platformType, _ := strings.Cut(strings.TrimPrefix(typ, "com."), ".")
	subject := "webhooks." + provider + "." + source + "." + platformType
	msg, err := consumers.EncodeEvent(context.Background(), subject, ev)
	if err != nil {
		t.Fatal(err)
	}
	msg.Header.Set(jetstream.MsgIDHeader, msgID)
	return msg
}

// The normaliser end to end on a real server: a raw order becomes one
// canonical event on COMMERCE that validates against its schema; a
// redelivered or replayed raw event publishes nothing twice; an event that
// means nothing is skipped and counted; an unusable payload of a mapped
// type goes to the dead letters with the reason.
func TestNormaliser(t *testing.T) {
	reg := prometheus.NewRegistry()
	js := runNormaliser(t, commerce.Config{Registerer: reg})
	ctx := t.Context()

	body, _, err := sample.DeliveryForOrder("shopify", sample.Locators{}, "orders/create", "d1", "1001", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rawShopify(t, js, "d1", "orders/create", body)
	rawShopify(t, js, "p1", "products/create", []byte(`{"id": 632910392, "title": "IPod Nano - 8GB"}`))
	rawShopify(t, js, "bad", "orders/paid", []byte(`not json`))

	deadLetters := func() uint64 {
		s, err := js.Stream(ctx, consumers.DefaultDeadLetterStream)
		if err != nil {
			return 0
		}
		info, err := s.Info(ctx)
		if err != nil {
			return 0
		}
		return info.State.Msgs
	}
	events := func(outcome string) float64 {
		return counter(t, reg, "hookbridge_commerce_events_total", map[string]string{"provider": "shopify", "outcome": outcome})
	}
	natstest.Eventually(t, natstest.Patience, "one published, one skipped, one dead letter", func() bool {
		return events("published") == 1 && events("skipped") == 1 && deadLetters() == 1
	})

	out := readAll(t, js, commerce.Stream)
	if len(out) != 1 {
		t.Fatalf("COMMERCE holds %d events, want 1", len(out))
	}
	got := out[0]
	if got.subject != "commerce.order.created.shopify.acme-shop" || got.ev.Type() != "com.hookbridge.commerce.order.created" ||
		got.ev.Subject() != "1001" || got.ev.Extensions()[commerce.ExtRawID] != "d1" || got.msgID != got.ev.ID() {
		t.Errorf("canonical event %s: %s", got.subject, got.ev)
	}
	commercetest.CheckEvent(t, got.ev)

	// The raw event again (a replay of WEBHOOKS, or a second normaliser):
	// published again, stored once.
	rawShopifyAs(t, js, "replay-of-d1", "d1", "orders/create", body)
	natstest.Eventually(t, natstest.Patience, "the replay handled", func() bool { return events("published") == 2 })
	if out := readAll(t, js, commerce.Stream); len(out) != 1 {
		t.Errorf("after a replay COMMERCE holds %d events, want 1", len(out))
	}
}

// counter is the value of the counter name with labels in reg (0 if none).
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

type stored struct {
	subject, msgID string
	ev             event.Event
}

// readAll is every message of stream, decoded.
func readAll(t *testing.T, js jetstream.JetStream, stream string) []stored {
	t.Helper()
	ctx := t.Context()
	c, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []stored
	for range info.NumPending {
		msg, err := c.Next(jetstream.FetchMaxWait(natstest.Patience))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := consumers.DecodeEvent(ctx, msg.Subject(), msg.Headers(), msg.Data())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, stored{subject: msg.Subject(), msgID: msg.Headers().Get("Nats-Msg-Id"), ev: ev})
	}
	return out
}

// With personal_data: hash, every canonical event of one raw event carries
// the same hash of one customer, however many events the raw event means
// (a completed WooCommerce order: updated, paid, fulfilled), so that teams
// can join on it.
func TestNormaliserHashesOnce(t *testing.T) {
	js := runNormaliser(t, commerce.Config{PersonalData: commerce.PersonalHash, HashKey: "0123456789abcdef"})
	ctx := t.Context()

	body := fixtures(t, "woocommerce")["order.updated-completed"]
	rawPublish(t, js, "woocommerce", "acme-woo", "w1", "w1", "com.woocommerce.order.updated", body)
	natstest.Eventually(t, natstest.Patience, "three canonical events", func() bool {
		s, err := js.Stream(ctx, commerce.Stream)
		if err != nil {
			return false
		}
		info, err := s.Info(ctx)
		return err == nil && info.State.Msgs == 3
	})
	emails := map[string]bool{}
	for _, m := range readAll(t, js, commerce.Stream) {
		var o commerce.Order
		if err := m.ev.DataAs(&o); err != nil {
			t.Fatal(err)
		}
		if o.Customer == nil || !strings.HasPrefix(o.Customer.Email, commerce.HashPrefix) {
			t.Fatalf("%s: customer %+v, want a hashed email", m.subject, o.Customer)
		}
		emails[o.Customer.Email] = true
	}
	if len(emails) != 1 {
		t.Errorf("one customer, %d different hashes: %v", len(emails), emails)
	}
}

// runNormaliser starts a server with a WEBHOOKS stream like the bridge's and
// runs a normaliser of cfg on it until the test ends.
func runNormaliser(t *testing.T, cfg commerce.Config) jetstream.JetStream {
	t.Helper()
	js := startWebhooks(t)
	commercetest.RunNormaliser(t, js, cfg)
	return js
}

// A consumer that starts before any normaliser finds COMMERCE created as the
// normaliser would create it; one that starts after leaves the operator's
// settings alone.
func TestCreateStream(t *testing.T) {
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	ctx := t.Context()
	for range 2 { // a second call, or a second consumer, is a no-op
		if err := commerce.CreateStream(ctx, js); err != nil {
			t.Fatal(err)
		}
	}
	s, err := js.Stream(ctx, commerce.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.CachedInfo().Config; len(c.Subjects) != 1 || c.Subjects[0] != "commerce.>" || c.Duplicates != commerce.DefaultDuplicates || c.Storage != jetstream.FileStorage {
		t.Errorf("created %+v", c)
	}

	c := s.CachedInfo().Config
	c.Duplicates, c.MaxAge = time.Hour, 48*time.Hour
	if _, err := js.UpdateStream(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := commerce.CreateStream(ctx, js); err != nil {
		t.Fatalf("on a stream with the operator's settings: %v", err)
	}
	if info, err := s.Info(ctx); err != nil || info.Config.Duplicates != time.Hour || info.Config.MaxAge != 48*time.Hour {
		t.Errorf("operator's settings changed: %+v, %v", info.Config, err)
	}
}

// startWebhooks starts a server with a WEBHOOKS stream like the bridge's.
func startWebhooks(t testing.TB) jetstream.JetStream {
	t.Helper()
	ns := natstest.Start(t)
	_, js := ns.Connect(t)
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}, Duplicates: time.Hour}); err != nil {
		t.Fatal(err)
	}
	return js
}

// WooCommerce sends the whole order with every change. A paid order saved
// twice (a note added, an address fixed) comes through as two updates but
// one payment: order.paid is stored once.
func TestNormaliserPublishesAMilestoneOnce(t *testing.T) {
	js := runNormaliser(t, commerce.Config{})
	body := fixtures(t, "woocommerce")["order.created"] // a processing order, paid
	resaved := bytes.Replace(body, []byte(`"date_modified_gmt": "2017-03-22T19:28:08"`), []byte(`"date_modified_gmt": "2017-03-23T08:00:00"`), 1)
	if bytes.Equal(resaved, body) {
		t.Fatal("the fixture's date_modified_gmt moved: fix the test")
	}
	rawPublish(t, js, "woocommerce", "acme-woo", "acme-woo:1-a", "1-a", "com.woocommerce.order.updated", body)
	rawPublish(t, js, "woocommerce", "acme-woo", "acme-woo:1-b", "1-b", "com.woocommerce.order.updated", resaved)
	ctx := t.Context()
	natstest.Eventually(t, natstest.Patience, "both raw events normalised", func() bool {
		c, err := js.Consumer(ctx, "WEBHOOKS", commerce.DefaultName)
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.AckFloor.Stream == 2
	})
	got := map[string]int{}
	for _, m := range readAll(t, js, commerce.Stream) {
		got[m.ev.Type()]++
	}
	want := map[string]int{"com.hookbridge.commerce.order.updated": 2, "com.hookbridge.commerce.order.paid": 1}
	if !maps.Equal(got, want) {
		t.Errorf("COMMERCE holds %v, want %v", got, want)
	}
}
